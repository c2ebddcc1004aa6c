"""Pure helpers that turn user input into the canonical forms the database stores."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the document.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "ref",
        "ref_src",
        "cmpid",
        "ocid",
        "smid",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Canonical form of an http(s) URL: lower-case scheme and host, no default
    port, no fragment, no tracking parameters, remaining parameters sorted.

    Raises ValueError with a readable message for anything that is not an
    absolute http(s) URL.
    """
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"only http and https URLs are accepted, not {scheme or 'a relative URL'!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("the URL names no host")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        host = host.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def url_host(url: str) -> str:
    """The host of a URL, lower-case, without a leading ``www.``; '' if none."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def normalize_text(text: str) -> str:
    """Text reduced to what identifies it: NFKC, case-folded, whitespace collapsed."""
    # str.split() breaks at the same white space as \s+, in half the time of a substitution.
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def content_hash(text: str) -> str:
    """sha256 of the normalized text, or '' for empty text.

    The same article text reached through two URLs (or re-fetched with other
    white space) hashes the same, so it is recognised rather than duplicated.
    """
    normalized = normalize_text(text)
    if not normalized:
        return ""
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


@functools.cache
def _tld_extractor():
    import tldextract

    # The public suffix list snapshot shipped with the package: never fetched
    # at run time. Private suffixes (blogspot.com, github.io) count, so two
    # blogs on one platform are two publishers.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def registrable_domain(url: str) -> str:
    """The domain a publisher registered (bbc.co.uk for www.bbc.co.uk/news).

    Hosts under no known public suffix (an IP address, a .example or intranet
    name) fall back to their last two labels.
    """
    host = url_host(url)
    if not host:
        return ""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    result = _tld_extractor()(host)
    if result.top_domain_under_public_suffix:
        return result.top_domain_under_public_suffix
    return ".".join(host.split(".")[-2:])

"""Pure helpers that turn user input into the canonical forms the database stores."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import unicodedata
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

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


class InvalidURL(ValueError):
    """A URL that normalize_url refuses; the message says why, for the person who typed it."""

    def sentence(self) -> str:
        message = str(self)
        return f"{message[:1].upper()}{message[1:]}."


def normalize_url(url: str) -> str:
    """Canonical form of an http(s) URL: lower-case scheme and host, no default
    port, no fragment, no tracking parameters, remaining parameters sorted.

    Raises InvalidURL (a ValueError) with a readable message for anything that
    is not an absolute http(s) URL.
    """
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidURL(f"not a valid URL: {exc}") from None
    port = url_port(parts)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"only http and https URLs are accepted, not {scheme or 'a relative URL'!r}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL("the URL names no host")
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


def url_port(parts: SplitResult) -> int | None:
    """The port of a split URL (None if it names none).

    ``SplitResult.port`` raises a bare ValueError for a port that is not a
    number or is above 65535; this raises InvalidURL naming the port instead.
    """
    try:
        return parts.port
    except ValueError:
        # What urllib read as the port: after the user info, and after an IPv6 literal's brackets.
        port = parts.netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
        raise InvalidURL(f"the port must be a whole number up to 65535, not {port[:20]!r}") from None


def validate_http_url(value: str) -> None:
    """Form and serializer validator: refuses what normalize_url would refuse when the row is saved."""
    try:
        normalize_url(value)
    except InvalidURL as exc:
        raise ValidationError(exc.sentence(), code="invalid_url") from None


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

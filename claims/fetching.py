"""Fetch one web page without letting the URL reach the inside of our network.

Articles, evidence snapshots and webhooks all take URLs typed or pasted by
people, so every fetch goes through `fetch()`:

- http and https only, to public addresses only: every address a host name
  resolves to is checked, and the connection goes to the address that was
  checked (no second DNS lookup an attacker could answer differently);
- at most `MAX_REDIRECTS` redirects, each hop checked the same way;
- connect and read timeouts, plus a total deadline for the whole fetch;
- a size cap, enforced while streaming;
- HTML or plain text only, decoded with the charset the page declares or,
  failing that, the one charset_normalizer detects.

Every failure is a `FetchError` whose message can be shown to an editor.

`post()` sends webhook deliveries under the same address rules (redirects are
returned, not followed), and `check_url()` runs the address checks alone, for a
URL that is saved now and fetched later.
"""

from __future__ import annotations

import codecs
import contextvars
import http.client
import ipaddress
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Literal
from urllib.parse import urlsplit

import charset_normalizer
import requests
import urllib3
from django.conf import settings
from django.utils import timezone
from requests.structures import CaseInsensitiveDict
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter_adapter import IPFilterAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import allowed_gai_family

# What a request can raise on the way, each turned into a readable FetchError.
TRANSPORT_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,  # urlparse() on a malformed redirect target
)

MAX_REDIRECTS = 5
DEFAULT_ACCEPT = ("text/html", "application/xhtml+xml", "text/plain")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# Enough for a page's <head> to declare its charset; the HTML standard's prescan reads 1024.
_META_SCAN_BYTES = 4096
_CHUNK_BYTES = 16 * 1024
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_START = re.compile(rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL)
_BINARY_SIGNATURES = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

FetchErrorKind = Literal[
    "invalid_url",
    "refused_address",
    "too_many_redirects",
    "timeout",
    "connection",
    "http_status",
    "content_type",
    "too_large",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A page could not be fetched; `message` is written for the editor who asked for it."""

    def __init__(
        self, kind: FetchErrorKind, message: str, *, transient: bool = False, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.transient = transient
        self.status = status


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    content_type: str
    charset: str
    body: bytes
    text: str
    fetched_at: datetime
    # The URL each redirect led to, in order; the last one is final_url.
    redirects: list[str]
    # Validators for a conditional request next time (monitored feeds and sitemaps).
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        """The server answered 304 to a conditional request: nothing was read."""
        return self.status == HTTPStatus.NOT_MODIFIED


@contextmanager
def _pinned_session(url: str, seconds: float):
    """A session whose connections go only to checked addresses, under a total
    deadline of ``seconds``; anything it raises on the way becomes a FetchError."""
    deadline = _Deadline(seconds)
    token = _active_deadline.set(deadline)
    try:
        with _session(deadline) as session, deadline:
            yield session, deadline
    except FetchError:
        raise
    except TRANSPORT_ERRORS as exc:
        raise _fetch_error(url, exc, deadline) from exc
    finally:
        _active_deadline.reset(token)


def fetch(
    url: str,
    *,
    accept: tuple[str, ...] = DEFAULT_ACCEPT,
    max_bytes: int | None = None,
    headers: dict[str, str] | None = None,
    etag: str = "",
    last_modified: str = "",
    timeout: float | None = None,
) -> FetchResult:
    """Fetch `url` (http or https, public addresses only) and return its decoded text.

    With `etag` or `last_modified` (from an earlier result) the request is
    conditional: a 304 answer is a result with `not_modified` set and no body.

    Raises FetchError, and nothing else, when the page cannot be fetched or is
    not one of the `accept`ed media types. `headers` are added to the request
    (an API's Authorization; requests drops it on a redirect to another host).
    `timeout` shortens the total deadline (FACTCHECK_FETCH_TOTAL_TIMEOUT) for a
    caller someone is waiting on.
    """
    url = _checked_url(url)
    limit = settings.FACTCHECK_FETCH_MAX_BYTES if max_bytes is None else max_bytes
    headers = {**(headers or {}), "Accept": ", ".join(accept)}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seconds = (
        settings.FACTCHECK_FETCH_TOTAL_TIMEOUT
        if timeout is None
        else min(timeout, settings.FACTCHECK_FETCH_TOTAL_TIMEOUT)
    )
    with _pinned_session(url, seconds) as (session, deadline):
        response = session.get(
            url,
            headers=headers,
            stream=True,
            timeout=(settings.FACTCHECK_FETCH_CONNECT_TIMEOUT, settings.FACTCHECK_FETCH_READ_TIMEOUT),
        )
        try:
            return _read_response(url, response, accept=accept, limit=limit, deadline=deadline)
        finally:
            response.close()


@dataclass(frozen=True)
class PostResult:
    status: int
    headers: dict[str, str]
    # The start of the response body (nothing for a redirect, whose body is dropped).
    body_excerpt: bytes


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float | None = None, excerpt_bytes: int = 2048
) -> PostResult:
    """POST `body` to `url` under fetch()'s rules: http(s) only, every resolved address
    checked and the connection pinned to it, timeouts and a total deadline.

    Redirects are returned, never followed. Any HTTP status is a result (the
    caller decides what counts as success); FetchError for everything else.
    """
    url = _checked_url(url)
    seconds = settings.FACTCHECK_FETCH_TOTAL_TIMEOUT if timeout is None else timeout
    with _pinned_session(url, seconds) as (session, deadline):
        response = session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(settings.FACTCHECK_FETCH_CONNECT_TIMEOUT, settings.FACTCHECK_FETCH_READ_TIMEOUT),
        )
        try:
            excerpt = bytearray()
            try:
                for chunk in response.iter_content(chunk_size=1024):
                    excerpt += chunk
                    if len(excerpt) >= excerpt_bytes or deadline.expired:
                        break
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
                pass  # the status is the answer; a body cut short is still an excerpt
            return PostResult(
                status=response.status_code,
                headers=dict(response.headers),
                body_excerpt=bytes(excerpt[:excerpt_bytes]),
            )
        finally:
            response.close()


def check_url(url: object) -> str:
    """Check `url` as fetch() and post() do before connecting: a well-formed http(s)
    address whose host resolves only to public addresses. Returns it stripped.

    For URLs stored now and fetched later (webhook targets); the fetch checks
    again, since DNS answers change.
    """
    url = _checked_url(url)
    hostname = urlsplit(url).hostname or ""
    allow_loopback = hostname.lower() in {h.lower() for h in settings.FACTCHECK_FETCH_TEST_HOSTS}
    try:
        _checked_addresses(url, hostname, urlsplit(url).port, allow_loopback=allow_loopback)
    except _AddressRefused as exc:
        raise FetchError("refused_address", f"Refused {url}: {exc.describe()}.") from exc
    except _UnresolvableHost as exc:
        raise FetchError(
            "connection", f"Cannot use {url}: the host name {exc.hostname} was not found.", transient=True
        ) from exc
    return url


class CheckedAddressAdapter(IPFilterAdapter):
    """requests-hardened's IP-pinning adapter, checking every address a host resolves to.

    IPFilterAdapter checks only the first address getaddrinfo returns and can
    allow all loopback addresses or none. This one refuses a host if any of its
    addresses is not public, allows loopback only for the host names listed in
    `loopback_hosts` (the tests' local server), and connects to the first
    checked address.
    """

    def __init__(
        self, *, is_https_proto: bool, loopback_hosts: tuple[str, ...] = (), deadline: _Deadline | None = None
    ) -> None:
        super().__init__(is_https_proto=is_https_proto, allow_loopback=False)
        self._loopback_hosts = frozenset(host.lower() for host in loopback_hosts)
        self._deadline = deadline

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        # IPFilterAdapter's version calls its module's filter_host(), which resolves the name
        # itself and has no hook to replace, so skip to HTTPAdapter's and repeat its Host / SNI
        # handling (requests-hardened 1.3.0, ip_filter_adapter.py) line for line.
        host_params, pool_kwargs = super(IPFilterAdapter, self).build_connection_pool_key_attributes(
            request, verify, cert
        )
        original_hostname = host_params["host"]
        if not original_hostname:
            raise requests.exceptions.InvalidURL("the address has no host name")
        # Copy: callers may pass a shared headers dict.
        request.headers = CaseInsensitiveDict(request.headers or {})
        host_header = original_hostname
        if ":" in host_header:
            host_header = f"[{host_header}]"
        if (port := host_params["port"]) is not None:
            host_header += f":{port}"
        request.headers["Host"] = host_header
        if self._is_https_proto is True:
            # Check the certificate against the name, not the pinned address.
            pool_kwargs["assert_hostname"] = original_hostname
            if self._tls_sni_support is True:
                pool_kwargs["server_hostname"] = original_hostname

        host_params["host"] = self._checked_address(request.url, original_hostname, port)
        return host_params, pool_kwargs

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if self._deadline is not None:
            remaining = self._deadline.remaining()
            if remaining <= 0:
                raise _DeadlineExceeded(request=request)
            timeouts = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            timeout = tuple(remaining if t is None else min(t, remaining) for t in timeouts)
        response = super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        if response.is_redirect:
            # requests reads a redirect's whole body into memory before following it, with no
            # size limit; nobody needs that body, so drop the connection instead.
            response.raw.close()
            response._content = b""
            response._content_consumed = True
        return response

    def _checked_address(self, url: str, hostname: str, port: int | None) -> str:
        allow_loopback = hostname.lower() in self._loopback_hosts
        pinned = _checked_addresses(url, hostname, port, allow_loopback=allow_loopback)[0]
        return f"[{pinned}]" if pinned.version == 6 else str(pinned)


def _checked_addresses(url: str, hostname: str, port: int | None, *, allow_loopback: bool) -> list[IPAddress]:
    """Every address `hostname` resolves to; _AddressRefused if any of them is not public."""
    try:
        addresses = [ipaddress.ip_address(hostname)]
    except ValueError:
        addresses = _resolve(hostname, port)
    for address in addresses:
        if refusal := _refusal(address, allow_loopback=allow_loopback):
            raise _AddressRefused(url, hostname, address, refusal)
    return addresses


def _resolve(hostname: str, port: int | None) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(hostname, port, family=allowed_gai_family(), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _UnresolvableHost(hostname) from exc
    addresses = [
        ipaddress.ip_address(sockaddr[0])
        for family, _type, _proto, _name, sockaddr in infos
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise _UnresolvableHost(hostname)
    return addresses


# --- Which addresses may be reached ---------------------------------------------
#
# An address is reached only when it is global unicast. IPv4: outside every range of
# _IPV4_REFUSED. IPv6: inside 2000::/3 (the only IPv6 space IANA hands out as global
# unicast, so site-local fec0::/10, SRv6 5f00::/16 and the rest of the reserved space are
# refused without being listed) and outside every range of _IPV6_REFUSED. An IPv6 address
# that carries an IPv4 address is judged by that IPv4 address instead (_wrapped_ipv4).
#
# The ranges are IANA's special-purpose registries (RFC 6890 and later). A block whose own
# entry is not globally reachable is refused whole, even where a smaller entry inside it is
# (192.0.0.9/32, 2001:1::1/128, 2001:3::/32: protocol anycast and relays, not web servers).
# Python's is_global has the last word as well, should a newer Python know of a range this
# table does not; it is not used alone because its answers differ across versions (3.11.7
# calls fec0::1, ::127.0.0.1, ::ffff:0:7f00:1, 64:ff9b::7f00:1, 3fff::1 and 224.0.0.1 global).

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(*entries: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(network), kind) for network, kind in entries)


# Most specific first: the first range that holds an address names its kind.
_IPV4_REFUSED = _networks(
    ("0.0.0.0/32", "an unspecified address"),
    ("0.0.0.0/8", 'a "this network" address (0.0.0.0/8)'),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.169.254/32", "the cloud metadata address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol assignment address (192.0.0.0/24)"),
    ("192.0.2.0/24", "a documentation address (192.0.2.0/24)"),
    ("192.88.99.0/24", "a 6to4 relay anycast address (192.88.99.0/24, deprecated)"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
    ("198.51.100.0/24", "a documentation address (198.51.100.0/24)"),
    ("203.0.113.0/24", "a documentation address (203.0.113.0/24)"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "the broadcast address"),
    ("240.0.0.0/4", "a reserved address (240.0.0.0/4)"),
)
_IPV6_REFUSED = _networks(
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    # RFC 8215: the operator decides where in it the IPv4 address sits, so it cannot be checked.
    ("64:ff9b:1::/48", "a local-use NAT64 address (64:ff9b:1::/48), which only the local network can translate"),
    ("100::/64", "a discard-only address (100::/64)"),
    ("2001:2::/48", "a benchmarking address (2001:2::/48)"),
    ("2001:10::/28", "an ORCHID address (2001:10::/28, deprecated)"),
    ("2001:20::/28", "an ORCHIDv2 address (2001:20::/28)"),
    ("2001::/23", "an IETF protocol assignment address (2001::/23)"),
    ("2001:db8::/32", "a documentation address (2001:db8::/32)"),
    ("3fff::/20", "a documentation address (3fff::/20)"),
    ("fd00:ec2::254/128", "the cloud metadata address"),
    ("fc00::/7", "a unique-local (private) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address (fec0::/10, deprecated)"),
    ("ff00::/8", "a multicast address"),
)
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_LOW_32_BITS = 0xFFFF_FFFF


@dataclass(frozen=True)
class _Wrapped:
    """The IPv4 address an IPv6 address leads to, and in what form it carries it."""

    # "a NAT64 address"; "" for IPv4-mapped, which the socket API treats as the IPv4 address itself.
    form: str
    ipv4: ipaddress.IPv4Address
    # Why the form is refused whatever IPv4 address it carries; "" when it is judged by that address.
    refused: str = ""


@dataclass(frozen=True)
class _Refusal:
    kind: str
    wrapped: _Wrapped | None = None


def _wrapped_ipv4(address: ipaddress.IPv6Address) -> _Wrapped | None:
    """The IPv4 address that `address` carries, for every IPv4-in-IPv6 form; None for a plain IPv6 address."""
    if address.ipv4_mapped is not None:  # ::ffff:0:0/96
        return _Wrapped("", address.ipv4_mapped)
    bits = int(address)
    low = ipaddress.IPv4Address(bits & _LOW_32_BITS)
    # ::/96 and ::ffff:0:0:0/96 (RFC 4291, RFC 2765) are no longer routed anywhere; an old
    # stack may still tunnel them to the IPv4 address, so that address is named when it is
    # not public, and the form is refused when it is.
    if bits >> 32 == 0 and bits > 1:  # :: and ::1 are IPv6's own unspecified and loopback addresses
        return _Wrapped("an IPv4-compatible address", low, refused="a deprecated form that is not routed")
    if bits >> 32 == 0xFFFF_0000:
        return _Wrapped("an IPv4-translated address", low, refused="a deprecated form that is not routed")
    # NAT64 (RFC 6052) and 6to4 (RFC 3056) lead to their IPv4 address, through the local
    # NAT64 gateway or a 6to4 relay, and are allowed when it is public: an IPv6-only
    # deployment behind DNS64 reaches every IPv4-only site through 64:ff9b::/96.
    if address in _NAT64_WELL_KNOWN:
        return _Wrapped("a NAT64 address", low)
    if address.sixtofour is not None:
        return _Wrapped("a 6to4 address", address.sixtofour)
    # Teredo (RFC 4380) is refused whatever it carries: packets go by UDP to the client's NAT
    # mapping, IPv4 address and port both chosen by whoever wrote the address, through a
    # relay or the Teredo server named in bits 32-64. Checking both IPv4 addresses would still
    # let a host with a Teredo interface send to any UDP port of a public host, and no public
    # site is served only over Teredo (the public Teredo servers were shut down years ago).
    if address.teredo is not None:
        _server, client = address.teredo
        return _Wrapped("a Teredo tunnel address", client, refused="a tunnel that is never fetched")
    return None


def _unmapped(address: IPAddress) -> IPAddress:
    # ::ffff:127.0.0.1 is 127.0.0.1 to the socket API.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _refusal(address: IPAddress, *, allow_loopback: bool) -> _Refusal | None:
    """Why `address` may not be reached, or None when it is global unicast."""
    if allow_loopback and _unmapped(address).is_loopback:
        return None
    if isinstance(address, ipaddress.IPv4Address):
        kind = _ipv4_refusal(address)
        return _Refusal(kind) if kind else None
    if wrapped := _wrapped_ipv4(address):
        kind = _ipv4_refusal(wrapped.ipv4) or wrapped.refused
        return _Refusal(kind, wrapped) if kind else None
    kind = _ipv6_refusal(address)
    return _Refusal(kind) if kind else None


def _ipv4_refusal(address: ipaddress.IPv4Address) -> str:
    for network, kind in _IPV4_REFUSED:
        if address in network:
            return kind
    return "" if address.is_global else "an address that is not public"


def _ipv6_refusal(address: ipaddress.IPv6Address) -> str:
    for network, kind in _IPV6_REFUSED:
        if address in network:
            return kind
    if address not in _IPV6_GLOBAL_UNICAST:
        return "a reserved address (outside the global unicast range 2000::/3)"
    return "" if address.is_global else "an address that is not public"


class _AddressRefused(requests.RequestException):
    def __init__(self, url: str, hostname: str, address: IPAddress, refusal: _Refusal) -> None:
        super().__init__(f"{address} is {refusal.kind}")
        self.url = url
        self.hostname = hostname
        self.address = address
        self.kind = refusal.kind
        self.wrapped = refusal.wrapped

    def describe(self) -> str:
        """E.g. "10.0.0.1 is a private address", "intranet.example resolves to 10.0.0.5, a private address",
        "64:ff9b::a00:5 is a NAT64 address for 10.0.0.5, a private address"."""
        try:
            literal = ipaddress.ip_address(self.hostname) == self.address
        except ValueError:
            literal = False
        wrapped = self.wrapped
        if wrapped is not None and not wrapped.form:
            return f"{self.hostname} {'is' if literal else 'resolves to'} {wrapped.ipv4}, {self.kind}"
        what = f"{wrapped.form} for {wrapped.ipv4}, {self.kind}" if wrapped else self.kind
        if literal:
            return f"{self.hostname} is {what}"
        return f"{self.hostname} resolves to {self.address}, {what}"


class _UnresolvableHost(requests.ConnectionError):
    def __init__(self, hostname: str) -> None:
        super().__init__(f"could not resolve {hostname}")
        self.hostname = hostname


class _DeadlineExceeded(requests.Timeout):
    pass


# The deadline of the fetch running in this thread, for the connections it opens.
_active_deadline: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar("fetch_deadline", default=None)


class _Deadline:
    """The total time one fetch may take; when it passes, the fetch's sockets are shut down.

    Socket timeouts bound each read, not the response: a server sending a byte
    every few seconds never trips them, and a buffered read of one body chunk
    waits for the whole chunk. Shutting the sockets down from a timer thread
    ends whatever read is blocked (status line, headers, body) at once.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._expires_at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self._expires_at - time.monotonic()

    def passed(self) -> bool:
        # A read whose timeout was cut to the time remaining can fail just before the timer fires.
        return self.expired or self.remaining() <= 0

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shut_down(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut_down(sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        self._timer.join()


def _shut_down(sock: socket.socket) -> None:
    try:
        # The plain socket method: SSLSocket.shutdown would also drop its TLS state under the
        # reading thread's feet.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _DeadlineWatchedConnection:
    def connect(self) -> None:
        super().connect()
        if (deadline := _active_deadline.get()) is not None:
            deadline.watch(self.sock)


class _WatchedHTTPConnection(_DeadlineWatchedConnection, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_DeadlineWatchedConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _session(deadline: _Deadline) -> requests.Session:
    session = HTTPSession(
        Config(
            ip_filter_enable=True,
            ip_filter_allow_loopback_ips=False,
            never_redirect=False,
            default_timeout=(settings.FACTCHECK_FETCH_CONNECT_TIMEOUT, settings.FACTCHECK_FETCH_READ_TIMEOUT),
            user_agent_override=settings.FACTCHECK_FETCH_USER_AGENT,
        )
    )
    # ip_filter_enable mounts requests-hardened's own adapters, as a fallback; ours replace them below.
    # Otherwise requests honours HTTP(S)_PROXY, where the proxy would resolve the name itself
    # and undo the address check, and sends ~/.netrc passwords to whatever host a URL names.
    session.trust_env = False
    session.max_redirects = MAX_REDIRECTS
    loopback_hosts = tuple(settings.FACTCHECK_FETCH_TEST_HOSTS)
    for prefix, is_https in (("http://", False), ("https://", True)):
        session.mount(
            prefix, CheckedAddressAdapter(is_https_proto=is_https, loopback_hosts=loopback_hosts, deadline=deadline)
        )
    return session


def _checked_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise FetchError("invalid_url", "Cannot fetch an empty URL.")
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("invalid_url", f"Cannot fetch {url}: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme or not parts.netloc:
            raise FetchError("invalid_url", f"Cannot fetch {url}: it is not a full http:// or https:// address.")
        raise FetchError("invalid_url", f"Cannot fetch {url}: only http and https addresses can be fetched.")
    if not parts.hostname:
        raise FetchError("invalid_url", f"Cannot fetch {url}: the address has no host name.")
    if port == 0:
        raise FetchError("invalid_url", f"Cannot fetch {url}: port 0 is not a valid port.")
    return url


def _read_response(
    url: str, response: requests.Response, *, accept: tuple[str, ...], limit: int, deadline: _Deadline
) -> FetchResult:
    final_url = response.url
    status = response.status_code
    if status == HTTPStatus.NOT_MODIFIED and _was_conditional(response):
        return FetchResult(
            url=url,
            final_url=final_url,
            status=status,
            content_type="",
            charset="",
            body=b"",
            text="",
            fetched_at=timezone.now(),
            redirects=[hop.url for hop in response.history[1:]] + [final_url] if response.history else [],
            etag=response.headers.get("ETag", "")[:500],
            last_modified=response.headers.get("Last-Modified", "")[:100],
        )
    if not 200 <= status < 300:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = response.reason or "error"
        transient = status == HTTPStatus.TOO_MANY_REQUESTS or status >= 500
        server = "the server" if final_url == url else f"it redirects to {final_url}, which"
        later = " Trying again later may work." if transient else ""
        raise FetchError(
            "http_status",
            f"Could not fetch {url}: {server} answered {status} {phrase}.{later}",
            transient=transient,
            status=status,
        )

    media_type, declared_charset = _parse_content_type(response.headers.get("Content-Type", ""))
    if media_type and media_type not in accept:
        raise FetchError(
            "content_type",
            f"Refused to fetch {url}: it is {media_type}, not one of the accepted types ({', '.join(accept)}).",
            status=status,
        )
    declared_length = _int_or_none(response.headers.get("Content-Length"))
    if declared_length is not None and declared_length > limit:
        raise FetchError(
            "too_large",
            f"Refused to fetch {url}: it is {_size(declared_length)}, more than the limit of {_size(limit)}.",
            status=status,
        )

    body = bytearray()
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        body += chunk
        if len(body) > limit:
            raise FetchError(
                "too_large", f"Refused to fetch {url}: it is larger than the limit of {_size(limit)}.", status=status
            )
        if deadline.expired:
            break
    if deadline.expired:
        # The watchdog's shutdown can look like a normal end of a body that has no length.
        raise _DeadlineExceeded()
    body = bytes(body)

    if not media_type:
        media_type = _sniff_media_type(body)
        if media_type is None or media_type not in accept:
            raise FetchError(
                "content_type",
                f"Refused to fetch {url}: the server gave no content type and the content does not look like "
                f"one of the accepted types ({', '.join(accept)}).",
                status=status,
            )
    charset = _charset(body, media_type, declared_charset)
    return FetchResult(
        url=url,
        final_url=final_url,
        status=status,
        content_type=media_type,
        charset=charset,
        body=body,
        text=body.decode(charset, errors="replace"),
        fetched_at=timezone.now(),
        redirects=[hop.url for hop in response.history[1:]] + [final_url] if response.history else [],
        etag=response.headers.get("ETag", "")[:500],
        last_modified=response.headers.get("Last-Modified", "")[:100],
    )


def _was_conditional(response: requests.Response) -> bool:
    # A 304 to a request that asked for nothing conditional is the server's error, reported as one.
    sent = response.request.headers
    return "If-None-Match" in sent or "If-Modified-Since" in sent


def _parse_content_type(header: str) -> tuple[str, str | None]:
    media_type, *params = header.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def _sniff_media_type(body: bytes) -> str | None:
    """text/html or text/plain when a body sent without a content type looks like it, else None."""
    head = body[:1024]
    if codec := _bom_codec(head):
        head = head.decode(codec, errors="replace").encode()
        return "text/html" if _HTML_START.match(head) else "text/plain"
    if b"\x00" in head or head.startswith(_BINARY_SIGNATURES):
        return None
    if _HTML_START.match(head):
        return "text/html"
    if body and charset_normalizer.from_bytes(body).best() is None:
        return None
    return "text/plain"


def _charset(body: bytes, media_type: str, declared: str | None) -> str:
    """The codec to decode `body` with: a BOM, the header, an HTML <meta>, then detection."""
    if codec := _bom_codec(body):
        return codec
    if declared and (codec := _codec_name(declared)):
        return codec
    if media_type in HTML_TYPES and (match := _META_CHARSET.search(body[:_META_SCAN_BYTES])):
        codec = _codec_name(match.group(1).decode("ascii"))
        if codec and codec.startswith(("utf-16", "utf-32")):
            # A page whose <meta> could be read as ASCII is not UTF-16 (HTML standard).
            codec = "utf-8"
        if codec:
            return codec
    best = charset_normalizer.from_bytes(body).best()
    if best is not None and (codec := _codec_name(best.encoding)):
        return codec
    return "utf-8"


def _bom_codec(body: bytes) -> str | None:
    return next((codec for bom, codec in _BOMS if body.startswith(bom)), None)


def _codec_name(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip()).name
        b"a".decode(name, errors="replace")  # LookupError for codecs that are not text encodings: "base64"
    except LookupError:
        return None
    # Browsers read latin-1 and ASCII labels as windows-1252, which pages labelled so rely on
    # for curly quotes and dashes (HTML and WHATWG Encoding standards).
    return "cp1252" if name in ("iso8859-1", "ascii") else name


def _fetch_error(url: str, exc: Exception, deadline: _Deadline) -> FetchError:
    if isinstance(exc, _AddressRefused):
        if exc.url == url:
            return FetchError("refused_address", f"Refused to fetch {url}: {exc.describe()}.")
        return FetchError(
            "refused_address", f"Refused to fetch {url}: it redirects to {exc.url}, and {exc.describe()}."
        )
    if deadline.passed() or isinstance(exc, _DeadlineExceeded):
        return FetchError(
            "timeout", f"Gave up fetching {url}: it took longer than {deadline.seconds} seconds.", transient=True
        )
    if isinstance(exc, requests.TooManyRedirects):
        return FetchError(
            "too_many_redirects", f"Gave up fetching {url}: it redirects more than {MAX_REDIRECTS} times."
        )
    if isinstance(exc, requests.exceptions.InvalidSchema):
        # fetch() checked the scheme of `url`, so this came from a redirect.
        return FetchError(
            "invalid_url", f"Cannot fetch {url}: it redirects to an address that is not http or https ({_detail(exc)})."
        )
    if isinstance(exc, (requests.exceptions.InvalidURL, ValueError)):
        target = exc.request.url if getattr(exc, "request", None) is not None else url
        where = url if target == url else f"{url} (redirected to {target})"
        return FetchError("invalid_url", f"Cannot fetch {where}: {_detail(exc)}.")
    if isinstance(exc, requests.ConnectTimeout):
        return FetchError(
            "timeout",
            f"Could not fetch {url}: the server did not accept a connection within "
            f"{settings.FACTCHECK_FETCH_CONNECT_TIMEOUT} seconds.",
            transient=True,
        )
    # Not urllib3's TimeoutError: its NewConnectionError ("connection refused") is one.
    if _caused_by(exc, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)):
        return FetchError(
            "timeout",
            f"Could not fetch {url}: the server stopped answering for more than "
            f"{settings.FACTCHECK_FETCH_READ_TIMEOUT} seconds.",
            transient=True,
        )
    if isinstance(exc, _UnresolvableHost):
        return FetchError(
            "connection", f"Could not fetch {url}: the host name {exc.hostname} was not found.", transient=True
        )
    if isinstance(exc, requests.exceptions.SSLError):
        # A bad certificate does not fix itself in a few minutes.
        return FetchError("connection", f"Could not fetch {url}: secure connection failed ({_detail(exc)}).")
    return FetchError("connection", f"Could not fetch {url}: {_detail(exc)}.", transient=True)


def _caused_by(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    """Whether `exc` or an exception it wraps (requests and urllib3 wrap several deep) is one of `types`."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, types):
            return True
        pending.extend(e for e in (current.__cause__, getattr(current, "reason", None)) if isinstance(e, BaseException))
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def _detail(exc: BaseException) -> str:
    """The innermost explanation in a chain of wrapped exceptions, e.g. "Connection refused"."""
    current: BaseException = exc
    for _ in range(10):
        inner = next(
            (
                e
                for e in (getattr(current, "reason", None), *current.args, current.__cause__)
                if isinstance(e, BaseException)
            ),
            None,
        )
        if inner is None:
            break
        current = inner
    if isinstance(current, OSError) and current.strerror:
        return current.strerror
    text = str(current) or type(current).__name__
    return text.rstrip(".")


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.0f} KB"
    return f"{n} bytes"

"""claims.fetching.fetch against a real HTTP server on 127.0.0.1.

No test sends traffic anywhere else: `connections` refuses (with an
AssertionError) any connection to another address, and host names other than
localhost are resolved by a monkeypatched getaddrinfo.
"""

from __future__ import annotations

import runpy
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from claims.fetching import CheckedAddressAdapter, FetchError, fetch

from .httpserver import LocalHTTPServer

HTML_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Minister’s claim</title></head>'
    "<body><p>Ça marche — “yes”.</p></body></html>"
).encode()
CP1252_TEXT = (
    "Le ministre a déclaré que le déficit était « maîtrisé » – ce qui reste à vérifier. "
    "Selon l’Insee, la dette publique a atteint 3 000 milliards d’€ à la fin de l’année. "
    "Les économistes interrogés jugent cette affirmation “trompeuse” et très exagérée."
)
ENDLESS_TOTAL = 50_000_000
SETTINGS_FILE = Path(__file__).resolve().parent.parent / "factcheck" / "settings.py"
_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture(autouse=True)
def connections(urllib3_connections) -> list[tuple[str, int]]:
    return urllib3_connections


@pytest.fixture
def test_hosts(settings) -> None:
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the names in `answers` to their addresses; returns the names looked up, in order."""
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            lookups.append(host)
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port or 0, 0, 0) if ":" in ip else (ip, port or 0),
                )
                for ip in answers[host]
            ]
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def stream_chunks(request, *, declared_length: int | None = None) -> None:
    """Send up to ENDLESS_TOTAL bytes in 1,000-byte chunks, counting what the client took."""
    stats = request.server.app.stats
    request.send_response(200)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    if declared_length is not None:
        request.send_header("Content-Length", str(declared_length))
    request.end_headers()
    try:
        while stats["sent"] < ENDLESS_TOTAL:
            request.wfile.write(b"x" * 1000)
            stats["sent"] += 1000
    finally:
        stats["done"].set()


def drip(request, data: bytes, *, every: float = 0.05) -> None:
    for i in range(len(data)):
        request.wfile.write(data[i : i + 1])
        time.sleep(every)


@pytest.fixture
def server(monkeypatch):
    with LocalHTTPServer() as server:
        server.stats = {"sent": 0, "done": threading.Event()}
        if _real_getaddrinfo("localhost", server.port, type=socket.SOCK_STREAM)[0][4][0] != "127.0.0.1":
            # Where localhost resolves to ::1 first, the fetcher would connect there; the server
            # listens on 127.0.0.1 only.
            fake_dns(monkeypatch, {"localhost": ["127.0.0.1"]})

        @server.route("/page")
        def page(request):
            request.reply(200, HTML_PAGE)

        @server.route("/plain-cp1252")
        def plain_cp1252(request):
            request.reply(200, CP1252_TEXT.encode("cp1252"), content_type="text/plain")

        @server.route("/meta-charset")
        def meta_charset(request):
            html = f'<html><head><meta charset="windows-1252"></head><body>{CP1252_TEXT}</body></html>'
            request.reply(200, html.encode("cp1252"), content_type="text/html")

        @server.route("/meta-http-equiv")
        def meta_http_equiv(request):
            html = (
                '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
                f"</head><body>{CP1252_TEXT}</body></html>"
            )
            request.reply(200, html.encode("cp1252"), content_type="text/html")

        @server.route("/bogus-charset")
        def bogus_charset(request):
            charset = parse_qs(urlsplit(request.path).query)["charset"][0]
            request.reply(200, CP1252_TEXT.encode("cp1252"), content_type=f"text/plain; charset={charset}")

        @server.route("/pdf")
        def pdf(request):
            request.reply(200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", content_type="application/pdf")

        @server.route("/untyped-binary")
        def untyped_binary(request):
            request.reply(200, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), content_type=None)

        @server.route("/untyped-text")
        def untyped_text(request):
            request.reply(200, b"Just some plain words.\n", content_type=None)

        @server.route("/endless")
        def endless(request):
            stream_chunks(request)

        @server.route("/declared-huge")
        def declared_huge(request):
            stream_chunks(request, declared_length=ENDLESS_TOTAL)

        @server.route("/slow")
        def slow(request):
            time.sleep(3)
            request.reply(200, b"too late")

        @server.route("/drip-body")
        def drip_body(request):
            request.send_response(200)
            request.send_header("Content-Type", "text/plain")
            request.send_header("Content-Length", "1000")
            request.end_headers()
            drip(request, b"x" * 1000)

        @server.route("/drip-headers")
        def drip_headers(request):
            request.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n")
            drip(request, b"X-Padding: " + b"x" * 1000)

        @server.route("/status")
        def status(request):
            code = int(parse_qs(urlsplit(request.path).query)["code"][0])
            request.reply(code, b"<p>error page</p>")

        @server.route("/hops")
        def hops(request):
            left = int(parse_qs(urlsplit(request.path).query)["left"][0])
            if left:
                request.reply(302, headers={"Location": f"/hops?left={left - 1}"})
            else:
                request.reply(200, b"<p>arrived</p>")

        @server.route("/redirect")
        def redirect(request):
            request.reply(302, headers={"Location": parse_qs(urlsplit(request.path).query)["to"][0]})

        @server.route("/redirect-with-endless-body")
        def redirect_with_endless_body(request):
            request.send_response(302)
            request.send_header("Location", "/page")
            request.end_headers()
            while True:
                request.wfile.write(b"x" * 1000)

        yield server


def test_fetches_local_html_page(test_hosts, server):
    result = fetch(server.url("/page"))

    assert result.status == 200
    assert result.url == server.url("/page")
    assert result.final_url == server.url("/page")
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert result.body == HTML_PAGE
    assert "Ça marche — “yes”." in result.text
    assert result.redirects == []
    assert result.fetched_at.tzinfo is not None


def test_sends_configured_user_agent_and_original_host_header(test_hosts, server, settings):
    settings.FACTCHECK_FETCH_USER_AGENT = "FactCheckDesk-test/1.0"

    fetch(server.url("/page"))

    [(_path, headers)] = server.requests
    assert headers["User-Agent"] == "FactCheckDesk-test/1.0"
    assert headers["Host"] == f"localhost:{server.port}"
    assert headers["Accept"] == "text/html, application/xhtml+xml, text/plain"


def settings_with(monkeypatch, **env: str) -> dict:
    """factcheck/settings.py as loaded with these variables (and DJANGO_DEBUG on)."""
    for name in ("SITE_URL", "FACTCHECK_FETCH_USER_AGENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_default_user_agent_names_the_deployment(test_hosts, server, settings, monkeypatch):
    loaded = settings_with(monkeypatch, SITE_URL="https://factcheck.example.org/")
    assert loaded["FACTCHECK_FETCH_USER_AGENT"] == "FactCheckDesk/1.0 (+https://factcheck.example.org)"
    settings.FACTCHECK_FETCH_USER_AGENT = loaded["FACTCHECK_FETCH_USER_AGENT"]

    fetch(server.url("/page"))

    [(_path, headers)] = server.requests
    assert headers["User-Agent"] == "FactCheckDesk/1.0 (+https://factcheck.example.org)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NewsroomBot/2.0 (+https://newsroom.example/bot)", "NewsroomBot/2.0 (+https://newsroom.example/bot)"),
        ("   ", "FactCheckDesk/1.0 (+https://factcheck.example.org)"),
    ],
)
def test_user_agent_variable_overrides_the_default(monkeypatch, value, expected):
    loaded = settings_with(monkeypatch, SITE_URL="https://factcheck.example.org", FACTCHECK_FETCH_USER_AGENT=value)
    assert loaded["FACTCHECK_FETCH_USER_AGENT"] == expected


def test_plain_text_without_charset_is_decoded_with_detected_charset(test_hosts, server):
    result = fetch(server.url("/plain-cp1252"))

    assert result.content_type == "text/plain"
    assert result.text == CP1252_TEXT
    assert result.charset == "cp1252"


@pytest.mark.parametrize("path", ["/meta-charset", "/meta-http-equiv"])
def test_html_without_charset_header_uses_meta_charset(test_hosts, server, path):
    result = fetch(server.url(path))

    assert result.charset == "cp1252"
    assert CP1252_TEXT in result.text


@pytest.mark.parametrize("charset", ["no-such-charset", "base64", "rot13"])
def test_unusable_charset_header_falls_back_to_detection(test_hosts, server, charset):
    result = fetch(server.url(f"/bogus-charset?charset={charset}"))

    assert result.charset == "cp1252"
    assert result.text == CP1252_TEXT


def test_pdf_is_refused_naming_its_type(test_hosts, server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/pdf"))

    assert caught.value.kind == "content_type"
    assert caught.value.message.startswith(f"Refused to fetch {server.url('/pdf')}: it is application/pdf")
    assert not caught.value.transient


def test_binary_body_without_content_type_is_refused(test_hosts, server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/untyped-binary"))

    assert caught.value.kind == "content_type"
    assert "gave no content type" in caught.value.message


def test_text_body_without_content_type_is_accepted_as_plain_text(test_hosts, server):
    result = fetch(server.url("/untyped-text"))

    assert result.content_type == "text/plain"
    assert result.text == "Just some plain words.\n"


def test_body_over_max_bytes_stops_reading_early(test_hosts, server):
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/endless"), max_bytes=10_000)
    elapsed = time.monotonic() - started

    assert caught.value.kind == "too_large"
    assert caught.value.message == f"Refused to fetch {server.url('/endless')}: it is larger than the limit of 10 KB."
    assert elapsed < 3
    # The server notices the closed connection only once the kernel's socket buffers fill up.
    assert server.stats["done"].wait(5)
    assert server.stats["sent"] < ENDLESS_TOTAL / 2


def test_declared_content_length_over_max_bytes_is_refused_before_reading(test_hosts, server):
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/declared-huge"), max_bytes=10_000)

    assert caught.value.kind == "too_large"
    assert "it is 50.0 MB, more than the limit of 10 KB" in caught.value.message
    assert time.monotonic() - started < 3


def test_default_size_limit_comes_from_settings(test_hosts, server, settings):
    settings.FACTCHECK_FETCH_MAX_BYTES = 100

    with pytest.raises(FetchError) as caught:
        fetch(server.url("/page"))

    assert caught.value.kind == "too_large"


def test_server_slower_than_read_timeout_times_out(test_hosts, server, settings):
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 0.5
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        fetch(server.url("/slow"))

    assert caught.value.kind == "timeout"
    assert caught.value.transient
    assert "stopped answering for more than 0.5 seconds" in caught.value.message
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_server_dripping_bytes_is_cut_off_at_total_timeout(test_hosts, server, settings, path):
    # Each byte arrives well within the read timeout; only the total deadline can stop this.
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 10
    settings.FACTCHECK_FETCH_TOTAL_TIMEOUT = 1
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        fetch(server.url(path))

    assert caught.value.kind == "timeout"
    assert caught.value.transient
    assert caught.value.message == f"Gave up fetching {server.url(path)}: it took longer than 1 seconds."
    assert time.monotonic() - started < 3


def test_a_caller_can_shorten_the_total_deadline_but_not_lengthen_it(test_hosts, server, settings):
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 10
    settings.FACTCHECK_FETCH_TOTAL_TIMEOUT = 1
    url = server.url("/drip-body")
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(url, timeout=0.5)
    assert caught.value.message == f"Gave up fetching {url}: it took longer than 0.5 seconds."
    assert time.monotonic() - started < 1
    with pytest.raises(FetchError) as caught:
        fetch(url, timeout=30)
    assert caught.value.message == f"Gave up fetching {url}: it took longer than 1 seconds."


@pytest.mark.parametrize(
    ("code", "transient"),
    [(404, False), (410, False), (429, True), (500, True), (503, True)],
)
def test_http_error_status_is_reported_with_transience(test_hosts, server, code, transient):
    url = server.url(f"/status?code={code}")

    with pytest.raises(FetchError) as caught:
        fetch(url)

    assert caught.value.kind == "http_status"
    assert caught.value.status == code
    assert caught.value.transient is transient
    assert caught.value.message.startswith(f"Could not fetch {url}: the server answered {code} ")


def test_redirect_within_allowed_host_is_followed_and_recorded(test_hosts, server):
    result = fetch(server.url("/hops?left=2"))

    assert result.status == 200
    assert result.text == "<p>arrived</p>"
    assert result.final_url == server.url("/hops?left=0")
    assert result.redirects == [server.url("/hops?left=1"), server.url("/hops?left=0")]


def test_five_redirects_are_followed(test_hosts, server):
    result = fetch(server.url("/hops?left=5"))

    assert len(result.redirects) == 5


def test_six_redirects_are_too_many(test_hosts, server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/hops?left=6"))

    assert caught.value.kind == "too_many_redirects"
    assert caught.value.message == f"Gave up fetching {server.url('/hops?left=6')}: it redirects more than 5 times."


def test_redirect_body_is_not_read(test_hosts, server):
    started = time.monotonic()

    result = fetch(server.url("/redirect-with-endless-body"))

    assert result.final_url == server.url("/page")
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("target", "explanation"),
    [
        ("http://127.0.0.1:{port}/page", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata address"),
    ],
)
def test_redirect_from_allowed_host_to_forbidden_address_is_refused(
    test_hosts, server, connections, target, explanation
):
    target = target.format(port=server.port)
    url = server.url(f"/redirect?to={target}")

    with pytest.raises(FetchError) as caught:
        fetch(url)

    assert caught.value.kind == "refused_address"
    assert caught.value.message == f"Refused to fetch {url}: it redirects to {target}, and {explanation}."
    # Only the first hop, to the test server, was connected.
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.parametrize(
    ("url", "explanation"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://172.16.0.1/", "172.16.0.1 is a private address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata address"),
        ("http://169.254.10.1/", "169.254.10.1 is a link-local address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is 127.0.0.1, a loopback address"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is 10.0.0.1, a private address"),
        ("http://[fd00::1]/", "fd00::1 is a unique-local (private) address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address (240.0.0.0/4)"),
        ("http://192.88.99.1/", "192.88.99.1 is a 6to4 relay anycast address (192.88.99.0/24, deprecated)"),
        ("http://2130706433/", "2130706433 resolves to 127.0.0.1, a loopback address"),
        ("http://0177.0.0.1/", "0177.0.0.1 resolves to 127.0.0.1, a loopback address"),
        ("https://127.0.0.1/", "127.0.0.1 is a loopback address"),
    ],
)
def test_forbidden_address_is_refused_before_connecting(test_hosts, connections, url, explanation):
    with pytest.raises(FetchError) as caught:
        fetch(url)

    assert caught.value.kind == "refused_address"
    assert caught.value.message == f"Refused to fetch {url}: {explanation}."
    assert not caught.value.transient
    assert caught.value.status is None
    assert connections == []


def test_localhost_is_refused_unless_listed_in_test_hosts(server, settings, connections):
    settings.FACTCHECK_FETCH_TEST_HOSTS = []

    with pytest.raises(FetchError) as caught:
        fetch(server.url("/page"))

    assert caught.value.kind == "refused_address"
    assert "localhost resolves to 127.0.0.1, a loopback address" in caught.value.message
    assert connections == []


def test_listing_localhost_does_not_allow_loopback_address_itself(test_hosts, server):
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/page", host="127.0.0.1"))

    assert caught.value.kind == "refused_address"


def test_name_resolving_to_private_address_is_refused(test_hosts, monkeypatch, connections):
    fake_dns(monkeypatch, {"intranet.example": ["10.0.0.5"]})

    with pytest.raises(FetchError) as caught:
        fetch("http://intranet.example/wiki")

    assert caught.value.kind == "refused_address"
    assert caught.value.message == (
        "Refused to fetch http://intranet.example/wiki: intranet.example resolves to 10.0.0.5, a private address."
    )
    assert connections == []


@pytest.mark.parametrize(
    "addresses",
    [["93.184.215.14", "10.0.0.5"], ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:192.168.0.1"]],
)
def test_name_resolving_to_any_private_address_is_refused(test_hosts, monkeypatch, connections, addresses):
    fake_dns(monkeypatch, {"mixed.example": addresses})

    with pytest.raises(FetchError) as caught:
        fetch("https://mixed.example/")

    assert caught.value.kind == "refused_address"
    assert "mixed.example resolves to" in caught.value.message
    assert connections == []


def test_unknown_host_name_is_a_transient_connection_error(test_hosts, monkeypatch, connections):
    def getaddrinfo(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    with pytest.raises(FetchError) as caught:
        fetch("https://no-such-host.example/")

    assert caught.value.kind == "connection"
    assert caught.value.transient
    assert caught.value.message == (
        "Could not fetch https://no-such-host.example/: the host name no-such-host.example was not found."
    )


def test_connection_goes_to_the_address_that_was_checked(test_hosts, server, monkeypatch, connections):
    # A second lookup would get a private address (DNS rebinding); there must be none.
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "localhost":
            lookups.append(host)
            ip = "127.0.0.1" if len(lookups) == 1 else "10.0.0.9"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    result = fetch(server.url("/page"))

    assert result.status == 200
    assert lookups == ["localhost"]
    assert connections == [("127.0.0.1", server.port)]


def test_each_redirect_hop_resolves_its_host_once(test_hosts, server, monkeypatch):
    lookups = fake_dns(monkeypatch, {"localhost": ["127.0.0.1"]})

    fetch(server.url("/hops?left=2"))

    assert lookups == ["localhost", "localhost", "localhost"]


def test_https_connection_is_pinned_but_verifies_the_host_name(monkeypatch):
    fake_dns(monkeypatch, {"news.example": ["93.184.215.14"]})
    adapter = CheckedAddressAdapter(is_https_proto=True)
    request = requests.Request("GET", "https://news.example/story").prepare()

    host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(request, verify=True)

    assert host_params == {"scheme": "https", "host": "93.184.215.14", "port": None}
    assert pool_kwargs["assert_hostname"] == "news.example"
    assert pool_kwargs["server_hostname"] == "news.example"
    assert request.headers["Host"] == "news.example"


@pytest.mark.parametrize(
    ("url", "explanation"),
    [
        ("ftp://example.com/file.txt", "only http and https addresses can be fetched"),
        ("file:///etc/passwd", "it is not a full http:// or https:// address"),
        ("javascript:alert(1)", "it is not a full http:// or https:// address"),
        ("/articles/42", "it is not a full http:// or https:// address"),
        ("example.com/page", "it is not a full http:// or https:// address"),
        ("http:///path", "the address has no host name"),
        ("http://:80/", "the address has no host name"),
        ("http://example.com:99999/", "Port out of range 0-65535"),
        ("http://example.com:http/", "Port could not be cast to integer value as 'http'"),
        ("http://example.com:0/", "port 0 is not a valid port"),
        ("http://[::1/", "Invalid IPv6 URL"),
    ],
)
def test_non_http_or_malformed_url_is_invalid(connections, url, explanation):
    with pytest.raises(FetchError) as caught:
        fetch(url)

    assert caught.value.kind == "invalid_url"
    assert caught.value.message == f"Cannot fetch {url}: {explanation}."
    assert connections == []


@pytest.mark.parametrize("url", ["", "   ", None])
def test_missing_url_is_invalid(url):
    with pytest.raises(FetchError) as caught:
        fetch(url)

    assert caught.value.kind == "invalid_url"


def test_redirect_to_non_http_url_is_invalid(test_hosts, server):
    url = server.url("/redirect?to=file:///etc/passwd")

    with pytest.raises(FetchError) as caught:
        fetch(url)

    assert caught.value.kind == "invalid_url"
    assert caught.value.message == (
        f"Cannot fetch {url}: it redirects to an address that is not http or https "
        "(No connection adapters were found for 'file:///etc/passwd')."
    )


def test_error_status_after_redirect_names_the_final_url(test_hosts, server):
    url = server.url("/redirect?to=/status?code=404")

    with pytest.raises(FetchError) as caught:
        fetch(url)

    assert caught.value.status == 404
    assert caught.value.message == (
        f"Could not fetch {url}: it redirects to {server.url('/status?code=404')}, which answered 404 Not Found."
    )


def test_closed_port_is_a_transient_connection_error(test_hosts):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused

        with pytest.raises(FetchError) as caught:
            fetch(f"http://localhost:{port}/")

    assert caught.value.kind == "connection"
    assert caught.value.transient
    assert caught.value.message == f"Could not fetch http://localhost:{port}/: Connection refused."

"""Which addresses the safe fetcher may reach (claims.fetching), decided before any connection.

Host names resolve through a fake getaddrinfo; no test connects anywhere
(`urllib3_connections` records every attempt, and each test asserts there was none).
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
import requests

from claims.fetching import CheckedAddressAdapter, FetchError, check_url, fetch

HOST = "sources.example"
URL = f"https://{HOST}/report"


@pytest.fixture
def connections(urllib3_connections) -> list[tuple[str, int]]:
    return urllib3_connections


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names to answer and their addresses; any other look-up fails the test."""
    answers: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        assert host in answers, f"unexpected DNS look-up of {host}"
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

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def refusal_message(call, url: str) -> str:
    with pytest.raises(FetchError) as caught:
        call(url)
    assert caught.value.kind == "refused_address"
    assert not caught.value.transient
    return caught.value.message


CALLS = {"check_url": (check_url, "Refused"), "fetch": (fetch, "Refused to fetch")}

# What a host name resolves to, and how the refusal explains it (after "resolves to ").
REFUSED_ANSWERS = [
    # IPv4-in-IPv6: each judged by the IPv4 address it leads to.
    ("::ffff:127.0.0.1", "127.0.0.1, a loopback address"),
    ("::ffff:10.1.2.3", "10.1.2.3, a private address"),
    ("::127.0.0.1", "::7f00:1, an IPv4-compatible address for 127.0.0.1, a loopback address"),
    ("::10.0.0.1", "::a00:1, an IPv4-compatible address for 10.0.0.1, a private address"),
    ("::2", '::2, an IPv4-compatible address for 0.0.0.2, a "this network" address (0.0.0.0/8)'),
    (
        "::93.184.215.14",
        "::5db8:d70e, an IPv4-compatible address for 93.184.215.14, a deprecated form that is not routed",
    ),
    ("::ffff:0:7f00:1", "::ffff:0:7f00:1, an IPv4-translated address for 127.0.0.1, a loopback address"),
    (
        "::ffff:0:5db8:d70e",
        "::ffff:0:5db8:d70e, an IPv4-translated address for 93.184.215.14, a deprecated form that is not routed",
    ),
    ("64:ff9b::7f00:1", "64:ff9b::7f00:1, a NAT64 address for 127.0.0.1, a loopback address"),
    ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe, a NAT64 address for 169.254.169.254, the cloud metadata address"),
    ("64:ff9b::6440:1", "64:ff9b::6440:1, a NAT64 address for 100.64.0.1, a shared (carrier-grade NAT) address"),
    (
        "64:ff9b:1::5db8:d70e",
        "64:ff9b:1::5db8:d70e, a local-use NAT64 address (64:ff9b:1::/48), which only the local network can translate",
    ),
    ("2002:7f00:1::", "2002:7f00:1::, a 6to4 address for 127.0.0.1, a loopback address"),
    ("2002:c0a8:101::1", "2002:c0a8:101::1, a 6to4 address for 192.168.1.1, a private address"),
    ("2002:c612:1::1", "2002:c612:1::1, a 6to4 address for 198.18.0.1, a benchmarking address (198.18.0.0/15)"),
    (
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "2001:0:4136:e378:8000:63bf:80ff:fffe, a Teredo tunnel address for 127.0.0.1, a loopback address",
    ),
    (
        "2001:0:4136:e378:8000:63bf:a247:28f1",
        "2001:0:4136:e378:8000:63bf:a247:28f1, a Teredo tunnel address for 93.184.215.14, "
        "a tunnel that is never fetched",
    ),
    # IPv6's own special ranges.
    ("::", "::, an unspecified address"),
    ("::1", "::1, a loopback address"),
    ("fec0::1", "fec0::1, a site-local address (fec0::/10, deprecated)"),
    ("feff::1", "feff::1, a site-local address (fec0::/10, deprecated)"),
    ("fc00::1", "fc00::1, a unique-local (private) address"),
    ("fd12:3456::1", "fd12:3456::1, a unique-local (private) address"),
    ("fd00:ec2::254", "fd00:ec2::254, the cloud metadata address"),
    ("fe80::1", "fe80::1, a link-local address"),
    ("ff02::1", "ff02::1, a multicast address"),
    ("ff0e::1", "ff0e::1, a multicast address"),
    ("2001:db8::1", "2001:db8::1, a documentation address (2001:db8::/32)"),
    ("3fff::1", "3fff::1, a documentation address (3fff::/20)"),
    ("3fff:fff:ffff::1", "3fff:fff:ffff::1, a documentation address (3fff::/20)"),
    ("2001:2::1", "2001:2::1, a benchmarking address (2001:2::/48)"),
    ("2001:20::1", "2001:20::1, an ORCHIDv2 address (2001:20::/28)"),
    ("2001:10::1", "2001:10::1, an ORCHID address (2001:10::/28, deprecated)"),
    ("2001:1::1", "2001:1::1, an IETF protocol assignment address (2001::/23)"),
    ("2001:1ff::1", "2001:1ff::1, an IETF protocol assignment address (2001::/23)"),
    ("100::1", "100::1, a discard-only address (100::/64)"),
    ("100:0:0:1::1", "100:0:0:1::1, a reserved address (outside the global unicast range 2000::/3)"),
    ("5f00::1", "5f00::1, a reserved address (outside the global unicast range 2000::/3)"),
    ("4000::1", "4000::1, a reserved address (outside the global unicast range 2000::/3)"),
    # IPv4.
    ("0.0.0.0", "0.0.0.0, an unspecified address"),  # noqa: S104 (an answer to refuse, not a bind)
    ("0.1.2.3", '0.1.2.3, a "this network" address (0.0.0.0/8)'),
    ("10.0.0.5", "10.0.0.5, a private address"),
    ("172.31.255.254", "172.31.255.254, a private address"),
    ("192.168.0.1", "192.168.0.1, a private address"),
    ("100.64.0.1", "100.64.0.1, a shared (carrier-grade NAT) address"),
    ("100.127.255.254", "100.127.255.254, a shared (carrier-grade NAT) address"),
    ("127.0.0.1", "127.0.0.1, a loopback address"),
    ("127.255.255.254", "127.255.255.254, a loopback address"),
    ("169.254.169.254", "169.254.169.254, the cloud metadata address"),
    ("169.254.0.1", "169.254.0.1, a link-local address"),
    ("192.0.0.1", "192.0.0.1, an IETF protocol assignment address (192.0.0.0/24)"),
    ("192.0.0.9", "192.0.0.9, an IETF protocol assignment address (192.0.0.0/24)"),
    ("192.0.0.170", "192.0.0.170, an IETF protocol assignment address (192.0.0.0/24)"),
    ("192.0.2.1", "192.0.2.1, a documentation address (192.0.2.0/24)"),
    ("198.51.100.1", "198.51.100.1, a documentation address (198.51.100.0/24)"),
    ("203.0.113.1", "203.0.113.1, a documentation address (203.0.113.0/24)"),
    ("198.18.0.1", "198.18.0.1, a benchmarking address (198.18.0.0/15)"),
    ("198.19.255.254", "198.19.255.254, a benchmarking address (198.18.0.0/15)"),
    ("192.88.99.1", "192.88.99.1, a 6to4 relay anycast address (192.88.99.0/24, deprecated)"),
    ("224.0.0.1", "224.0.0.1, a multicast address"),
    ("239.255.255.250", "239.255.255.250, a multicast address"),
    ("240.0.0.1", "240.0.0.1, a reserved address (240.0.0.0/4)"),
    ("255.255.255.254", "255.255.255.254, a reserved address (240.0.0.0/4)"),
    ("255.255.255.255", "255.255.255.255, the broadcast address"),
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(("address", "explanation"), REFUSED_ANSWERS)
def test_host_resolving_to_a_non_global_address_is_refused_naming_it(dns, connections, call, address, explanation):
    dns[HOST] = [address]
    function, refused = CALLS[call]

    message = refusal_message(function, URL)

    assert message == f"{refused} {URL}: {HOST} resolves to {explanation}."
    assert connections == []


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:a00:1::1", "::ffff:0:7f00:1", "fec0::1"])
def test_one_refused_address_among_public_ones_refuses_the_host(dns, connections, call, address):
    dns[HOST] = ["93.184.215.14", "2606:4700::1111", address]
    function, _ = CALLS[call]

    message = refusal_message(function, URL)

    assert f"{HOST} resolves to {ipaddress.ip_address(address)}, " in message
    assert connections == []


# A URL naming an address itself, and how the refusal explains it (after "Refused URL: ").
REFUSED_LITERALS = [
    ("http://[::127.0.0.1]/", "::127.0.0.1 is an IPv4-compatible address for 127.0.0.1, a loopback address"),
    ("http://[::ffff:0:7f00:1]/", "::ffff:0:7f00:1 is an IPv4-translated address for 127.0.0.1, a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is 127.0.0.1, a loopback address"),
    ("http://[0:0:0:0:0:ffff:a9fe:a9fe]/", "0:0:0:0:0:ffff:a9fe:a9fe is 169.254.169.254, the cloud metadata address"),
    ("http://[fec0::1]/", "fec0::1 is a site-local address (fec0::/10, deprecated)"),
    ("http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1 is a NAT64 address for 127.0.0.1, a loopback address"),
    ("http://[64:ff9b::10.0.0.1]:8080/", "64:ff9b::10.0.0.1 is a NAT64 address for 10.0.0.1, a private address"),
    ("http://[2002:7f00:1::]/", "2002:7f00:1:: is a 6to4 address for 127.0.0.1, a loopback address"),
    (
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
        "2001:0:4136:e378:8000:63bf:80ff:fffe is a Teredo tunnel address for 127.0.0.1, a loopback address",
    ),
    ("http://[fe80::1%25eth0]/", "fe80::1%25eth0 is a link-local address"),
    ("https://[2001:db8::1]/", "2001:db8::1 is a documentation address (2001:db8::/32)"),
    ("http://[100::1]/", "100::1 is a discard-only address (100::/64)"),
    ("http://198.18.0.1/", "198.18.0.1 is a benchmarking address (198.18.0.0/15)"),
    ("http://255.255.255.255/", "255.255.255.255 is the broadcast address"),
]


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(("url", "explanation"), REFUSED_LITERALS)
def test_url_naming_a_non_global_address_is_refused_without_a_look_up(dns, connections, call, url, explanation):
    function, refused = CALLS[call]

    message = refusal_message(function, url)

    assert message == f"{refused} {url}: {explanation}."
    assert connections == []


# Every IANA special-purpose range that is not globally reachable, and the other ranges
# refused whole: the first and last address of each.
REFUSED_NETWORKS = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "100:0:0:1::/64",
    "2001::/23",
    "2001::/32",
    "2001:2::/48",
    "2001:10::/28",
    "2001:20::/28",
    "2001:db8::/32",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
]


@pytest.mark.parametrize("network", REFUSED_NETWORKS)
def test_every_address_of_a_refused_range_is_refused(dns, connections, network):
    network = ipaddress.ip_network(network)
    for address in (network.network_address, network.broadcast_address):
        dns[HOST] = [str(address)]
        assert refusal_message(check_url, URL).startswith(f"Refused {URL}: {HOST} resolves to "), address
    assert connections == []


# Public addresses, and wrappings of a public IPv4 address that lead to it.
ALLOWED = [
    "93.184.215.14",
    "1.1.1.1",
    "192.31.196.1",  # AS112, globally reachable
    "2606:4700::1111",
    "2a00:1450:4001:81c::200e",
    "2620:4f:8000::1",  # AS112 direct delegation, globally reachable
    "::ffff:93.184.215.14",
    "64:ff9b::5db8:d70e",  # NAT64 for 93.184.215.14
    "2002:5db8:d70e::1",  # 6to4 for 93.184.215.14
]


@pytest.mark.parametrize("address", ALLOWED)
def test_host_resolving_to_a_global_address_is_allowed_and_pinned_to_it(dns, connections, address):
    dns[HOST] = [address]

    assert check_url(f" {URL} ") == URL

    adapter = CheckedAddressAdapter(is_https_proto=True)
    request = requests.Request("GET", URL).prepare()
    host_params, _ = adapter.build_connection_pool_key_attributes(request, verify=True)
    pinned = ipaddress.ip_address(address)
    assert host_params["host"] == (f"[{pinned}]" if pinned.version == 6 else str(pinned))
    assert connections == []


@pytest.mark.parametrize("url", ["http://[2606:4700::1111]/", "http://[64:ff9b::93.184.215.14]/", "http://1.1.1.1/"])
def test_url_naming_a_global_address_is_allowed(dns, connections, url):
    assert check_url(url) == url
    assert connections == []


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_listed_test_host_may_resolve_to_loopback(dns, connections, settings, address):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    dns["localhost"] = [address]

    assert check_url("http://localhost:8000/page") == "http://localhost:8000/page"
    assert connections == []


@pytest.mark.parametrize(
    "address", ["::127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::", "10.0.0.1", "fec0::1"]
)
def test_listed_test_host_may_not_resolve_to_a_wrapped_loopback_or_other_address(dns, connections, settings, address):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    dns["localhost"] = [address]

    assert "localhost resolves to" in refusal_message(check_url, "http://localhost:8000/page")
    assert connections == []


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_loopback_is_refused_for_hosts_not_listed(dns, connections, settings, address):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    dns["elsewhere.example"] = [address]

    message = refusal_message(check_url, "http://elsewhere.example/")

    assert message == f"Refused http://elsewhere.example/: elsewhere.example resolves to {address}, a loopback address."
    assert connections == []

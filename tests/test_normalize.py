from __future__ import annotations

import pytest

from claims.normalize import content_hash, normalize_url, url_host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Example.COM/a?b=1#frag", "https://example.com/a?b=1"),
        ("http://example.com:80/", "http://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/?utm_source=t&utm_medium=s&id=4&fbclid=z", "https://example.com/?id=4"),
        ("https://example.com/?b=2&a=1", "https://example.com/?a=1&b=2"),
        ("  https://bücher.example/  ", "https://xn--bcher-kva.example/"),
        ("", ""),
    ],
)
def test_normalize_url(raw, expected):
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw", ["ftp://example.com/x", "javascript:alert(1)", "/relative/path", "https://", "http://x:99999/"]
)
def test_normalize_url_refuses_what_is_not_an_http_url(raw):
    with pytest.raises(ValueError):
        normalize_url(raw)


def test_url_host_drops_www():
    assert url_host("https://WWW.PressTV.ir/Detail/1") == "presstv.ir"


def test_content_hash_ignores_case_and_white_space_but_not_words():
    assert content_hash("The  Minister\nsaid.") == content_hash("the minister said.")
    assert content_hash("The minister said.") != content_hash("The minister denied.")
    assert content_hash("   ") == ""

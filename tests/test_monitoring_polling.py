"""Outlet monitoring against a real HTTP server on 127.0.0.1: discovery, polling,
conditional requests, one article per story, bad input, backoff, concurrency."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from claims.evidence.snapshots import reserve_host
from claims.intake import ingestion
from claims.models import Article, OutboxMessage, WatchedItem, WatchedSource
from claims.monitoring import discovery, polling

from .factories import OutletFactory
from .httpserver import LocalHTTPServer

pytestmark = pytest.mark.django_db

ETAG = '"v1"'


def rss(base: str, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}{link}</link>"
        f"<pubDate>Tue, 12 May 2026 0{i}:00:00 GMT</pubDate></item>"
        for i, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title>{items}</channel></rss>'.encode()


def atom(base: str, links: list[str]) -> bytes:
    entries = "".join(
        f'<entry><title>Atom {i}</title><link href="{base}{link}"/><id>{base}{link}</id>'
        f"<updated>2026-05-12T10:00:00Z</updated></entry>"
        for i, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Daily</title><id>{base}/atom.xml</id><updated>2026-05-12T10:00:00Z</updated>{entries}</feed>"
    ).encode()


def urlset(base: str, links: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}{link}</loc><lastmod>2026-05-11</lastmod></url>" for link in links)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def news_sitemap(base: str, links: list[str]) -> bytes:
    urls = "".join(
        f"<url><loc>{base}{link}</loc><news:news><news:publication><news:name>Daily</news:name>"
        "<news:language>en</news:language></news:publication>"
        "<news:publication_date>2026-05-12T08:30:00+00:00</news:publication_date>"
        f"<news:title>News {link}</news:title></news:news></url>"
        for link in links
    )
    return (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    ).encode()


def index(base: str, children: list[str]) -> bytes:
    maps = "".join(f"<sitemap><loc>{base}{child}</loc><lastmod>2026-05-12</lastmod></sitemap>" for child in children)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'.encode()


def article_page(n: int) -> bytes:
    return (
        f"<!doctype html><html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
        f"<p>Paragraph one of story number {n}, which is long enough to be the main text of the page.</p>"
        f"<p>The minister said unemployment fell by {n} percent last year in the northern region.</p>"
        "</article></body></html>"
    ).encode()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>'
)


class Site:
    """An outlet's site: feeds, sitemaps, robots.txt and articles, each conditional on its ETag."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.server = server
        self.base = server.url("")
        self.documents: dict[str, tuple[bytes, str]] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()

    def serve(self, path: str, body: bytes, content_type: str = "application/xml", *, etag: str = ETAG) -> None:
        self.documents[path] = (body, content_type)

        def handler(request, path=path):
            with self._lock:
                self.hits[path] = self.hits.get(path, 0) + 1
            body, content_type = self.documents[path]
            if request.headers.get("If-None-Match") == etag:
                request.reply(304, b"", content_type=None, headers={"ETag": etag})
            else:
                request.reply(200, body, content_type=content_type, headers={"ETag": etag})

        self.server.route(path)(handler)


@pytest.fixture
def site(settings):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 0
    # Articles wait in the outbox: these tests are about what polling submits.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with LocalHTTPServer() as server:
        s = Site(server)
        b = s.base
        s.serve("/rss.xml", rss(b, ["/a1?utm_source=rss", "/a2"]), "application/rss+xml")
        s.serve("/atom.xml", atom(b, ["/a2", "/a3"]), "application/atom+xml")
        s.serve("/sitemap_index.xml", index(b, ["/sitemap-1.xml", "/sitemap-2.xml"]))
        s.serve("/sitemap-1.xml", urlset(b, ["/a1", "/a4"]))
        s.serve("/sitemap-2.xml", urlset(b, ["/a5"]))
        s.serve("/news-sitemap.xml", news_sitemap(b, ["/a6"]), "text/xml")
        s.serve(
            "/robots.txt",
            f"User-agent: *\nDisallow: /private\nSitemap: {b}/sitemap_index.xml\nsitemap: {b}/news-sitemap.xml\n".encode(),
            "text/plain",
        )
        s.serve(
            "/",
            (
                "<!doctype html><html><head><title>Daily</title>"
                f'<link rel="alternate" type="application/rss+xml" title="Daily RSS" href="{b}/rss.xml">'
                '<link rel="alternate" type="application/atom+xml" title="Daily Atom" href="/atom.xml">'
                '<link rel="alternate" hreflang="fr" href="/fr/">'
                "</head><body><p>Home</p></body></html>"
            ).encode(),
            "text/html; charset=utf-8",
            etag="",
        )
        for n in range(1, 7):
            s.serve(f"/a{n}", article_page(n), "text/html; charset=utf-8", etag="")
        yield s


def watch(site: Site, path: str, kind: str, outlet=None, **fields) -> WatchedSource:
    outlet = outlet or OutletFactory(domain="localhost", name="Daily")
    return WatchedSource.objects.create(outlet=outlet, kind=kind, url=site.base + path, **fields)


def watch_all(site: Site) -> list[WatchedSource]:
    outlet = OutletFactory(domain="localhost", name="Daily")
    return [
        watch(site, "/rss.xml", "feed", outlet),
        watch(site, "/atom.xml", "feed", outlet),
        watch(site, "/sitemap_index.xml", "sitemap", outlet),
        watch(site, "/news-sitemap.xml", "sitemap", outlet),
    ]


def test_discovery_finds_the_feeds_and_the_sitemaps_and_offers_them_switched_off(site):
    found = discovery.discover(site.base + "/")
    assert found.problems == []
    assert {(f.kind, f.url) for f in found.found} == {
        ("feed", site.base + "/rss.xml"),
        ("feed", site.base + "/atom.xml"),
        ("sitemap", site.base + "/sitemap_index.xml"),
        ("sitemap", site.base + "/news-sitemap.xml"),
    }
    outlet = OutletFactory(domain="localhost")
    offered = discovery.offer(outlet, found)
    assert len(offered) == 4 and not any(source.enabled for source in offered)
    assert {s.title for s in offered if s.kind == "feed"} == {"Daily RSS", "Daily Atom"}
    # Offering again adds nothing, and switched-off sources are never polled.
    assert discovery.offer(outlet, found) == []
    assert polling.poll_due() == []


def test_a_poll_ingests_every_new_article_once_and_a_304_creates_nothing(site):
    sources = watch_all(site)
    results = polling.poll_due()
    assert sorted(r.outcome for r in results) == ["new"] * 4, [r.error for r in results]
    # a1 (from the RSS feed with a tracking parameter, and the sitemap), a2 (RSS and Atom): one article each.
    urls = sorted(Article.objects.values_list("url", flat=True))
    assert urls == [f"{site.base}/a{n}" for n in range(1, 7)]
    assert OutboxMessage.objects.filter(task=ingestion.INGEST_TASK).count() == 6
    assert WatchedItem.objects.count() == 2 + 2 + 3 + 1
    rss_source = WatchedSource.objects.get(pk=sources[0].pk)
    assert rss_source.items_seen == 2 and rss_source.etag == ETAG and rss_source.last_error == ""
    assert rss_source.next_poll_at - rss_source.last_success_at == dt.timedelta(minutes=15)
    # Dates from the feed and the news sitemap are kept on the new articles.
    assert Article.objects.get(url=f"{site.base}/a1").published_at == dt.datetime(2026, 5, 12, 0, tzinfo=dt.UTC)
    assert Article.objects.get(url=f"{site.base}/a6").published_at == dt.datetime(2026, 5, 12, 8, 30, tzinfo=dt.UTC)

    hits_before = dict(site.hits)
    for source in sources:
        assert polling.poll_now(source.pk).outcome == "not modified"
    assert Article.objects.count() == 6 and WatchedItem.objects.count() == 8
    # The index answered 304, so its children were not asked for again.
    assert site.hits["/sitemap-1.xml"] == hits_before["/sitemap-1.xml"]
    conditional = [h for path, h in site.server.requests if path == "/rss.xml"][-1]
    assert conditional["If-None-Match"] == ETAG


def test_the_page_date_wins_over_none_and_the_feed_date_stays_when_the_page_has_none(site):
    source = watch(site, "/rss.xml", "feed")
    polling.poll_now(source.pk)
    article = Article.objects.get(url=f"{site.base}/a2")
    assert ingestion.ingest(article.pk) == "fetched"
    article.refresh_from_db()
    assert article.text and article.published_at == dt.datetime(2026, 5, 12, 1, tzinfo=dt.UTC)


def test_a_changed_feed_submits_only_its_new_entries(site):
    source = watch(site, "/rss.xml", "feed")
    polling.poll_now(source.pk)
    site.documents["/rss.xml"] = (rss(site.base, ["/a2", "/a3"]), "application/rss+xml")
    site.serve("/rss.xml", rss(site.base, ["/a2", "/a3"]), "application/rss+xml", etag='"v2"')
    result = polling.poll_now(source.pk)
    assert result.outcome == "new" and result.new_articles == 1
    assert Article.objects.count() == 3
    source.refresh_from_db()
    assert source.items_seen == 3 and source.etag == '"v2"'


def test_include_and_exclude_patterns_pick_the_entries(site):
    source = watch(site, "/sitemap_index.xml", "sitemap", include_patterns="/a[1-4]$", exclude_patterns="a4")
    polling.poll_now(source.pk)
    assert list(Article.objects.values_list("url", flat=True)) == [f"{site.base}/a1"]


def test_bad_patterns_are_refused_with_the_line_and_the_reason():
    source = WatchedSource(
        outlet=OutletFactory(), kind="feed", url="https://example.org/feed", include_patterns="ok\n(a"
    )
    with pytest.raises(ValidationError) as exc:
        source.full_clean()
    message = str(exc.value.message_dict["include_patterns"])
    assert "Line 2, '(a', is not a valid regular expression" in message and "missing )" in message
    source.include_patterns, source.interval_minutes = "", 1
    with pytest.raises(ValidationError) as exc:
        source.full_clean()
    assert "interval_minutes" in exc.value.message_dict


def bad_routes(site: Site, server: LocalHTTPServer) -> dict[str, str]:
    """Each bad source's path and the words its error must hold."""
    site.serve("/malformed.xml", b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>x</url>')
    site.serve("/html-feed.xml", b"<!doctype html><html><body>Home</body></html>", "application/rss+xml")
    site.serve("/html-typed.xml", b"<html><body>Home</body></html>", "text/html")
    site.serve("/laughs.xml", BILLION_LAUGHS)
    site.serve("/laughs-feed.xml", BILLION_LAUGHS.replace(b"urlset", b"rss"), "application/rss+xml")

    @server.route("/huge.xml")
    def huge(request):
        # 50 MB with no Content-Length: the fetcher's cap must stop the read.
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.end_headers()
        chunk = b"<item>" + b"x" * 65530
        for _ in range(50_000_000 // len(chunk)):
            request.wfile.write(chunk)

    @server.route("/to-private.xml")
    def to_private(request):
        request.reply(302, b"", headers={"Location": "http://10.0.0.7/feed.xml"})

    @server.route("/slow.xml")
    def slow(request):
        time.sleep(2.5)
        request.reply(200, rss(site.base, ["/a1"]), content_type="application/rss+xml")

    return {
        "/malformed.xml": "the XML is malformed",
        "/html-feed.xml": "is an HTML page, not a feed",
        "/html-typed.xml": "is an HTML page, not a feed",
        "/laughs.xml": "declares XML entities",
        "/laughs-feed.xml": "declares XML entities",
        "/huge.xml": "larger than the limit of 5.0 MB",
        "/to-private.xml": "redirects to http://10.0.0.7/feed.xml, and",
        "/slow.xml": "stopped answering for more than 1 seconds",
    }


def test_bad_input_is_recorded_on_each_source_in_plain_words_and_others_keep_polling(site, settings):
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 1
    expected = bad_routes(site, site.server)
    outlet = OutletFactory(domain="localhost")
    bad = {
        path: watch(site, path, "sitemap" if path in ("/malformed.xml", "/laughs.xml") else "feed", outlet)
        for path in expected
    }
    good = watch(site, "/rss.xml", "feed", outlet)
    results = {r.source_id: r for r in polling.poll_due()}
    assert results[good.pk].outcome == "new"
    assert Article.objects.count() == 2
    for path, words in expected.items():
        source = WatchedSource.objects.get(pk=bad[path].pk)
        assert results[source.pk].outcome == "failed"
        assert words in source.last_error, (path, source.last_error)
        assert source.url in source.last_error
        assert source.consecutive_failures == 1 and source.last_success_at is None
    # A private address was never connected to: the redirect's target was refused.
    assert not WatchedItem.objects.filter(source__in=bad.values()).exists()


def test_an_unexpected_error_is_recorded_and_the_next_source_is_polled(site, monkeypatch):
    broken, good = watch(site, "/atom.xml", "feed"), None
    good = WatchedSource.objects.create(outlet=broken.outlet, kind="feed", url=site.base + "/rss.xml")
    real = polling.parse_feed

    def parse_feed(body, url):
        if url.endswith("/atom.xml"):
            raise KeyError("surprise")
        return real(body, url)

    monkeypatch.setattr(polling, "parse_feed", parse_feed)
    outcomes = {r.source_id: r.outcome for r in polling.poll_due()}
    assert outcomes == {broken.pk: "failed", good.pk: "new"}
    broken.refresh_from_db()
    assert "failed unexpectedly (KeyError)" in broken.last_error


def test_three_failures_in_a_row_back_off_and_show_failing_and_a_success_resets(site, client, superuser):
    state = {"up": False}

    @site.server.route("/flaky.xml")
    def flaky(request):
        if state["up"]:
            request.reply(200, rss(site.base, ["/a1"]), content_type="application/rss+xml")
        else:
            request.reply(503, b"down", content_type="text/plain")

    source = watch(site, "/flaky.xml", "feed", interval_minutes=10)
    waits = []
    for _ in range(3):
        assert polling.poll_now(source.pk).outcome == "failed"
        source.refresh_from_db()
        waits.append(source.next_poll_at - source.last_polled_at)
    assert waits == [dt.timedelta(minutes=10), dt.timedelta(minutes=20), dt.timedelta(minutes=40)]
    assert source.is_failing and "503 Service Unavailable" in source.last_error
    # Not due at its normal interval any more.
    assert polling.due_source_ids(now=source.last_polled_at + dt.timedelta(minutes=11)) == []

    client.force_login(superuser)
    page = client.get(reverse("admin:claims_watchedsource_changelist"), {"health": "failing"}).content.decode()
    assert "FAILING (3 in a row)" in page and "503 Service Unavailable" in page

    state["up"] = True
    assert polling.poll_now(source.pk).outcome == "new"
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.last_error == "" and not source.is_failing
    assert source.next_poll_at - source.last_success_at == dt.timedelta(minutes=10)


def test_a_host_the_link_checker_just_asked_is_left_until_its_slot_is_free(site, settings):
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 30
    source = watch(site, "/rss.xml", "feed")
    assert reserve_host("localhost") == 0  # the link checker's request
    assert polling.poll_now(source.pk).outcome == "host busy"
    source.refresh_from_db()
    assert "/rss.xml" not in site.hits
    assert dt.timedelta(seconds=25) < source.next_poll_at - timezone.now() <= dt.timedelta(seconds=30)


def fake_hosts(monkeypatch, names: list[str]) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real("127.0.0.1" if host in names else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_once_poll_each_due_source_once(site, settings, monkeypatch):
    # One host name per source, so per-host politeness does not hold any back.
    names = [f"outlet{n}.test" for n in range(8)]
    fake_hosts(monkeypatch, names)
    settings.FACTCHECK_FETCH_TEST_HOSTS = names
    outlet = OutletFactory(domain="outlet.test")
    for n, name in enumerate(names):
        path = f"/feed{n}.xml"
        site.serve(path, rss(site.base, [f"/a{n % 6 + 1}"]), "application/rss+xml")
        WatchedSource.objects.create(outlet=outlet, kind="feed", url=f"http://{name}:{site.server.port}{path}")
    barrier = threading.Barrier(2)
    results: list[list[polling.PollResult]] = [[], []]
    errors = []

    def beat(slot: int) -> None:
        try:
            barrier.wait()
            results[slot] = polling.poll_due()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=beat, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    polled = [r.source_id for run in results for r in run]
    assert len(polled) == 8 and len(set(polled)) == 8
    assert all(site.hits[f"/feed{n}.xml"] == 1 for n in range(8))
    assert WatchedSource.objects.filter(leased_until__isnull=True, last_success_at__isnull=False).count() == 8


def test_poll_sources_command_polls_one_source_or_the_due_ones(site):
    sources = watch_all(site)
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("poll_sources", "--source", str(sources[0].pk), stdout=out, stderr=err)
    assert f"source {sources[0].pk}: new, 2 new articles" in out.getvalue()
    assert "1/1 sources" in err.getvalue()
    out, err = StringIO(), StringIO()
    call_command("poll_sources", "--once", stdout=out, stderr=err)
    assert out.getvalue().count("source ") == 3 and "3/3 sources" in err.getvalue()
    assert Article.objects.count() == 6


def test_admin_lists_sources_with_health_and_polls_one_now(
    site, client, editor, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    source = watch(site, "/rss.xml", "feed")
    client.force_login(editor)
    changelist = reverse("admin:claims_watchedsource_changelist")
    assert "never polled" in client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "poll_now", "_selected_action": [source.pk]}, follow=True)
    assert "Polling 1 source(s) now." in response.content.decode()
    source.refresh_from_db()
    assert source.last_success_at is not None and source.items_seen == 2
    page = client.get(changelist).content.decode()
    assert '<td class="field-health">ok</td>' in page


def test_admin_discovery_offers_the_sources_for_the_editor_to_switch_on(site, client, editor):
    outlet = OutletFactory(domain="localhost")
    client.force_login(editor)
    response = client.post(
        reverse("admin:claims_watchedsource_discover"), {"outlet": outlet.pk, "home_page": site.base + "/"}, follow=True
    )
    assert "Found 4 feed(s) and sitemap(s); 4 new" in response.content.decode()
    assert WatchedSource.objects.filter(outlet=outlet, enabled=False).count() == 4
    ids = list(WatchedSource.objects.filter(kind="feed").values_list("pk", flat=True))
    client.post(reverse("admin:claims_watchedsource_changelist"), {"action": "switch_on", "_selected_action": ids})
    assert set(WatchedSource.objects.filter(enabled=True).values_list("pk", flat=True)) == set(ids)


def test_a_run_out_of_time_hands_the_sources_it_did_not_reach_back(site):
    sources = watch_all(site)
    results = polling.poll_claimed_many(polling.claim_due(), budget_seconds=0)
    assert results == []
    assert sorted(polling.due_source_ids()) == sorted(s.pk for s in sources)
    assert not WatchedSource.objects.filter(leased_until__isnull=False).exists()


def test_the_same_story_at_two_addresses_is_recognised_by_its_text_when_fetched(site):
    site.serve("/syndicated/a1", article_page(1), "text/html; charset=utf-8", etag="")
    site.serve("/copies.xml", rss(site.base, ["/a1", "/syndicated/a1"]), "application/rss+xml")
    source = watch(site, "/copies.xml", "feed")
    assert polling.poll_now(source.pk).new_articles == 2
    first, copy = Article.objects.order_by("pk")
    assert [ingestion.ingest(first.pk), ingestion.ingest(copy.pk)] == ["fetched", "same text"]
    copy.refresh_from_db()
    assert copy.status == Article.Status.SAME_TEXT and copy.same_text_as_id == first.pk

"""Finding an outlet's feeds and sitemaps from its home page.

Feeds: the home page's ``<link rel="alternate">`` elements of an RSS or Atom
type. Sitemaps: the ``Sitemap:`` lines of ``/robots.txt``. Both fetched
through the safe fetcher. What is found is offered to the editor: saved as
sources switched off, to switch on in the admin; nothing is polled before.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from django.db import transaction

from claims.fetching import FetchError, fetch
from claims.models import Outlet, WatchedSource
from claims.normalize import url_host

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/x-rss+xml"})


@dataclass(frozen=True)
class Found:
    kind: str
    url: str
    title: str = ""


@dataclass(frozen=True)
class Discovery:
    found: list[Found]
    # What could not be read, in plain words (the home page, robots.txt).
    problems: list[str]


def discover(home_url: str) -> Discovery:
    found: list[Found] = []
    problems: list[str] = []
    try:
        page = fetch(home_url)
    except FetchError as exc:
        problems.append(exc.message)
    else:
        found.extend(_feeds_in(page.text, page.final_url))
    parts = urlsplit(home_url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    try:
        robots = fetch(robots_url, accept=("text/plain",))
    except FetchError as exc:
        problems.append(exc.message)
    else:
        found.extend(_sitemaps_in(robots.text, robots.final_url))
    unique: dict[str, Found] = {}
    for item in found:
        unique.setdefault(item.url, item)
    return Discovery(found=list(unique.values()), problems=problems)


def offer(outlet: Outlet, discovery: Discovery) -> list[WatchedSource]:
    """Save what was found as sources of the outlet, switched off; returns the new ones."""
    created = []
    with transaction.atomic():
        known = set(
            WatchedSource.objects.filter(url__in=[f.url for f in discovery.found]).values_list("url", flat=True)
        )
        for item in discovery.found:
            if item.url in known:
                continue
            created.append(
                WatchedSource.objects.create(
                    outlet=outlet, kind=item.kind, url=item.url, title=item.title[:300], enabled=False
                )
            )
    return created


def home_page(outlet: Outlet) -> str:
    return f"https://{outlet.domain}/" if outlet.domain else ""


def _feeds_in(html: str, base: str) -> list[Found]:
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    feeds = []
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            url = urljoin(base, href)
            if urlsplit(url).scheme in ("http", "https"):
                feeds.append(Found(WatchedSource.Kind.FEED, url, " ".join((link.get("title") or "").split())))
    return feeds


def _sitemaps_in(robots: str, base: str) -> list[Found]:
    sitemaps = []
    for line in robots.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            url = urljoin(base, value.strip())
            if urlsplit(url).scheme in ("http", "https") and url_host(url):
                sitemaps.append(Found(WatchedSource.Kind.SITEMAP, url))
    return sitemaps

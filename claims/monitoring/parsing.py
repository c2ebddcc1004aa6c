"""Reading feeds and sitemaps into entries (URL, title, publication date).

Feeds go to feedparser, the maintained feed library (RSS 0.9x/1.0/2.0, Atom).
Sitemaps go to defusedxml's ElementTree, which refuses entity declarations, so
a billion-laughs document is an error and never expanded. feedparser's expat
caps entity expansion too, but a feed that declares entities at all is refused
here before it reaches it: no feed needs them. Every failure is a ParseError
whose message an editor can read.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only for ParseError and Element; parsing is defusedxml's
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException
from django.utils.dateparse import parse_datetime

# The media types a feed or sitemap is served with; text/html is accepted so that a
# site answering with its home page is reported as such rather than as a refused type.
XML_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/x-rss+xml",
    "text/html",
    "text/plain",
)

_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HTML_START = re.compile(rb"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)[\s>]", re.IGNORECASE | re.S)


class ParseError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Entry:
    url: str
    title: str = ""
    published_at: dt.datetime | None = None


@dataclass(frozen=True)
class Sitemap:
    entries: list[Entry]
    # A sitemap index: its child sitemaps, each with its <lastmod> text (may be empty).
    children: list[tuple[str, str]]


def parse_feed(body: bytes, url: str) -> list[Entry]:
    _refuse_unsafe(body, url, "feed")
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    version = parsed.get("version", "")
    if not version:
        reason = parsed.get("bozo_exception")
        detail = f" ({_reason(reason)})" if reason else ""
        raise ParseError(f"{url} is not an RSS or Atom feed: it could not be read as one{detail}.")
    entries = []
    for item in parsed.entries:
        link = _absolute(item.get("link", ""), url)
        if not link:
            continue
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        published = dt.datetime(*stamp[:6], tzinfo=dt.UTC) if stamp else None
        entries.append(Entry(url=link, title=" ".join(item.get("title", "").split())[:500], published_at=published))
    return entries


def parse_sitemap(body: bytes, url: str) -> Sitemap:
    _refuse_unsafe(body, url, "sitemap")
    try:
        root = SafeET.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ParseError(f"{url} was refused: it declares XML entities, which a sitemap has no use for.") from exc
    except ET.ParseError as exc:
        raise ParseError(f"{url} is not a readable sitemap: the XML is malformed ({exc}).") from exc
    if root.tag == f"{_SITEMAP_NS}sitemapindex":
        children = []
        for node in root.findall(f"{_SITEMAP_NS}sitemap"):
            if link := _absolute(_text(node, f"{_SITEMAP_NS}loc"), url):
                children.append((link, _text(node, f"{_SITEMAP_NS}lastmod")))
        return Sitemap(entries=[], children=children)
    if root.tag != f"{_SITEMAP_NS}urlset":
        raise ParseError(f"{url} is not a sitemap: its root element is <{_local(root.tag)}>, not <urlset>.")
    entries = []
    for node in root.findall(f"{_SITEMAP_NS}url"):
        link = _absolute(_text(node, f"{_SITEMAP_NS}loc"), url)
        if not link:
            continue
        news = node.find(f"{_NEWS_NS}news")
        title = _text(news, f"{_NEWS_NS}title") if news is not None else ""
        date_text = _text(news, f"{_NEWS_NS}publication_date") if news is not None else ""
        entries.append(
            Entry(
                url=link, title=title[:500], published_at=parse_date(date_text or _text(node, f"{_SITEMAP_NS}lastmod"))
            )
        )
    return Sitemap(entries=entries, children=[])


def parse_date(text: str) -> dt.datetime | None:
    """A W3C datetime (sitemaps), a bare date, or an RFC 822 date; None when unreadable."""
    text = text.strip()
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        try:
            value = dt.datetime.fromisoformat(text) if len(text) == 10 else parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def looks_like_html(body: bytes) -> bool:
    return bool(_HTML_START.match(body[:2048]))


def _refuse_unsafe(body: bytes, url: str, what: str) -> None:
    if looks_like_html(body):
        raise ParseError(f"{url} is an HTML page, not a {what}.")
    # Declarations live in the prolog; a document that hides one further down is malformed anyway.
    if _ENTITY_DECLARATION.search(body[:65536]):
        raise ParseError(f"{url} was refused: it declares XML entities, which a {what} has no use for.")


def _absolute(link: str, base: str) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    link = urljoin(base, link)
    return link if urlsplit(link).scheme in ("http", "https") else ""


def _text(node: ET.Element | None, tag: str) -> str:
    if node is None:
        return ""
    found = node.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _reason(exc: object) -> str:
    text = str(getattr(exc, "getMessage", lambda: exc)()).strip().rstrip(".")
    return text or type(exc).__name__

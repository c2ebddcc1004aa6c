"""From a web page to an article's main text and metadata (trafilatura), and
from any article text to the paragraphs that can hold claims."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import trafilatura
from lxml import html as lxml_html

# Paragraph-level boilerplate that survives extraction or arrives in pasted text.
_READ_MORE = re.compile(r"^\s*(read more|see also|related|more on this|also read)\s*:?\s*$", re.IGNORECASE)
_BREADCRUMB = re.compile(r"^[^.!?]{1,80}(\s[/›>»|]\s[^.!?]{1,40}){1,6}$")
_CAPTION_CREDIT = re.compile(
    r"\((AFP|AP|Reuters|Getty Images|EPA|file photo|photo[^)]{0,60}|via [^)]{1,60}|[A-Z]{2,6}(/[A-Za-z ]+)?)\)\s*$"
)
_FOOTER = re.compile(
    r"(©|copyright|all rights reserved|can also be accessed at|follow us on|subscribe to our newsletter)", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")


@dataclass(frozen=True)
class ArticleDocument:
    text: str
    title: str = ""
    site_name: str = ""
    author: str = ""
    published_at: dt.datetime | None = None
    language: str = ""
    canonical_url: str = ""


def extract_document(page: str, *, url: str | None = None) -> ArticleDocument:
    """Main text (no navigation, captions, asides or footers) and metadata of an HTML page."""
    doc = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
    )
    doc = doc.as_dict() if doc is not None else None
    if not doc or not (doc.get("text") or "").strip():
        return ArticleDocument(text="", language=_html_language(page))
    title = (doc.get("title") or "").strip()
    text = _drop_title_line(doc["text"], title)
    return ArticleDocument(
        text=text,
        title=title,
        site_name=(doc.get("sitename") or "").strip(),
        author=(doc.get("author") or "").strip(),
        published_at=_parse_date(doc.get("date")),
        language=(doc.get("language") or _html_language(page) or detect_language(text)),
        canonical_url=(doc.get("url") or "").strip() if doc.get("url") != url else "",
    )


@dataclass(frozen=True)
class PageSummary:
    """What a linked page is about, in a line or two: enough to match a reader's link."""

    title: str = ""
    description: str = ""


def summarize_page(page: str, *, url: str | None = None) -> PageSummary:
    """A page's title and description from its metadata (``og:``, ``twitter:``, ``<title>``,
    ``<meta name="description">``); without a description, the first paragraph of its main text.

    Cheaper than ``extract_document`` when the page declares both: the main text is read only
    when the metadata has no description.
    """
    meta = trafilatura.extract_metadata(page, default_url=url, extensive=False)
    title = " ".join((getattr(meta, "title", None) or "").split())
    description = " ".join((getattr(meta, "description", None) or "").split())
    if not description:
        document = extract_document(page, url=url)
        title = title or document.title
        description = next((p.text for p in paragraphs(document.text) if not is_boilerplate(p.text)), "")
    return PageSummary(title=title[:500], description=" ".join(description.split())[:1000])


def _drop_title_line(text: str, title: str) -> str:
    lines = text.strip().split("\n")
    if title and lines and lines[0].strip() == title:
        lines = lines[1:]
    return "\n\n".join(line.strip() for line in lines if line.strip())


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _html_language(page: str) -> str:
    match = re.search(r"<html[^>]*\blang=[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)", page[:4000], re.IGNORECASE)
    return match.group(1).lower() if match else ""


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language ("" when it cannot tell); see ``languages``."""
    from .languages import detect_language as detect

    return detect(text)


def html_to_text(page: str) -> str:
    """All visible text of a page, for pages trafilatura finds no article in."""
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    for node in tree.xpath("//script|//style|//nav|//footer|//aside"):
        node.drop_tree()
    return "\n\n".join(p.strip() for p in tree.text_content().split("\n") if p.strip())


@dataclass(frozen=True)
class Paragraph:
    text: str
    start: int  # offset in the article text


def paragraphs(text: str) -> list[Paragraph]:
    """The article's paragraphs, with offsets, in order.

    Blank lines separate paragraphs when the text has any (so hard-wrapped
    paragraphs stay whole); otherwise each line is a paragraph.
    """
    pattern = r"\S(?:.|\n(?!\s*\n))*" if re.search(r"\n\s*\n", text) else r"[^\n]+"
    result = []
    for match in re.finditer(pattern, text):
        stripped = match.group().strip()
        if stripped:
            result.append(Paragraph(stripped, match.start() + match.group().index(stripped)))
    return result


def is_boilerplate(paragraph: str) -> bool:
    """Breadcrumbs, "Read more:" lines, photo captions with a credit, footers,
    and headline-like lines that are not sentences: never claims."""
    text = paragraph.strip()
    if not text:
        return True
    if _READ_MORE.match(text) or _BREADCRUMB.match(text.replace("\xa0", " ")) or _FOOTER.search(text):
        return True
    if _CAPTION_CREDIT.search(text):
        return True
    # A line that does not end a sentence (a headline, a label, "...addresses:")
    # is not a statement.
    return not _SENTENCE_END.search(text)

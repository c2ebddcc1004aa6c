"""Reading an article source given on the command line: a URL or a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes


@dataclass(frozen=True)
class Source:
    url: str = ""
    text: str = ""
    html: str = ""
    name: str = ""


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def read_source(value: str) -> Source:
    """A URL as is; a file read and decoded (HTML by its name or its first bytes).

    Raises OSError or ValueError with a readable message.
    """
    if is_url(value):
        return Source(url=value, name=value)
    path = Path(value)
    if not path.is_file():
        raise ValueError(f"{value}: no such file (give an http(s) URL or a path to an HTML or text file)")
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(raw).best()
        if best is None:
            raise ValueError(f"{value}: not a text file") from None
        content = str(best)
    looks_html = path.suffix.lower() in {".html", ".htm", ".xhtml"} or content.lstrip()[:15].lower().startswith(
        ("<!doctype html", "<html")
    )
    return Source(html=content, name=str(path)) if looks_html else Source(text=content, name=str(path))

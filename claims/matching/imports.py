"""Importing fact-checks published by other organisations.

Two inputs: schema.org ClaimReview JSON-LD (one object, an array, an ``@graph``
or JSON lines) and Google Fact Check Tools API ``claims:search`` responses
(``{"claims": [...]}`` or a bare array of claims). Parsing is pure: a file's
text becomes one ``ImportedReview`` or ``RecordError`` per review.
``import_reviews`` writes them as ``ExternalReview`` rows, which stay
references attributed to their publisher and are never this desk's verdicts.

Rows are matched by normalized review URL, so importing the same file twice
changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import CharField
from django.utils import timezone

from claims.models import ExternalReview, Rating
from claims.normalize import normalize_url, url_host

from . import semantic

SOURCE_CLAIMREVIEW = "claimreview"
SOURCE_GOOGLE = "google-factcheck-api"

# Foreign rating texts mapped to labels of the default scale; both sides are
# compared as ``_label_key`` normalizes them. Checked after the scale's own labels.
RATING_SYNONYMS: dict[str, str] = {
    "pants on fire": "False",
    "fake": "False",
    "incorrect": "False",
    "fabricated": "False",
    "mostly false": "Mostly false",
    "half true": "Half true",
    "partly true": "Half true",
    "partly false": "Half true",
    "mixture": "Half true",
    "mostly true": "Mostly true",
    "correct": "True",
    "accurate": "True",
    "missing context": "Misleading",
    "lacks context": "Misleading",
    "out of context": "Misleading",
    "unproven": "Unproven",
    "unverified": "Unproven",
    "unsubstantiated": "Unproven",
    # The most frequent unambiguous Arabic verdicts (diacritics are ignored).
    "مضلل": "Misleading",
    "تضليل": "Misleading",
    "سياق ناقص": "Misleading",
    "سياق مجتزأ": "Misleading",
    "زائف": "False",
    "خطأ": "False",
    "خاطئ": "False",
    "كاذب": "False",
    "خبر كاذب": "False",
    "غير صحيح": "False",
    "مفبرك": "False",
    "صحيح": "True",
    "صحيح جزئياً": "Half true",
    "غير مثبت": "Unproven",
}
# PolitiFact's Flip-O-Meter rates consistency, not truth: never mapped.
UNMAPPED_RATINGS = frozenset({"full flop", "half flip", "no flip"})

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Hamza forms are spelt inconsistently (خطأ / خطا, جزئياً / جزئيا).
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ئ": "ي", "ى": "ي", "ؤ": "و", "ء": ""})
_LABEL_PUNCTUATION = re.compile(r"[\s!?.,;:؟،\"'()\-_–—]+")
_SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "schema:")


class InputError(ValueError):
    """A file that cannot be read at all (missing, not UTF-8, not JSON)."""


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        place = {"line": self.line} if self.line is not None else {"index": self.index}
        return {"file": self.file, **place}

    def __str__(self) -> str:
        return f"{self.file} line {self.line}" if self.line is not None else f"{self.file} index {self.index}"


@dataclass(frozen=True)
class RecordError:
    location: Location
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.location.as_dict(), "message": self.message}


@dataclass
class ImportedReview:
    """One review as parsed, in the shape of an ``ExternalReview`` row."""

    location: Location
    url: str
    claim_reviewed: str
    publisher_name: str
    source: str
    raw: dict
    publisher_site: str = ""
    identifier: str = ""
    title: str = ""
    claimant_name: str = ""
    claim_date: dt.date | None = None
    appearance_url: str = ""
    appearance_description: str = ""
    review_date: dt.date | None = None
    rating_text: str = ""
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    language: str = ""
    warnings: list[str] = field(default_factory=list)

    def row_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ROW_FIELDS}


ROW_FIELDS = tuple(f.name for f in dataclasses.fields(ImportedReview) if f.name not in {"location", "warnings"})


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    # Of the skipped: records repeating a review URL seen earlier in the same
    # import (the first one wins).
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return self.created + self.updated + self.skipped + len(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"seconds": round(self.seconds, 3)}


# --- Reading files ---------------------------------------------------------------


def read_reviews(path: str | Path) -> Iterator[ImportedReview | RecordError]:
    """The reviews in a file. The file is read and its format recognised now
    (raising ``InputError`` if it cannot be read at all); records are parsed
    as they are consumed."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{name}: {exc.strerror or exc}") from None
    return parse_text(text, file=name)


def parse_text(text: str, *, file: str = "<input>") -> Iterator[ImportedReview | RecordError]:
    """Reviews in a JSON document or in JSON lines; ``InputError`` if it is neither."""
    if not text.strip():
        return iter(())
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if _is_json_lines(text, exc):
            return _json_lines(text, file)
        raise InputError(
            f"{file}: neither a JSON document nor JSON lines (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return _records(document, Location(file, index=0), top_level=True)


def _is_json_lines(text: str, exc: json.JSONDecodeError) -> bool:
    if exc.msg == "Extra data":  # a complete value, then more
        return True
    if not text.lstrip().startswith("{"):
        return False
    # A malformed first line: JSON lines if any of the next few lines is an object on its own.
    lines = [line for line in text.split("\n", 50)[:50] if line.strip()]
    for line in lines[:20]:
        try:
            if isinstance(json.loads(line), dict):
                return True
        except json.JSONDecodeError:
            continue
    return False


def _json_lines(text: str, file: str) -> Iterator[ImportedReview | RecordError]:
    # split("\n"), not splitlines(): JSON strings may hold U+2028 and friends.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        location = Location(file, line=number)
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordError(location, f"not valid JSON (column {exc.colno}: {exc.msg})")
            continue
        yield from _records(value, location, top_level=True)


def _records(value: Any, location: Location, *, top_level: bool = False) -> Iterator[ImportedReview | RecordError]:
    """Dispatch on the shape of one JSON value."""
    if isinstance(value, list) and top_level:
        for index, item in enumerate(value):
            item_location = location if location.line is not None else Location(location.file, index=index)
            yield from _records(item, item_location)
        return
    if not isinstance(value, dict):
        yield RecordError(location, f"expected a JSON object, found {type(value).__name__}")
        return
    if isinstance(value.get("@graph"), list):
        ids = {node["@id"]: node for node in value["@graph"] if isinstance(node, dict) and "@id" in node}
        for index, node in enumerate(value["@graph"]):
            # The rest of a page's graph (WebPage, Organization, ...) is not ours to import.
            if isinstance(node, dict) and _is_claimreview(node):
                node_location = location if location.line is not None else Location(location.file, index=index)
                yield _parse_claimreview(node, node_location, ids)
        return
    if top_level and ("claims" in value or set(value) <= {"nextPageToken"}):
        claims = value.get("claims", [])
        if not isinstance(claims, list):
            yield RecordError(location, "claims is not an array")
            return
        for index, claim in enumerate(claims):
            claim_location = location if location.line is not None else Location(location.file, index=index)
            if isinstance(claim, dict):
                yield from _parse_google_claim(claim, claim_location)
            else:
                yield RecordError(claim_location, f"expected a JSON object, found {type(claim).__name__}")
        return
    if _is_claimreview(value):
        yield _parse_claimreview(value, location, {})
    elif "claimReview" in value:
        yield from _parse_google_claim(value, location)
    else:
        kind = f" (@type {value['@type']!r})" if "@type" in value else ""
        yield RecordError(location, f"neither a ClaimReview nor a Fact Check Tools claim{kind}")


def _is_claimreview(node: dict) -> bool:
    types = node.get("@type")
    if types is None:
        return "claimReviewed" in node
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and _strip_schema(t) == "ClaimReview" for t in types)


def _strip_schema(name: str) -> str:
    for prefix in _SCHEMA_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


# --- Parsing records ---------------------------------------------------------------


class _Invalid(ValueError):
    """A record that cannot be imported; the message says why."""


def _parse_claimreview(node: dict, location: Location, ids: dict) -> ImportedReview | RecordError:
    try:
        url = _review_url(node.get("url"))
        claim = _text(node.get("claimReviewed"))
        if not claim:
            raise _Invalid("no claim text (claimReviewed)")
        item = _deref(_first(node.get("itemReviewed")), ids)
        item = item if isinstance(item, dict) else {}
        author = _deref(_first(node.get("author") or node.get("publisher")), ids)
        publisher_name, publisher_url = _name_and_url(author)
        publisher_site = url_host(publisher_url) or url_host(url)
        rating = _deref(_first(node.get("reviewRating")), ids)
        rating = rating if isinstance(rating, dict) else {}
        value = _number(rating.get("ratingValue"))
        rating_text = _text(rating.get("alternateName")) or _text(rating.get("name"))
        if not rating_text and value is None:
            rating_text = _text(rating.get("ratingValue"))
        warnings: list[str] = []
        appearance_url, appearance_description = _appearance(
            item.get("appearance") or item.get("firstAppearance"), ids, warnings
        )
        review = ImportedReview(
            location=location,
            url=url,
            claim_reviewed=claim,
            publisher_name=publisher_name or publisher_site,
            publisher_site=publisher_site,
            source=SOURCE_CLAIMREVIEW,
            raw=node,
            identifier=_identifier(node.get("identifier")),
            title=_text(node.get("name")) or _text(node.get("headline")),
            claimant_name=", ".join(
                filter(None, (_name_and_url(_deref(a, ids))[0] for a in _as_list(item.get("author"))))
            ),
            claim_date=_date(item.get("datePublished"), "itemReviewed.datePublished"),
            appearance_url=appearance_url,
            appearance_description=appearance_description,
            review_date=_date(node.get("datePublished"), "datePublished"),
            rating_text=rating_text,
            rating_value=value,
            best_rating=_number(rating.get("bestRating")),
            worst_rating=_number(rating.get("worstRating")),
            language=_language(node.get("inLanguage")),
            warnings=warnings,
        )
    except _Invalid as exc:
        return RecordError(location, str(exc))
    return _fit_columns(review)


def _parse_google_claim(claim: dict, location: Location) -> Iterator[ImportedReview | RecordError]:
    reviews = claim.get("claimReview")
    if not isinstance(reviews, list) or not reviews:
        yield RecordError(location, "no claimReview entries")
        return
    for position, review in enumerate(reviews):
        prefix = f"claimReview[{position}]: " if len(reviews) > 1 else ""
        try:
            if not isinstance(review, dict):
                raise _Invalid(f"expected a JSON object, found {type(review).__name__}")
            url = _review_url(review.get("url"))
            text = _text(claim.get("text"))
            if not text:
                raise _Invalid("no claim text (text)")
            publisher = review.get("publisher") if isinstance(review.get("publisher"), dict) else {}
            site = _site(_text(publisher.get("site"))) or url_host(url)
            parsed = ImportedReview(
                location=location,
                url=url,
                claim_reviewed=text,
                publisher_name=_text(publisher.get("name")) or site,
                publisher_site=site,
                source=SOURCE_GOOGLE,
                raw={**claim, "claimReview": [review]},
                title=_text(review.get("title")),
                claimant_name=_text(claim.get("claimant")),
                claim_date=_date(claim.get("claimDate"), "claimDate"),
                review_date=_date(review.get("reviewDate"), "reviewDate"),
                rating_text=_text(review.get("textualRating")),
                language=_text(review.get("languageCode")),
            )
        except _Invalid as exc:
            yield RecordError(location, f"{prefix}{exc}")
            continue
        parsed.warnings = [f"{prefix}{warning}" for warning in parsed.warnings]
        yield _fit_columns(parsed)


def _review_url(value: Any) -> str:
    url = _text(_first(value))
    if not url:
        raise _Invalid("no review URL (url)")
    try:
        url = normalize_url(url)
    except ValueError as exc:
        raise _Invalid(f"review URL {url!r}: {exc}") from None
    if len(url) > _MAX_LENGTHS["url"]:
        raise _Invalid(f"review URL longer than {_MAX_LENGTHS['url']} characters")
    return url


def _appearance(value: Any, ids: dict, warnings: list[str]) -> tuple[str, str]:
    """URL and description of where the claim appeared: an object, a list of them, or a URL."""
    items = [_deref(item, ids) for item in _as_list(value)]
    url = description = ""
    for item in items:
        if isinstance(item, str):
            candidate, text = (item, "") if item.strip().lower().startswith(("http://", "https://")) else ("", item)
        elif isinstance(item, dict):
            candidate = _text(_first(item.get("url")))
            text = _text(item.get("description")) or _text(item.get("name")) or _text(item.get("headline"))
        else:
            continue
        if candidate and not url:
            try:
                url = normalize_url(candidate)
            except ValueError as exc:
                warnings.append(f"appearance URL {candidate!r} ignored: {exc}")
        description = description or _text(text)
    return url, description


def _fit_columns(review: ImportedReview) -> ImportedReview:
    """Cut text longer than its column; the full text stays in ``raw``."""
    for name, limit in _MAX_LENGTHS.items():
        value = getattr(review, name)
        if len(value) <= limit:
            continue
        if name == "appearance_url":  # a cut URL points nowhere
            setattr(review, name, "")
            review.warnings.append(f"appearance URL longer than {limit} characters ignored")
        else:
            setattr(review, name, value[: limit - 1] + "…")
            review.warnings.append(f"{name} cut to {limit} characters (was {len(value)}); raw keeps it whole")
    return review


_MAX_LENGTHS = {
    f.name: f.max_length
    for f in ExternalReview._meta.get_fields()
    if isinstance(f, CharField) and f.max_length and f.name in ROW_FIELDS
}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    return next(iter(value), None) if isinstance(value, list) else value


def _deref(value: Any, ids: dict) -> Any:
    """A node given only by ``@id`` in a graph, replaced by the node itself."""
    if isinstance(value, dict) and set(value) == {"@id"}:
        return ids.get(value["@id"], value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _name_and_url(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        return _text(value), ""
    if isinstance(value, dict):
        name = _text(value.get("name")) or _text(value.get("alternateName")) or _text(value.get("legalName"))
        return name, _text(_first(value.get("url")))
    return "", ""


def _site(value: str) -> str:
    host = url_host(value) if "://" in value else value.strip().lower().rstrip(".")
    return host.removeprefix("www.")


def _identifier(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):  # a PropertyValue
        value = value.get("value")
    return _text(value)


def _language(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):  # a Language
        return _text(value.get("alternateName")) or _text(value.get("name"))
    return _text(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _date(value: Any, name: str) -> dt.date | None:
    """A date, or the date part of a datetime as written (in its own offset)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Invalid(f"bad date in {name}: {value!r}")
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise _Invalid(f"bad date in {name}: {value!r} (expected ISO 8601, e.g. 2024-05-31)") from None


# --- Rating mapping ----------------------------------------------------------------


def _label_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    return _LABEL_PUNCTUATION.sub(" ", text).strip()


@dataclass(frozen=True)
class LocalScale:
    """The default scale's ratings, for mapping foreign ratings onto them."""

    by_label: dict[str, int]
    by_value: tuple[tuple[int, int], ...]  # (value, rating id), ascending

    @classmethod
    def default(cls) -> LocalScale | None:
        ratings = list(Rating.objects.filter(scale__is_default=True, retired=False).values_list("pk", "label", "value"))
        if not ratings:
            return None
        by_label = {_label_key(label): pk for pk, label, _ in ratings}
        for foreign, local in RATING_SYNONYMS.items():
            if (pk := by_label.get(_label_key(local))) is not None:
                by_label.setdefault(_label_key(foreign), pk)
        return cls(by_label=by_label, by_value=tuple(sorted((v, pk) for pk, _, v in ratings if v is not None)))

    def match(self, review: ImportedReview) -> int | None:
        """The local rating for a review: by its text first, then by value.

        The text goes first because rescaling alone misplaces ratings from
        scales of another length: PolitiFact's "False" (2 of 1–6) lands
        nearer to "Mostly false" (1.8 of 1–5).
        """
        key = _label_key(review.rating_text)
        if key in UNMAPPED_RATINGS:
            return None
        if (pk := self.by_label.get(key)) is not None:
            return pk
        return self._by_value(review.rating_value, review.best_rating, review.worst_rating)

    def _by_value(self, value: float | None, best: float | None, worst: float | None) -> int | None:
        if value is None or best is None or worst is None or best == worst or not self.by_value:
            return None
        fraction = (value - worst) / (best - worst)  # 0 at worst, 1 at best, whichever way round
        if not 0 <= fraction <= 1:
            return None
        local_worst, local_best = self.by_value[0][0], self.by_value[-1][0]
        target = local_worst + fraction * (local_best - local_worst)
        # Halfway between two ratings: the less true one.
        return min(self.by_value, key=lambda pair: (abs(pair[0] - target), pair[0]))[1]


# --- Writing -------------------------------------------------------------------------

BATCH_SIZE = 1000


def import_reviews(records: Iterable[ImportedReview | RecordError], *, batch_size: int = BATCH_SIZE) -> ImportReport:
    """Create or update an ``ExternalReview`` per review, in batches.

    A record whose URL is already stored with the same content is skipped;
    a URL repeated within the input keeps its first record. Each batch is
    one transaction; a batch the database refuses is retried record by
    record, so one bad record is reported and the rest still import.
    """
    started = time.monotonic()
    report = ImportReport()
    scale = LocalScale.default()
    seen: set[str] = set()
    batch: list[ImportedReview] = []
    for record in records:
        if isinstance(record, RecordError):
            report.errors.append(record.as_dict())
            continue
        if record.url in seen:
            report.skipped += 1
            report.duplicates += 1
            continue
        report.warnings.extend({**record.location.as_dict(), "message": w} for w in record.warnings)
        seen.add(record.url)
        batch.append(record)
        if len(batch) >= batch_size:
            _write(batch, scale, report)
            batch = []
    if batch:
        _write(batch, scale, report)
    report.seconds = time.monotonic() - started
    return report


_UPDATE_FIELDS = [*(name for name in ROW_FIELDS if name != "url"), "local_rating", "updated_at"]


def _write(batch: list[ImportedReview], scale: LocalScale | None, report: ImportReport) -> None:
    try:
        with transaction.atomic():
            counts = _write_batch(batch, scale)
    except DatabaseError:
        counts = [0, 0, 0]
        for review in batch:
            try:
                with transaction.atomic():
                    one = _write_batch([review], scale)
            except DatabaseError as exc:
                report.errors.append({**review.location.as_dict(), "message": f"the database refused it: {exc}"})
            else:
                counts = [a + b for a, b in zip(counts, one, strict=True)]
    report.created += counts[0]
    report.updated += counts[1]
    report.skipped += counts[2]


def _write_batch(batch: list[ImportedReview], scale: LocalScale | None) -> list[int]:
    existing = {row.url: row for row in ExternalReview.objects.filter(url__in=[review.url for review in batch])}
    now = timezone.now()
    new, changed, unchanged = [], [], 0
    for review in batch:
        values = review.row_values()
        values["local_rating_id"] = scale.match(review) if scale else None
        row = existing.get(review.url)
        if row is None:
            new.append(ExternalReview(**values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now  # bulk_update does not apply auto_now
            changed.append(row)
        else:
            unchanged += 1
    ExternalReview.objects.bulk_create(new)
    ExternalReview.objects.bulk_update(changed, _UPDATE_FIELDS, batch_size=250)
    semantic.queue_indexing(review_ids=[row.pk for row in [*new, *changed]])
    return [len(new), len(changed), unchanged]

"""The import of a Check workspace export: one step per CSV file, in batches, with a report per kind.

A step names its file(s), the columns it needs, and what it does with a batch
of rows. Every header is read before anything is written, so a file that
lacks a column stops the import with nothing written. Each batch is one
transaction; a batch the database refuses is retried row by row, so one bad
row is reported (file, row number, reason) and the rest still import. Every
record is kept in ``ImportedRecord`` by its Check id: a second run finds
them and creates nothing.

Adding a step for a new kind is a subclass with ``kind``, ``files``,
``required`` and ``import_batch``, listed in ``STEPS``; two steps may read one
file (items, then their tags).
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.db import DatabaseError, connection, transaction

from .archive import Export
from .csvfiles import Row, read_rows
from .maps import DEFAULT_ROLE_MAP, StatusTarget

BATCH_SIZE = 1000


@dataclass
class KindReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    kept_for_later: int = 0
    failed: int = 0
    file: str = ""
    note: str = ""
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def as_dict(self) -> dict[str, Any]:
        result = {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "kept_for_later": self.kept_for_later,
            "failed": self.failed,
        }
        if self.file:
            result["file"] = self.file
            result["seconds"] = round(self.seconds, 2)
        if self.note:
            result["note"] = self.note
        if self.outcomes:
            result["outcomes"] = dict(sorted(self.outcomes.items()))
        return result


@dataclass
class Report:
    source: str = ""
    dry_run: bool = False
    kinds: dict[str, KindReport] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def kind(self, name: str) -> KindReport:
        return self.kinds.setdefault(name, KindReport())

    def error(self, file: str, row: Row | None, reason: str, kind: str) -> None:
        self.kind(kind).failed += 1
        self.errors.append({"file": file, "row": row.number if row else None, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 2),
            "kinds": {name: k.as_dict() for name, k in self.kinds.items()},
            "missing_files": self.missing_files,
            "other_files": self.other_files,
            "errors": self.errors,
        }


class DryRunRollback(Exception):
    pass


@dataclass
class Context:
    source: str
    status_map: dict[str, StatusTarget]
    role_map: dict[str, str]
    report: Report
    # Check shows a fact-check's title as its item's title; the fact-check step finds items by it.
    items_by_title: dict[str, int | None] = field(default_factory=dict)
    item_targets: dict[int, StatusTarget] = field(default_factory=dict)

    def remember_item(self, title: str, claim_id: int, target: StatusTarget) -> None:
        key = title_key(title)
        if key:
            # Two items with one title: neither can be told apart by a fact-check.
            self.items_by_title[key] = None if key in self.items_by_title else claim_id
        self.item_targets[claim_id] = target


def title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


class Step:
    """One file of the export. Subclasses set the class attributes and write ``import_batch``."""

    kind: str = ""
    files: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    batch_size: int = BATCH_SIZE

    def import_batch(self, rows: Sequence[Row], ctx: Context, file: str) -> None:
        raise NotImplementedError

    def count(self, rows: Sequence[Row], ctx: Context) -> None:
        """Hook for kinds a file carries beside its own (an item's tags)."""


class KeptForLater(Step):
    """A file whose records need models this tracker does not have yet: counted, nothing written."""

    reason: str = ""

    def import_batch(self, rows: Sequence[Row], ctx: Context, file: str) -> None:
        report = ctx.report.kind(self.kind)
        report.kept_for_later += len(rows)
        report.note = self.reason


def run_import(
    export: Export,
    steps: Sequence[Step],
    *,
    status_map: dict[str, StatusTarget],
    role_map: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: TextIO | None = None,
) -> Report:
    started = time.monotonic()
    report = Report(dry_run=dry_run)
    ctx = Context(source="", status_map=status_map, role_map=role_map or DEFAULT_ROLE_MAP, report=report)
    # Every header first: a file missing a column stops the import before anything is written.
    planned = []
    known = set()
    for step in steps:
        known.update(step.files)
        name = next((n for n in step.files if n in export.names), None)
        if name is None:
            report.missing_files.append(step.files[0])
            continue
        _, rows = read_rows(name, export.read(name) or b"", required=step.required)
        planned.append((step, name, list(rows)))
    report.other_files = [n for n in export.names if n not in known and n.lower().endswith(".csv")]
    ctx.source = workspace_source(planned)
    report.source = ctx.source
    try:
        with one_import_at_a_time(ctx.source), transaction.atomic() if dry_run else nullcontext():
            for step, name, rows in planned:
                kind = report.kind(step.kind)
                kind.file = name
                step_started = time.monotonic()
                step.count(rows, ctx)
                bar = ProgressBar(progress, step.kind, len(rows))
                for start in range(0, len(rows), step.batch_size):
                    batch = rows[start : start + step.batch_size]
                    _import_batch(step, batch, ctx, name)
                    bar.update(len(batch))
                bar.close()
                kind.seconds = time.monotonic() - step_started
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    report.seconds = time.monotonic() - started
    return report


class ImportBusy(Exception):
    """Another import of the same workspace is running."""


@contextmanager
def one_import_at_a_time(source: str) -> Iterator[None]:
    """Two imports of one workspace at once would race for the same records, each
    batch of the second failing row by row: the second is refused at the start instead.
    A PostgreSQL session lock; SQLite takes one writer at a time anyway."""
    if connection.vendor != "postgresql":
        yield
        return
    key = int.from_bytes(hashlib.sha256(f"checkimport:{source}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            raise ImportBusy(f"another import of {source} is running; run this one when it has finished.")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _import_batch(step: Step, batch: Sequence[Row], ctx: Context, file: str) -> None:
    try:
        with transaction.atomic():
            step.import_batch(batch, ctx, file)
    except DatabaseError:
        # Counts a refused batch added are rebuilt by the row-by-row retry.
        for row in batch:
            try:
                with transaction.atomic():
                    step.import_batch([row], ctx, file)
            except DatabaseError as exc:
                ctx.report.error(file, row, f"the database refused it: {exc}".strip(), step.kind)


def workspace_source(planned) -> str:
    """The export's workspace, by its Check id (older exports: its name), so two workspaces never mix."""
    for step, _, rows in planned:
        if step.kind == "workspace" and rows:
            row = rows[0]
            ident = row.get("ID") or row.get("Name") or row.get("URL")
            if ident:
                return f"check:{ident}"[:100]
    return "check"


class ProgressBar:
    """A one-line progress bar on a terminal (stderr), plain lines elsewhere."""

    def __init__(self, stream: TextIO | None, label: str, total: int):
        self.stream, self.label, self.total, self.done = stream, label, total, 0
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def update(self, n: int) -> None:
        self.done += n
        if self.stream is None or not self.tty:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        self.stream.write(f"\r{self.label:<18} [{'#' * filled}{'.' * (width - filled)}] {self.done:,}/{self.total:,}")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is None:
            return
        if self.tty:
            self.stream.write("\n")
        else:
            self.stream.write(f"{self.label}: {self.done:,} row(s) read\n")
        self.stream.flush()

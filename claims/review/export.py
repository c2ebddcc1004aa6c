"""The claim list as rows for a spreadsheet or a program: one function for the admin's export and ``export_claims``.

The admin passes its changelist's filtered queryset, the command a status
filter; both come through ``rows`` so the same claims give the same rows.
CSV cells that a spreadsheet would read as a formula are neutralised (OWASP
"CSV injection"): a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return
gets a ``'`` in front. JSON carries the values as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from django.db.models import QuerySet

from claims.models import Claim

COLUMNS = [
    "id",
    "status",
    "text",
    "claimant",
    "language",
    "priority",
    "checkworthiness",
    "assignee",
    "article_title",
    "article_url",
    "status_changed_at",
    "created_at",
    "public_path",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000


def claims_with_status(statuses: Iterable[str] | None = None) -> QuerySet[Claim]:
    """The command's filter: claims in any of ``statuses`` (all claims when none given)."""
    queryset = Claim.objects.all()
    statuses = list(statuses or [])
    unknown = sorted(set(statuses) - set(Claim.Status.values))
    if unknown:
        raise ValueError(f"Unknown status {', '.join(unknown)}; known: {', '.join(Claim.Status.values)}.")
    return queryset.filter(status__in=statuses) if statuses else queryset


def rows(claims: QuerySet[Claim]) -> Iterator[dict]:
    """One dict per claim, in id order whatever the list's ordering, read in batches."""
    queryset = claims.order_by("pk").select_related("claimant", "assignee", "article").defer("article__text")
    for claim in queryset.iterator(chunk_size=BATCH):
        yield {
            "id": claim.pk,
            "status": claim.status,
            "text": claim.text,
            "claimant": claim.claimant.name if claim.claimant_id else "",
            "language": claim.language,
            "priority": claim.get_priority_display(),
            "checkworthiness": claim.checkworthiness,
            "assignee": claim.assignee.get_username() if claim.assignee_id else "",
            "article_title": claim.article.title if claim.article_id else "",
            "article_url": claim.article.url if claim.article_id else "",
            "status_changed_at": claim.status_changed_at.isoformat(),
            "created_at": claim.created_at.isoformat(),
            "public_path": f"/fact-checks/{claim.slug}/" if claim.slug else "",
        }


def neutralise(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(records: Iterable[dict], out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for record in records:
        # Numbers are written as they are: a negative score cannot occur (0..1), ids are positive.
        writer.writerow([neutralise(record[name]) for name in COLUMNS])
        count += 1
    return count


def write_json(records: Iterable[dict], out: TextIO) -> int:
    """A JSON array, one claim per line, written as it is read."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count

"""Repeats: a new candidate that matches one of our published fact-checks.

After a claim's matches are stored (the ``match_claims`` task), ``flag_repeats``
marks each candidate whose best match among this desk's published claims
scores at least FACTCHECK_REPEAT_MIN_SCORE (default: the triage threshold),
and shares a figure with it when both give figures, as a repeat of it, with the
rating and date the editor reads ("repeated claim: already rated False on 12 May").
Flagging is idempotent: a claim is a repeat of one original, once.

Linking a repeat to its original is the workflow's duplicate transition
(``workflow.mark_duplicate``): no new check, one audit event. There is no
notification system to tell the original's publisher yet; the audit event
names the original, which is where one would start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

from claims.matching.text import numbers
from claims.matching.triage import min_score
from claims.models import Claim, ClaimMatch, ClaimRepeat, Verdict
from claims.review import workflow

OPEN_STATUSES = (Claim.Status.CANDIDATE, Claim.Status.ACCEPTED)


def flag_repeats(claim_ids: Iterable[int]) -> int:
    """Mark the open claims among these whose stored matches include a published
    fact-check of ours at or above the threshold (see the module docstring); returns how many were new."""
    ids = list(claim_ids)
    if not ids:
        return 0
    threshold = settings.FACTCHECK_REPEAT_MIN_SCORE
    if threshold is None:
        threshold = min_score()
    rows = (
        ClaimMatch.objects.filter(
            claim_id__in=ids,
            claim__status__in=OPEN_STATUSES,
            claim__repeat__isnull=True,
            matched_claim__isnull=False,
            score__gte=threshold,
        )
        .order_by("claim_id", "-score", "pk")
        .values_list("claim_id", "matched_claim_id", "score")
    )
    candidates: dict[int, list[tuple[int, float]]] = {}
    for claim_id, original_id, score in rows:
        candidates.setdefault(claim_id, []).append((original_id, score))
    if not candidates:
        return 0
    originals = {original for found in candidates.values() for original, _ in found}
    texts = dict(Claim.objects.filter(pk__in=[*candidates, *originals]).values_list("pk", "text"))
    verdicts = {
        verdict.claim_id: verdict
        for verdict in Verdict.objects.published().filter(claim_id__in=originals).select_related("rating")
    }
    flagged = 0
    for claim_id, found in candidates.items():
        best = next(
            (
                (original, score)
                for original, score in found
                if original in verdicts and _same_figures(texts.get(claim_id, ""), texts.get(original, ""))
            ),
            None,
        )
        if best is None:
            continue
        original, score = best
        verdict = verdicts[original]
        try:
            with transaction.atomic():
                _, created = ClaimRepeat.objects.get_or_create(
                    claim_id=claim_id,
                    defaults={
                        "original_id": original,
                        "score": score,
                        "rating_label": verdict.rating.label[:100],
                        "rated_at": verdict.published_at,
                    },
                )
        except IntegrityError:
            created = False  # flagged by a concurrent run
        flagged += created
    return flagged


def _same_figures(claim: str, original: str) -> bool:
    """A claim that gives figures repeats a checked one only if they share one: the matcher
    scores "costs $120,000 a year" high against "costs $14 million a year" (same topic), and
    "already rated False" would be wrong there."""
    ours, theirs = numbers(claim), numbers(original)
    return not ours or not theirs or bool(ours & theirs)


def link_repeat(claim_id: int, *, by, note: str = "") -> Claim:
    """Link a repeat to the fact-check it repeats: the duplicate transition, one audit event.

    Raises workflow's errors (permission, status, conflict) with their plain messages.
    """
    repeat = ClaimRepeat.objects.filter(claim_id=claim_id).first()
    if repeat is None:
        raise workflow.WorkflowError(f"Claim #{claim_id} is not marked as a repeat.")
    return workflow.mark_duplicate(claim_id, by=by, duplicate_of=repeat.original_id, note=note or str(repeat))


@dataclass(frozen=True)
class WeeklyRepeats:
    original_id: int
    text: str
    # Repeats found in each of the weeks (oldest first), and in all of them.
    counts: list[int]
    total: int


def weekly_repeats(now: dt.datetime, *, weeks: int = 8, limit: int = 20) -> tuple[list[dt.date], list[WeeklyRepeats]]:
    """Repeats found per fact-check per ISO week, most repeated first; two queries."""
    this_monday = timezone.localdate(now) - dt.timedelta(days=timezone.localdate(now).weekday())
    mondays = [this_monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    start = timezone.make_aware(dt.datetime.combine(mondays[0], dt.time.min))
    rows = (
        ClaimRepeat.objects.filter(found_at__gte=start)
        .annotate(week=TruncWeek("found_at"))
        .order_by()
        .values_list("original_id", "week")
        .annotate(n=Count("pk"))
    )
    per_original: dict[int, dict[dt.date, int]] = {}
    for original_id, week, n in rows:
        per_original.setdefault(original_id, {})[timezone.localtime(week).date()] = n
    ranked = sorted(per_original.items(), key=lambda item: (-sum(item[1].values()), item[0]))[:limit]
    texts = dict(Claim.objects.filter(pk__in=[pk for pk, _ in ranked]).values_list("pk", "text"))
    return mondays, [
        WeeklyRepeats(
            original_id=pk,
            text=texts.get(pk, ""),
            counts=[by_week.get(monday, 0) for monday in mondays],
            total=sum(by_week.values()),
        )
        for pk, by_week in ranked
    ]

"""Matches stored for the triage queue: computed in the background when a
claim is extracted or entered, read by the admin without a query per row.

``queue_matching`` writes an outbox row in the caller's transaction; the
``match_claims`` task calls ``refresh_matches``, which is idempotent: the same
claims and scores leave the rows as they are, and an editor's link to an
external fact-check is never removed by a recomputation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from claims import outbox
from claims.models import Claim, ClaimMatch, Verdict

from . import match, ranking

MATCH_TASK = "claims.tasks.match_claims"
STORED_MATCHES = 5


def queue_matching(claim_ids: Iterable[int]) -> None:
    """Queue the matching of these claims (call inside the transaction that created or changed them)."""
    ids = sorted(set(claim_ids))
    if ids:
        outbox.enqueue(MATCH_TASK, queue=settings.FACTCHECK_EXTRACT_QUEUE, claim_ids=ids)


def min_score() -> float:
    """The score from which a match is stored and shown at triage: FACTCHECK_MATCH_MIN_SCORE
    when set, else the threshold calibrated with the matching model."""
    if settings.FACTCHECK_MATCH_MIN_SCORE is not None:
        return settings.FACTCHECK_MATCH_MIN_SCORE
    threshold = ranking.default_model().threshold
    return DEFAULT_MIN_SCORE if threshold is None else threshold


# For a model trained without a calibrated threshold (before issue 20).
DEFAULT_MIN_SCORE = 0.2


def claim_date(claim: Claim) -> dt.date | None:
    if claim.claimed_on:
        return claim.claimed_on
    if claim.article_id and claim.article.published_at:
        return claim.article.published_at.date()
    return None


def refresh_matches(claim_id: int) -> int:
    """Compute and store a claim's matches; returns how many are stored.

    Matches scoring under ``min_score()`` are not kept.
    """
    claim = Claim.objects.select_related("claimant", "article").defer("article__text").filter(pk=claim_id).first()
    if claim is None or not claim.text.strip():
        return 0
    found = match(
        claim.text,
        top=STORED_MATCHES,
        public_only=False,
        claimant=claim.claimant.name if claim.claimant_id else None,
        date=claim_date(claim),
        language=claim.language,
        exclude_claim=claim.pk,
    )
    threshold = min_score()
    found = [m for m in found if m.score >= threshold]
    now = timezone.now()
    with transaction.atomic():
        # One refresh of a claim at a time: two would race on the unique constraints.
        if not Claim.objects.select_for_update().filter(pk=claim_id).exists():
            return 0
        existing = {
            (row.matched_claim_id, row.matched_review_id): row for row in ClaimMatch.objects.filter(claim_id=claim_id)
        }
        scores = {((m.id, None) if m.kind == "claim" else (None, m.id)): round(m.score, 6) for m in found}
        stale = [row.pk for key, row in existing.items() if key not in scores and row.linked_at is None]
        ClaimMatch.objects.filter(pk__in=stale).delete()
        new = []
        for position, (key, score) in enumerate(scores.items()):
            row = existing.get(key)
            if row is None:
                # Ranked below every stored row until rerank places it.
                new.append(
                    ClaimMatch(
                        claim_id=claim_id,
                        matched_claim_id=key[0],
                        matched_review_id=key[1],
                        score=score,
                        rank=UNRANKED + position,
                        computed_at=now,
                    )
                )
            elif row.score != score:
                row.score, row.computed_at = score, now
                row.save(update_fields=["score", "computed_at"])
        ClaimMatch.objects.bulk_create(new)
        rerank(claim_id)
    return len(found)


UNRANKED = 1000


def rerank(claim_id: int) -> None:
    """Number a claim's matches 1, 2, ...: links an editor confirmed first, then by score.

    Only rank 1 is unique (the row the triage queue shows), so the row leaving
    rank 1 is written before the row taking it.
    """
    rows = sorted(ClaimMatch.objects.filter(claim_id=claim_id), key=lambda r: (r.linked_at is None, -r.score, r.pk))
    changed = [(rank, row) for rank, row in enumerate(rows, start=1) if row.rank != rank]
    for rank, row in sorted(changed, key=lambda pair: pair[0] == 1):
        row.rank = rank
        row.save(update_fields=["rank"])


def with_best_match(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Claims with their shown match's fields as ``best_*`` annotations (rank 1: a
    confirmed link, else the best score), read by a join in the same query."""
    published_rating = Verdict.objects.filter(
        claim_id=OuterRef("best_claim_id"), status=Verdict.Status.PUBLISHED
    ).values("rating__label")[:1]
    return claims.annotate(
        best=FilteredRelation("matches", condition=Q(matches__rank=1)),
        best_score=F("best__score"),
        best_linked_at=F("best__linked_at"),
        best_claim_id=F("best__matched_claim_id"),
        best_claim_text=F("best__matched_claim__text"),
        best_claim_status=F("best__matched_claim__status"),
        best_review_id=F("best__matched_review_id"),
        best_review_claim=F("best__matched_review__claim_reviewed"),
        best_review_publisher=F("best__matched_review__publisher_name"),
        best_review_rating=F("best__matched_review__rating_text"),
        best_review_url=F("best__matched_review__url"),
    ).annotate(best_claim_rating=Subquery(published_rating))


def best_external_match(claim_id: int) -> ClaimMatch | None:
    return ClaimMatch.objects.filter(claim_id=claim_id, matched_review__isnull=False).order_by("-score", "pk").first()


def best_claim_match(claim_id: int) -> ClaimMatch | None:
    return (
        ClaimMatch.objects.filter(claim_id=claim_id, matched_claim__isnull=False)
        .exclude(matched_claim__status__in=[Claim.Status.DISMISSED])
        .order_by("-score", "pk")
        .first()
    )

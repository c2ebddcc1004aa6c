"""Claim matching: has this claim been checked already, here or elsewhere?

``match`` is the one entry point (the triage task, the admin, the public API
and the commands all call it). It searches this desk's claims and the
fact-checks imported from other organisations (``ExternalReview``) in two
stages:

1. a candidate list (``backends``): full-text search on PostgreSQL (GIN index
   on a stored tsvector), an in-process index on SQLite;
2. re-ranking (``ranking``): BM25, trigram similarity, shared numbers and
   dates, weighed by a model trained on CLEF-2021 CheckThat! Task 2B
   (``training``; ``manage.py train_matching``, ``manage.py evaluate_matching``).

Optionally (``semantic``, off unless ``FACTCHECK_EMBEDDING_MODEL`` names a model
and ``manage.py semantic_index`` has built the store on PostgreSQL with
pgvector), the query's nearest neighbours in a sentence-embedding space join
the candidates and the cosine similarity is blended into the score.

``public_only`` (the default) keeps to what the public may see: published
fact-checks of this desk (a published verdict revision) and imported
references. Editors also see claims still in the workflow, except dismissed
claims and duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Prefetch

from claims.models import Claim, ExternalReview, Verdict

from . import backends, ranking, semantic

logger = logging.getLogger(__name__)

MAX_TOP = 50
MAX_QUERY_CHARS = 2000


class MatchError(ValueError):
    """A request that cannot be matched (no text, bad limits); the message says why."""


@dataclass(frozen=True)
class Match:
    kind: str  # "claim" (this desk's) or "external" (another organisation's fact-check)
    id: int  # Claim or ExternalReview primary key
    claim: str  # the claim as the matched record states it
    score: float  # 0 to 1: how likely the match checks the same claim
    url: str  # the public fact-check's address; "" for claims not published
    publisher: str
    rating: str  # the published rating as its publisher wrote it; "" when none
    identifier: str  # the ClaimReview identifier of an imported fact-check, else ""
    date: dt.date | None  # when the matched claim was made, when known
    status: str  # the claim's workflow status ("" for external fact-checks)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        data["score"] = round(self.score, 4)
        return data


def match(
    text: str,
    *,
    top: int = 5,
    public_only: bool = True,
    claimant: str | None = None,
    date: dt.date | None = None,
    language: str = "",
    exclude_claim: int | None = None,
    using: str = "default",
) -> list[Match]:
    """The ``top`` fact-checks and claims most likely to check the claim ``text``, best first.

    ``claimant`` (a name) and ``date`` (when the claim was made) sharpen the
    ranking when known; ``language`` (a BCP 47 tag; English when empty) picks
    how the text is split into lexemes; ``exclude_claim`` leaves a claim out
    (the one being matched).
    """
    # NUL cannot reach PostgreSQL in a text parameter; it is no word either.
    text = " ".join((text or "").replace("\x00", " ").split())
    if not text:
        raise MatchError("Give the text of a claim to match.")
    if len(text) > MAX_QUERY_CHARS:
        raise MatchError(f"The claim is too long to match: at most {MAX_QUERY_CHARS} characters.")
    if not 1 <= top <= MAX_TOP:
        raise MatchError(f"Ask for 1 to {MAX_TOP} matches.")
    query = ranking.Query(text, date=date, claimant=claimant or "", language=language or "")
    found, stats = backends.candidates(query, using=using, public_only=public_only, exclude_claim=exclude_claim)
    ranked = None
    if semantic.ready(using):
        try:
            ranked = semantic.blend(
                query, found, stats, using=using, public_only=public_only, exclude_claim=exclude_claim
            )
        except (semantic.SemanticError, DatabaseError) as exc:
            # A broken model or store costs the semantic half only (the system checks say why).
            logger.error("semantic matching skipped: %s", exc)
    if ranked is None:
        ranked = ranking.rank(query, found, stats)
    if not public_only:
        return describe(ranked[:top], using=using)
    # A fact-check retracted since the candidates were read is left out, not shown unpublished.
    return describe(ranked[: top + 5], using=using, public_only=True)[:top]


def describe(
    ranked: list[tuple[ranking.Candidate, float]], *, using: str = "default", public_only: bool = False
) -> list[Match]:
    """What to show of each ranked candidate, read in two queries (claims, then external reviews)."""
    claim_ids = [c.pk for c, _ in ranked if c.kind == "claim"]
    review_ids = [c.pk for c, _ in ranked if c.kind == "external"]
    claims = (
        Claim.objects.using(using)
        .prefetch_related(
            Prefetch(
                "verdicts",
                queryset=Verdict.objects.published().select_related("rating"),
                to_attr="published_verdicts",
            )
        )
        .in_bulk(claim_ids)
        if claim_ids
        else {}
    )
    reviews = ExternalReview.objects.using(using).defer("raw").in_bulk(review_ids) if review_ids else {}
    result = []
    for candidate, score in ranked:
        if candidate.kind == "claim" and candidate.pk in claims:
            claim = claims[candidate.pk]
            verdict = claim.published_verdicts[0] if claim.published_verdicts else None
            if public_only and verdict is None:
                continue
            result.append(
                Match(
                    kind="claim",
                    id=claim.pk,
                    claim=claim.text,
                    score=score,
                    url=claim.public_url if verdict else "",
                    publisher=settings.FACTCHECK_ORGANIZATION_NAME,
                    rating=verdict.rating.label if verdict else "",
                    identifier="",
                    date=candidate.date,
                    status=claim.status,
                )
            )
        elif candidate.kind == "external" and candidate.pk in reviews:
            review = reviews[candidate.pk]
            result.append(
                Match(
                    kind="external",
                    id=review.pk,
                    claim=review.claim_reviewed,
                    score=score,
                    url=review.url,
                    publisher=review.publisher_name,
                    rating=review.rating_text,
                    identifier=review.identifier,
                    date=review.claim_date,
                    status="",
                )
            )
    return result

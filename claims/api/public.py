"""The public record of a fact-check, as plain data: the one place that
decides what of a published fact-check the public may see.

Everything here starts from ``Verdict.objects.published()``; evidence is shown
as it stood when the current revision was published (sources added while a
correction is being researched stay private until the correction is out).
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from ..models import Claim, Evidence, Rating, Verdict


def published_fact_checks() -> QuerySet[Verdict]:
    """Published verdicts with everything their public record needs, in a fixed number of queries."""
    return (
        Verdict.objects.published()
        .select_related("claim__claimant", "claim__article__outlet", "rating__scale")
        .prefetch_related(
            Prefetch("rating__scale__ratings", queryset=Rating.objects.order_by("order")),
            Prefetch("claim__evidence", queryset=Evidence.objects.order_by("added_at", "pk")),
            Prefetch(
                "claim__verdicts",
                queryset=Verdict.objects.exclude(status=Verdict.Status.DRAFT).order_by("revision"),
                to_attr="public_revisions",
            ),
            Prefetch(
                "claim__duplicates",
                queryset=Claim.objects.filter(article__isnull=False).select_related("article__outlet"),
                to_attr="public_duplicates",
            ),
        )
    )


def appearance_articles(claim: Claim) -> list:
    """The articles the claim appeared in: its own, then its duplicates', one per URL."""
    duplicates = getattr(claim, "public_duplicates", None)
    if duplicates is None:
        duplicates = claim.duplicates.filter(article__isnull=False).select_related("article__outlet")
    articles = ([claim.article] if claim.article_id else []) + [d.article for d in duplicates if d.article_id]
    seen, result = set(), []
    for article in articles:
        url = article.canonical_url or article.url
        if url and url not in seen:
            seen.add(url)
            result.append(article)
    return result


def appearances(claim: Claim) -> list[dict]:
    return [
        {
            "url": article.canonical_url or article.url,
            "title": article.title,
            "outlet": article.outlet.name if article.outlet_id else None,
            "published_at": article.published_at.isoformat() if article.published_at else None,
        }
        for article in appearance_articles(claim)
    ]


def fact_check(verdict: Verdict) -> dict:
    """The public JSON of one published fact-check."""
    claim = verdict.claim
    rating = verdict.rating
    revisions = getattr(claim, "public_revisions", None)
    if revisions is None:
        revisions = list(claim.verdicts.exclude(status=Verdict.Status.DRAFT).order_by("revision"))
    first_published = next((r.published_at for r in revisions if r.published_at), verdict.published_at)
    evidence = [e for e in claim.evidence.all() if e.added_at <= verdict.published_at]
    return {
        "id": claim.pk,
        "url": claim.public_url,
        "claim": claim.text,
        "claimant": (
            {"name": claim.claimant.name, "kind": claim.claimant.kind, "description": claim.claimant.description}
            if claim.claimant_id
            else None
        ),
        "claim_date": claim.claimed_on.isoformat() if claim.claimed_on else None,
        "appearances": appearances(claim),
        "headline": verdict.headline,
        "rating": {
            "label": rating.label,
            "value": rating.value,
            "best": rating.scale.best_value,
            "worst": rating.scale.worst_value,
            "definition": rating.definition,
            "scale": str(rating.scale),
        },
        "summary": verdict.summary,
        "explanation": verdict.explanation,
        "evidence": [
            {
                "url": e.url,
                "title": e.title,
                "publisher": e.publisher,
                "stance": e.stance,
                "source_type": e.source_type,
                "excerpt": e.excerpt,
                "snapshot_sha256": e.snapshot_sha256 or None,
                "snapshot_date": e.snapshot_fetched_at.isoformat() if e.snapshot_fetched_at else None,
            }
            for e in evidence
        ],
        "revision": verdict.revision,
        "published_at": first_published.isoformat(),
        "modified_at": verdict.published_at.isoformat(),
        "corrections": [
            {"revision": r.revision, "note": r.correction_note, "published_at": r.published_at.isoformat()}
            for r in revisions
            if r.revision > 1 and r.correction_note and r.published_at and r.revision <= verdict.revision
        ],
        "language": claim.language or None,
    }

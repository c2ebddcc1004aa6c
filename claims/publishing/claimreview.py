"""schema.org ClaimReview JSON-LD for this organisation's published fact-checks.

Follows Google's ClaimReview rules: ``claimReviewed`` (the short headline,
never the rating), ``reviewRating`` with ``alternateName`` (the text verdict),
``url`` on SITE_URL, the organisation as ``author``, ``datePublished`` (first
publication) and ``dateModified`` (after corrections), and ``itemReviewed`` as a
``Claim`` with its ``author``, ``datePublished``, ``appearance`` and
``firstAppearance``. Only types and properties of the schema.org vocabulary,
each on a type that has it (checked in tests against the vocabulary file).
"""

from __future__ import annotations

from django.conf import settings

from claims.models import Claim, Claimant, Verdict
from claims.siteurl import site_url

from .record import appearance_articles


def _organization() -> dict:
    return {"@type": "Organization", "name": settings.FACTCHECK_ORGANIZATION_NAME, "url": site_url() + "/"}


def _claimant(verdict: Verdict) -> dict | None:
    """The claimant as the revision was published with."""
    if not verdict.claimant_name:
        return None
    kind = "Person" if verdict.claimant_kind == Claimant.Kind.PERSON else "Organization"
    node = {"@type": kind, "name": verdict.claimant_name}
    if verdict.claimant_description:
        node["description"] = verdict.claimant_description
    return node


def _appearances(claim: Claim) -> list[dict]:
    """Where the claim was made, oldest first (the first is ClaimReview's firstAppearance)."""
    result = []
    for article in sorted(
        appearance_articles(claim), key=lambda a: (a.published_at is None, a.published_at or a.created_at)
    ):
        node = {"@type": "CreativeWork", "url": article.canonical_url or article.url}
        if article.title:
            node["headline"] = article.title
        if article.published_at:
            node["datePublished"] = article.published_at.date().isoformat()
        if article.outlet_id:
            node["publisher"] = {"@type": "Organization", "name": article.outlet.name}
        result.append(node)
    return result


def _rating(verdict: Verdict) -> dict:
    rating = verdict.rating
    node = {"@type": "Rating", "alternateName": rating.label, "ratingExplanation": verdict.summary}
    if rating.value is not None:
        scale = rating.scale
        node.update(ratingValue=rating.value, bestRating=scale.best_value, worstRating=scale.worst_value)
    return node


def claimreview(verdict: Verdict) -> dict:
    """The ClaimReview of one published verdict revision."""
    claim = verdict.claim
    first_published = (
        claim.verdicts.exclude(published_at__isnull=True)
        .order_by("revision")
        .values_list("published_at", flat=True)
        .first()
        or verdict.published_at
    )
    item = {"@type": "Claim"}
    if author := _claimant(verdict):
        item["author"] = author
    if verdict.claimed_on:
        item["datePublished"] = verdict.claimed_on.isoformat()
    appearances = _appearances(claim)
    if appearances:
        item["appearance"] = appearances
        item["firstAppearance"] = appearances[0]
    document = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": claim.public_url,
        "claimReviewed": verdict.headline,
        "author": _organization(),
        "datePublished": first_published.date().isoformat(),
        "reviewRating": _rating(verdict),
        "itemReviewed": item,
    }
    if verdict.revision > 1 and verdict.published_at and verdict.published_at != first_published:
        document["dateModified"] = verdict.published_at.isoformat()
    if verdict.language:
        document["inLanguage"] = verdict.language
    return document

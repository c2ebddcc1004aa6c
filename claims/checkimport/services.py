"""The writes an import makes to what the public or the desk's accounts see, one function each."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from claims.models import Claim, Rating, ReviewEvent, Verdict
from claims.review.publication import freeze, public_slug

from .maps import IMPORT_STATUSES

ACTOR = "check-import"
IMPORTED = "claims.claim.imported"


class ImportRefused(Exception):
    """This record cannot be imported as asked; the message is the reason reported for its row."""


def import_published_fact_check(
    claim_id: int,
    *,
    rating: Rating,
    headline: str,
    summary: str,
    canonical_url: str,
    language: str,
    source: dict,
    when: dt.datetime | None = None,
) -> Verdict:
    """Publish a fact-check that was already public in Check, on a claim the import created.

    The one place an import writes the public record: the revision is frozen as
    ``workflow.approve`` would freeze it, the claim keeps Check's URL as its
    canonical address, and the audit trail says it was imported. No webhook is
    sent: subscribers hear of fact-checks published here, not of a desk's history.
    """
    when = when or timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.status not in IMPORT_STATUSES or claim.verdicts.exists():
            raise ImportRefused(
                f"claim #{claim.pk} is {claim.get_status_display().lower()} with a verdict already; "
                "a published fact-check is imported only onto a claim the import created"
            )
        from_status = claim.status
        if language and not claim.language:
            claim.language = language
        verdict = Verdict(
            claim=claim,
            revision=1,
            rating=rating,
            headline=headline[:200],
            summary=summary,
            explanation=summary,
            status=Verdict.Status.PUBLISHED,
            published_at=when,
        )
        freeze(claim, verdict)
        verdict.save()
        claim.status = Claim.Status.PUBLISHED
        claim.status_changed_at = when
        claim.canonical_url = canonical_url
        claim.slug = public_slug(headline, claim.pk)
        claim.version += 1
        claim.save(
            update_fields=["status", "status_changed_at", "canonical_url", "slug", "language", "version", "updated_at"]
        )
        ReviewEvent.objects.create(
            claim=claim,
            action=IMPORTED,
            from_status=from_status,
            to_status=Claim.Status.PUBLISHED,
            actor_username=ACTOR,
            data={**source, "verdict_id": verdict.pk, "canonical_url": canonical_url},
        )
    return verdict


def create_invitable_user(*, username: str, email: str, name: str, group: Group):
    """An account for a Check member: inactive and without a password until the desk invites them."""
    user = get_user_model()(username=username, email=email, first_name=name[:150], is_active=False)
    user.set_unusable_password()
    user.save()
    user.groups.add(group)
    return user

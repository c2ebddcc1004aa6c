"""An editor's decision on a stored match: this external fact-check checks the claim.

Matching computes and stores the matches (claims.matching.triage); confirming one
is a review step, with the triage permission and an audit event.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from claims.matching.triage import rerank
from claims.models import ClaimMatch, ReviewEvent

from .workflow import NotPermitted, WorkflowError

LINK_ACTION = "claims.claim.linked_external_review"


def link_external_review(match_id: int, *, by, note: str = "") -> ClaimMatch:
    """Record that an editor confirmed the matched external fact-check checks the claim.

    Needs the triage permission; writes one audit event. Linking twice does nothing the second time.
    """
    with transaction.atomic():
        row = (
            ClaimMatch.objects.select_for_update(of=("self",))
            .select_related("claim", "matched_review")
            .filter(pk=match_id)
            .first()
        )
        if row is None:
            raise WorkflowError(f"Match #{match_id} does not exist.")
        if row.matched_review_id is None:
            raise WorkflowError(
                f"Match #{match_id} is one of this desk's claims: mark the claim as its duplicate instead."
            )
        if not by.is_active or not by.has_perm("claims.triage_claim"):
            raise NotPermitted(f"{by.get_username()} may not link fact-checks: it needs the Editors role.")
        if row.linked_at is not None:
            return row
        row.linked_at, row.linked_by = timezone.now(), by
        row.save(update_fields=["linked_at", "linked_by"])
        rerank(row.claim_id)
        claim, review = row.claim, row.matched_review
        ReviewEvent.objects.create(
            claim=claim,
            action=LINK_ACTION,
            from_status=claim.status,
            to_status=claim.status,
            actor=by,
            note=note,
            data={
                "external_review": review.pk,
                "url": review.url,
                "publisher": review.publisher_name,
                "score": row.score,
            },
        )
    return row

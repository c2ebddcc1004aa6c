"""Publication: a revision becomes the public record, frozen as it stood.

Both publish paths (``workflow.approve`` now, ``workflow.publish_scheduled`` at
the embargo) come through ``publish_draft``, inside the transition's
transaction and under its row lock: the previous revision is superseded, a
correction's changes to the claim itself (held on its draft) become the
claim's, and the revision copies what the public reads of the claim, its
claimant and its sources (``freeze``; ``claims.publishing.record`` serves those
copies, never the live rows). The published/corrected webhook event is recorded
in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.text import slugify

from claims import outbox
from claims.matching.triage import queue_matching
from claims.models import Claim, Tip, Verdict
from claims.publishing import webhooks

TIP_REPLIES_TASK = "claims.tasks.queue_tip_replies"


def source_record(evidence) -> dict:
    """One source as a published revision keeps it (``evidence_id`` stays internal)."""
    return {
        "evidence_id": evidence.pk,
        "url": evidence.url,
        "title": evidence.title,
        "publisher": evidence.publisher,
        "stance": evidence.stance,
        "source_type": evidence.source_type,
        "excerpt": evidence.excerpt,
        "snapshot_sha256": evidence.snapshot_sha256 or None,
        "snapshot_date": evidence.snapshot_fetched_at.isoformat() if evidence.snapshot_fetched_at else None,
        # Why the desk cites it without an archive (an editor's override), shown as "not archived: ...".
        "not_archived_reason": None if evidence.archived else evidence.archive_override_reason or None,
    }


def apply_held_changes(claim: Claim, draft: Verdict) -> dict:
    """A correction's changes to the claim itself, held on its draft, become the claim's."""
    changes = {}
    for name, attr in (("text", "claim_text"), ("claimant_id", "claimant_id"), ("claimed_on", "claimed_on")):
        if getattr(claim, name) != getattr(draft, attr):
            changes[name] = [getattr(claim, name), getattr(draft, attr)]
            setattr(claim, name, getattr(draft, attr))
    if claim.language != draft.language:
        changes["language"] = [claim.language, draft.language]
        claim.language = draft.language
    if changes:
        claim.save(update_fields=[*changes, "updated_at"])
        if "claimed_on" in changes:
            changes["claimed_on"] = [d.isoformat() if d else None for d in changes["claimed_on"]]
        if "text" in changes:
            queue_matching([claim.pk])
    return changes


def freeze(claim: Claim, draft: Verdict, evidence: list | None = None) -> None:
    """Copy into the revision what the public will read of the claim and its sources
    (``evidence``: the claim's, in order, when the caller read them for many claims at once)."""
    claimant = claim.claimant
    draft.claim_text = claim.text
    draft.claimant = claimant
    draft.claimant_name = claimant.name if claimant else ""
    draft.claimant_kind = claimant.kind if claimant else ""
    draft.claimant_description = claimant.description if claimant else ""
    draft.claimed_on = claim.claimed_on
    draft.language = claim.language
    if evidence is None:
        evidence = claim.evidence.order_by("added_at", "pk")
    draft.sources = [source_record(e) for e in evidence]


def public_slug(headline: str, claim_id: int) -> str:
    """The fact-check's public address, unique by its claim's id."""
    return f"{slugify(headline, allow_unicode=True)[:100].strip('-') or 'fact-check'}-{claim_id}"


PUBLIC_RECORD_FIELDS = [
    "claim_text",
    "claimant",
    "claimant_name",
    "claimant_kind",
    "claimant_description",
    "claimed_on",
    "language",
    "sources",
]


def publish_draft(claim: Claim, draft: Verdict, when: dt.datetime) -> dict:
    """Publish the draft as the public record; returns the claim changes a correction brought."""
    held = apply_held_changes(claim, draft) if draft.revision > 1 and draft.claim_text else {}
    if not claim.slug:
        # The public address is fixed at first publication: corrections keep it.
        claim.slug = public_slug(draft.headline, claim.pk)
        claim.save(update_fields=["slug"])
    previous = claim.verdicts.filter(status=Verdict.Status.PUBLISHED).first()
    if previous is not None:
        previous.status = Verdict.Status.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
    freeze(claim, draft)
    draft.status = Verdict.Status.PUBLISHED
    draft.published_at = when
    draft.save(update_fields=["status", "published_at", "publish_at", "approver", "updated_at", *PUBLIC_RECORD_FIELDS])
    # Both publish paths (approve now, publish_scheduled) come through here. A
    # correction is announced when it is published, not when it is started:
    # until then the public record has not changed.
    webhooks.record_event(claim, webhooks.Event.CORRECTED if previous is not None else webhooks.Event.PUBLISHED)
    if Tip.objects.filter(claim=claim).exists():
        # The readers who asked are sent this revision (claims.tiplines.replies, above this layer).
        outbox.enqueue(TIP_REPLIES_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, claim_id=claim.pk, verdict_id=draft.pk)
    return held

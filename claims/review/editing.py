"""Changes to a claim's record: its wording and claimant, its sources, its verdict draft.

Every caller (the admin's forms, inlines and changelists, the internal API,
commands, importers) changes a claim's record through these functions, so the
same rules hold whatever the door:

- the record may change only while the claim is editable
  (``workflow.EDITABLE_STATUSES``): before review starts, and again while a
  correction is researched;
- only editors and the claim's assignee may change it; other reviewers read;
- a claim has at most one verdict draft, made here (or by ``workflow.correct``)
  under the claim's row lock, so two first saves at once make one draft;
- while a correction is researched, what the public reads of the claim (its
  wording, claimant, date and language) changes on the correction's draft: the
  claim row and the public record keep the published version until the
  correction is approved (``workflow`` applies the draft then);
- every change writes one ``ReviewEvent`` in its transaction;
- whoever changes the record while a draft exists becomes one of the draft's
  contributors, and no contributor may approve it (four-eyes, in ``workflow``).

Each function locks the claim row first, like the workflow's transitions, so a
change and a transition on the same claim never interleave.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from claims.evidence.sources import save_source
from claims.matching.triage import queue_matching
from claims.models import (
    ARCHIVE_OVERRIDE_FIELDS,
    ARCHIVE_OVERRIDE_MAX_LENGTH,
    Claim,
    Claimant,
    Evidence,
    Rating,
    ReviewEvent,
    Verdict,
)
from claims.normalize import normalize_url

from .workflow import EDITABLE_STATUSES, ConflictError, GuardFailed, NotPermitted

# What the public reads of a claim: held on the draft during a correction.
PUBLIC_CLAIM_FIELDS = {"text": "claim_text", "claimant": "claimant", "claimed_on": "claimed_on", "language": "language"}
# Where the claim appeared: fixed once the claim has been published (its public appearances).
SOURCE_FIELDS = ("article", "sentence", "span_start", "span_end")
CLAIM_FIELDS = (*PUBLIC_CLAIM_FIELDS, "priority", *SOURCE_FIELDS)
EVIDENCE_FIELDS = ("url", "title", "publisher", "excerpt", "stance", "source_type")
DRAFT_FIELDS = ("rating", "headline", "summary", "explanation", "correction_note")


class RecordFixed(NotPermitted):
    """The claim's record cannot be changed now, or not by this person."""


# --- Who may change what ---------------------------------------------------------


def is_editor(user: AbstractBaseUser) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("claims.triage_claim"))


def edit_problem(claim: Claim, user: AbstractBaseUser) -> str | None:
    """Why ``user`` may not change the claim's record now; None when they may."""
    if claim.status not in EDITABLE_STATUSES:
        return f"Claim #{claim.pk} is {claim.get_status_display().lower()}; its record is fixed."
    if not user.is_active:
        return f"{user.get_username()} is not an active user."
    if is_editor(user) or (claim.assignee_id is not None and claim.assignee_id == user.pk):
        return None
    who = claim.assignee.get_username() if claim.assignee_id else "nobody yet"
    return f"Only the claim's assignee ({who}) or an editor may change claim #{claim.pk}; other reviewers may read it."


def may_edit(claim: Claim | None, user: AbstractBaseUser) -> bool:
    return claim is None or edit_problem(claim, user) is None


def in_correction(claim: Claim) -> bool:
    """A published claim reopened for correction: its public record is a published revision."""
    return claim.verdicts.filter(status=Verdict.Status.PUBLISHED).exists()


def current_draft(claim: Claim) -> Verdict | None:
    return claim.verdicts.filter(status=Verdict.Status.DRAFT).first()


def correction_drafts() -> Prefetch:
    """Prefetch for lists that show claims as the desk edits them (``working_claim`` then runs no query)."""
    drafts = Verdict.objects.filter(status=Verdict.Status.DRAFT, revision__gt=1).select_related("claimant")
    return Prefetch("verdicts", queryset=drafts, to_attr="correction_drafts")


def working_claim(claim: Claim) -> dict[str, Any]:
    """The claim's public fields as the desk is editing them: the correction draft's during a correction."""
    if hasattr(claim, "correction_drafts"):
        draft = claim.correction_drafts[0] if claim.correction_drafts else None
    else:
        draft = current_draft(claim)
    if draft is not None and draft.revision > 1:
        return {name: getattr(draft, attr) for name, attr in PUBLIC_CLAIM_FIELDS.items()}
    return {name: getattr(claim, name) for name in PUBLIC_CLAIM_FIELDS}


def _lock(claim_id: int, by: AbstractBaseUser, permission: str) -> Claim:
    try:
        claim = Claim.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=claim_id)
    except Claim.DoesNotExist:
        raise GuardFailed(f"Claim #{claim_id} does not exist.") from None
    if not by.has_perm(permission):
        raise NotPermitted(f"{by.get_username()} may not do this: it needs the {permission} permission.")
    if problem := edit_problem(claim, by):
        raise RecordFixed(problem)
    return claim


def _contribute(claim: Claim, by: AbstractBaseUser, draft: Verdict | None = None) -> None:
    draft = draft or current_draft(claim)
    if draft is not None:
        draft.contributors.add(by)


def _event(claim: Claim, by: AbstractBaseUser, action: str, data: dict, note: str = "") -> ReviewEvent:
    return ReviewEvent.objects.create(
        claim=claim,
        action=action,
        from_status=claim.status,
        to_status=claim.status,
        actor=by,
        actor_username=by.get_username(),
        note=note,
        data=data,
    )


def _plain(value) -> Any:
    """A value as the audit trail records it (JSON)."""
    if isinstance(value, Claimant):
        return str(value)
    if isinstance(value, Rating):
        return value.label
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


# --- The claim ---------------------------------------------------------------------


def update_claim(claim_id: int, *, by: AbstractBaseUser, changes: dict[str, Any]) -> Claim:
    """Change the claim's fields named in ``changes`` (values as the model takes them).

    During a correction the public fields change on the draft only; before the
    first publication they change on the claim. Returns the claim as stored.
    """
    unknown = sorted(set(changes) - set(CLAIM_FIELDS))
    if unknown:
        raise GuardFailed(f"These fields cannot be changed here: {', '.join(unknown)}.")
    with transaction.atomic():
        claim = _lock(claim_id, by, "claims.change_claim")
        draft = current_draft(claim)
        correcting = in_correction(claim)
        held_on = draft if correcting else None
        if correcting and draft is None:
            raise GuardFailed(f"Claim #{claim.pk} is being corrected but has no draft to hold the change.")
        before = working_claim(claim) if correcting else {}
        changed: dict[str, list] = {}
        claim_fields, draft_fields = [], []
        for name, value in changes.items():
            if name in PUBLIC_CLAIM_FIELDS and held_on is not None:
                old = before[name]
                if old != value:
                    setattr(held_on, PUBLIC_CLAIM_FIELDS[name], value)
                    draft_fields.append(PUBLIC_CLAIM_FIELDS[name])
                    changed[name] = [_plain(old), _plain(value)]
                continue
            if name in SOURCE_FIELDS and correcting:
                if getattr(claim, name) != value:
                    raise RecordFixed(
                        f"Where claim #{claim.pk} appeared ({name.replace('_', ' ')}) is fixed once it is published."
                    )
                continue
            old = getattr(claim, name)
            if old != value:
                setattr(claim, name, value)
                claim_fields.append(name)
                changed[name] = [_plain(old), _plain(value)]
        if not changed:
            return claim
        if claim_fields:
            try:
                claim.full_clean(exclude=[f.name for f in Claim._meta.fields if f.name not in claim_fields])
            except ValidationError as exc:
                raise GuardFailed(
                    " ".join(exc.messages), errors=getattr(exc, "message_dict", {"__all__": exc.messages})
                ) from None
            claim.save(update_fields=[*claim_fields, "updated_at"])
        if draft_fields:
            held_on.save(update_fields=[*draft_fields, "updated_at"])
        _contribute(claim, by, draft)
        _event(claim, by, "claims.claim.changed", {"fields": changed, "held_for_correction": bool(draft_fields)})
        if "text" in claim_fields:
            queue_matching([claim.pk])
        return claim


def create_claim(*, by: AbstractBaseUser | None, **fields) -> Claim:
    """A claim entered by hand (admin, API) or from a reader's tip (``by`` None): a candidate, matched once committed."""
    with transaction.atomic():
        claim = Claim(**fields)
        claim.full_clean(exclude=["article"] if claim.article_id is None else None)
        claim.save()
        queue_matching([claim.pk])
    return claim


def change_claimant(claimant_id: int, *, by: AbstractBaseUser, changes: dict[str, Any]) -> Claimant:
    """Rename or redescribe a claimant: every claim of theirs records it in its audit trail.

    Published fact-checks keep the claimant as they were published with; the
    change shows on a fact-check when its next revision is published.
    """
    with transaction.atomic():
        claimant = Claimant.objects.select_for_update().get(pk=claimant_id)
        changed = {}
        for name in ("name", "kind", "description"):
            if name in changes and getattr(claimant, name) != changes[name]:
                changed[name] = [getattr(claimant, name), changes[name]]
                setattr(claimant, name, changes[name])
        if not changed:
            return claimant
        claimant.full_clean()
        claimant.save(update_fields=list(changed))
        ReviewEvent.objects.bulk_create(
            ReviewEvent(
                claim_id=claim_id,
                action="claims.claimant.changed",
                from_status=status,
                to_status=status,
                actor=by,
                actor_username=by.get_username(),
                data={"claimant_id": claimant.pk, "fields": changed},
            )
            for claim_id, status in claimant.claims.values_list("pk", "status")
        )
        return claimant


# --- Evidence ----------------------------------------------------------------------


def _normalized(url: str) -> str:
    try:
        return normalize_url(url)
    except ValueError as exc:
        detail = str(exc)
        detail = detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")
        raise GuardFailed(f"The source URL is not valid. {detail}", errors={"url": [detail]}) from None


def _clean_evidence(evidence: Evidence, fields: list[str]) -> None:
    try:
        evidence.full_clean(exclude=[f.name for f in Evidence._meta.fields if f.name not in fields])
    except ValidationError as exc:
        raise GuardFailed(" ".join(exc.messages), errors=getattr(exc, "message_dict", {})) from None


def _saved_once(save, message: str):
    """Run ``save`` in a savepoint: a unique-constraint race becomes a clear conflict."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        raise ConflictError(message) from None


def attach_evidence(claim_id: int, *, by: AbstractBaseUser, url: str, stance: str, **fields) -> Evidence:
    """Attach a source to the claim; its snapshot is queued in the same transaction."""
    unknown = sorted(set(fields) - set(EVIDENCE_FIELDS))
    if unknown:
        raise GuardFailed(f"Unknown source fields: {', '.join(unknown)}.")
    with transaction.atomic():
        claim = _lock(claim_id, by, "claims.add_evidence")
        url = _normalized(url)
        if claim.evidence.filter(url=url).exists():
            message = "This source is already attached to the claim."
            raise GuardFailed(message, errors={"url": [message]})
        evidence = Evidence(claim=claim, url=url, stance=stance, added_by=by, **fields)
        _clean_evidence(evidence, ["url", "stance", *fields])
        _saved_once(
            lambda: save_source(evidence), "This source was attached to the claim at the same moment by someone else."
        )
        _contribute(claim, by)
        _event(claim, by, "claims.evidence.added", {"evidence_id": evidence.pk, "url": url, "stance": stance})
        return evidence


def _locked_evidence(evidence_id: int, by: AbstractBaseUser, permission: str) -> tuple[Claim, Evidence]:
    claim_id = Evidence.objects.filter(pk=evidence_id).values_list("claim_id", flat=True).first()
    if claim_id is None:
        raise GuardFailed(f"Source #{evidence_id} does not exist.")
    claim = _lock(claim_id, by, permission)
    evidence = Evidence.objects.filter(pk=evidence_id, claim=claim).first()
    if evidence is None:
        raise ConflictError(f"Source #{evidence_id} was removed meanwhile.")
    return claim, evidence


def update_evidence(evidence_id: int, *, by: AbstractBaseUser, changes: dict[str, Any]) -> Evidence:
    """Change a source's fields. A source stays with its claim; a new URL starts its archive afresh."""
    if "claim" in changes or "claim_id" in changes:
        raise RecordFixed("A source stays with its claim; attach it to the other claim instead.")
    unknown = sorted(set(changes) - set(EVIDENCE_FIELDS))
    if unknown:
        raise GuardFailed(f"These source fields cannot be changed: {', '.join(unknown)}.")
    with transaction.atomic():
        claim, evidence = _locked_evidence(evidence_id, by, "claims.change_evidence")
        if "url" in changes:
            changes = {**changes, "url": _normalized(changes["url"])}
            if changes["url"] != evidence.url and claim.evidence.filter(url=changes["url"]).exists():
                raise GuardFailed(
                    "That source is already attached to the claim.", errors={"url": ["Already attached."]}
                )
        changed = {}
        for name, value in changes.items():
            if getattr(evidence, name) != value:
                changed[name] = [getattr(evidence, name), value]
                setattr(evidence, name, value)
        if not changed:
            return evidence
        _clean_evidence(evidence, list(changed))
        _saved_once(
            lambda: save_source(evidence, update_fields=list(changed)),
            "That source was attached to the claim at the same moment by someone else.",
        )
        _contribute(claim, by)
        _event(claim, by, "claims.evidence.changed", {"evidence_id": evidence.pk, "fields": changed})
        return evidence


def remove_evidence(evidence_id: int, *, by: AbstractBaseUser) -> None:
    with transaction.atomic():
        claim, evidence = _locked_evidence(evidence_id, by, "claims.delete_evidence")
        data = {"evidence_id": evidence.pk, "url": evidence.url, "title": evidence.title}
        evidence.delete()
        _contribute(claim, by)
        _event(claim, by, "claims.evidence.removed", data)


def override_archive(evidence_id: int, *, by: AbstractBaseUser, reason: str) -> Evidence:
    """An editor cites a source without its archive, giving the reason the public will read
    ("not archived: <reason>"); an empty reason withdraws the override.

    Decided before approval, since the approved revision freezes its sources:
    while the claim's record may change, and during review (the approving
    editor's call). The override is a policy decision, not part of the verdict's
    content, so the editor does not become one of the draft's contributors.
    """
    reason = " ".join(reason.split())
    if len(reason) > ARCHIVE_OVERRIDE_MAX_LENGTH:
        message = f"Keep the reason to {ARCHIVE_OVERRIDE_MAX_LENGTH} characters (it has {len(reason)})."
        raise GuardFailed(message, errors={"reason": [message]})
    with transaction.atomic():
        claim_id = Evidence.objects.filter(pk=evidence_id).values_list("claim_id", flat=True).first()
        if claim_id is None:
            raise GuardFailed(f"Source #{evidence_id} does not exist.")
        claim = Claim.objects.select_for_update(of=("self",)).get(pk=claim_id)
        if not is_editor(by):
            raise NotPermitted(f"{by.get_username()} may not cite a source without its archive: editors decide that.")
        if claim.status not in (*EDITABLE_STATUSES, Claim.Status.IN_REVIEW):
            raise RecordFixed(
                f"Claim #{claim.pk} is {claim.get_status_display().lower()}; its sources were fixed when it was approved."
            )
        evidence = Evidence.objects.select_for_update().filter(pk=evidence_id, claim=claim).first()
        if evidence is None:
            raise ConflictError(f"Source #{evidence_id} was removed meanwhile.")
        if reason and evidence.archived:
            raise GuardFailed(
                "This source is archived; it needs no override.", errors={"reason": ["The source is archived."]}
            )
        if reason == evidence.archive_override_reason:
            return evidence
        previous = evidence.archive_override_reason
        evidence.archive_override_reason = reason
        evidence.archive_override_by = by if reason else None
        evidence.archive_override_at = timezone.now() if reason else None
        evidence.save(update_fields=list(ARCHIVE_OVERRIDE_FIELDS))
        action = "claims.evidence.archive_overridden" if reason else "claims.evidence.archive_override_withdrawn"
        _event(
            claim, by, action, {"evidence_id": evidence.pk, "url": evidence.url, "previous_reason": previous}, reason
        )
        return evidence


# --- The verdict draft ------------------------------------------------------------


def save_draft(claim_id: int, *, by: AbstractBaseUser, changes: dict[str, Any]) -> tuple[Verdict, bool]:
    """Write the claim's verdict draft, making it if the claim has none; returns (draft, created).

    The claim's row lock makes two first saves at once write one draft.
    """
    unknown = sorted(set(changes) - set(DRAFT_FIELDS))
    if unknown:
        raise GuardFailed(f"These verdict fields cannot be changed here: {', '.join(unknown)}.")
    with transaction.atomic():
        claim = _lock(claim_id, by, "claims.change_verdict")
        draft = current_draft(claim)
        created = draft is None
        if created:
            if not by.has_perm("claims.add_verdict"):
                raise NotPermitted(f"{by.get_username()} may not write a verdict: it needs the Reviewers role.")
            if in_correction(claim):
                raise GuardFailed(f"Claim #{claim.pk} is being corrected but has lost its correction draft.")
            last = max(claim.verdicts.values_list("revision", flat=True), default=0)
            draft = Verdict(claim=claim, revision=last + 1, author=by, status=Verdict.Status.DRAFT)
        changed = []
        for name, value in changes.items():
            if created or getattr(draft, name) != value:
                changed.append(name)
                setattr(draft, name, value)
        if not changed:
            return draft, False
        rating = draft.rating if draft.rating_id else None
        if rating is None:
            raise GuardFailed("Choose a rating.", errors={"rating": ["This field is required."]})
        if "rating" in changed and (rating.retired or not rating.scale.is_default):
            raise GuardFailed(
                f"The rating {rating.label!r} is not offered; choose one of the current scale.",
                errors={"rating": ["Not offered."]},
            )
        try:
            draft.full_clean(exclude=[f.name for f in Verdict._meta.fields if f.name not in changed])
        except ValidationError as exc:
            raise GuardFailed(" ".join(exc.messages), errors=getattr(exc, "message_dict", {})) from None
        if draft.author_id is None:
            draft.author = by
        if created:
            _saved_once(draft.save, "A verdict draft for this claim was started at the same moment by someone else.")
        else:
            draft.save(update_fields=[*changes, "author", "updated_at"])
        draft.contributors.add(by)
        _event(
            claim,
            by,
            "claims.verdict.draft_created" if created else "claims.verdict.draft_changed",
            {"verdict_id": draft.pk, "revision": draft.revision, "fields": sorted(changed), "rating": rating.label},
        )
        return draft, created

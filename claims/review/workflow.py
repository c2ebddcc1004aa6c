"""The review workflow: the only code that changes a claim's status.

One transition table, one function per transition. Every function does the
same steps in the same order:

1. lock the claim row (``select_for_update``) inside ``transaction.atomic()``;
2. check the version the caller loaded (optimistic locking), then the source
   status, then the actor's role, then the guards;
3. save the claim (and verdict rows) with ``update_fields``;
4. write exactly one ``ReviewEvent`` in the same transaction;
5. queue follow-up work with ``transaction.on_commit`` only.

Admin actions, the API, Celery tasks and management commands all call these
functions; none of them sets ``status`` itself. Publishing a revision (the
public record frozen as it stood) is ``claims.review.publication``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from claims import outbox
from claims.collaboration import checklists
from claims.collaboration.transitions import after_transition
from claims.models import Claim, ReviewEvent, Tip, Verdict
from claims.normalize import registrable_domain
from claims.publishing import webhooks

from .publication import TIP_REPLIES_TASK, publish_draft
from .roles import REVIEWERS

S = Claim.Status

# A claim's record (text, evidence, verdict draft) may be edited only before
# review starts, and again while a correction is researched; after that it is fixed.
EDITABLE_STATUSES = frozenset({S.CANDIDATE, S.ACCEPTED, S.ASSIGNED, S.IN_RESEARCH})


# --- Errors -------------------------------------------------------------------


class WorkflowError(Exception):
    """A transition was refused. ``message`` says why in plain words."""

    code = "invalid"
    http_status = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ConflictError(WorkflowError):
    """The claim changed since the caller loaded it."""

    code = "conflict"
    http_status = 409


class TransitionNotAllowed(WorkflowError):
    """The transition does not start from the claim's current status."""

    code = "not_allowed"
    http_status = 409


class NotPermitted(WorkflowError):
    """The actor's role does not allow this transition."""

    code = "forbidden"
    http_status = 403


class GuardFailed(WorkflowError):
    """The claim is not ready for this transition (missing draft, too few sources...)."""

    code = "guard_failed"
    http_status = 400


# --- The transition table -----------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (reassign)
    event: str
    permission: str
    assignee_only: bool = False
    # Form fields the transition needs, for the admin, the API and the CLI.
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    system_only: bool = False
    help: str = field(default="", compare=False)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition(
            "accept", "Accept", (S.CANDIDATE,), S.ACCEPTED, "claims.claim.accepted", "claims.triage_claim",
            fields=("note",), help="Check-worthy: accept for checking.",
        ),
        Transition(
            "dismiss", "Dismiss", (S.CANDIDATE,), S.DISMISSED, "claims.claim.dismissed", "claims.triage_claim",
            fields=("note",), required=("note",), help="Not check-worthy; the reason is required.",
        ),
        Transition(
            "mark_duplicate", "Mark duplicate", (S.CANDIDATE, S.ACCEPTED), S.DUPLICATE, "claims.claim.marked_duplicate",
            "claims.triage_claim", fields=("duplicate_of", "note"), required=("duplicate_of",),
            help="Already in the tracker: point at the canonical claim.",
        ),
        Transition(
            "accept_and_assign", "Accept and assign", (S.CANDIDATE,), S.ASSIGNED, "claims.claim.accepted_and_assigned",
            "claims.assign_claim", fields=("assignee", "note"), required=("assignee",),
            help="Check-worthy: accept it and give it to a reviewer in one step; the note is addressed to them.",
        ),
        Transition(
            "assign", "Assign", (S.ACCEPTED,), S.ASSIGNED, "claims.claim.assigned", "claims.assign_claim",
            fields=("assignee", "note"), required=("assignee",), help="Give the claim to a reviewer.",
        ),
        Transition(
            "reassign", "Reassign", (S.ASSIGNED, S.IN_RESEARCH), None, "claims.claim.reassigned", "claims.assign_claim",
            fields=("assignee", "note"), required=("assignee",), help="Hand the claim to another reviewer.",
        ),
        Transition(
            "start_research", "Start research", (S.ASSIGNED,), S.IN_RESEARCH, "claims.claim.research_started",
            "claims.research_claim", assignee_only=True, fields=("note",), help="The assignee starts work.",
        ),
        Transition(
            "submit", "Submit for review", (S.IN_RESEARCH,), S.IN_REVIEW, "claims.claim.submitted",
            "claims.research_claim", assignee_only=True, fields=("note",),
            help="Needs a complete verdict draft and enough independent sources.",
        ),
        Transition(
            "request_changes", "Request changes", (S.IN_REVIEW, S.SCHEDULED), S.IN_RESEARCH,
            "claims.claim.changes_requested", "claims.approve_verdict", fields=("note",), required=("note",),
            help="Send back to the reviewer with a note.",
        ),
        Transition(
            "approve", "Approve and publish", (S.IN_REVIEW,), S.PUBLISHED, "claims.verdict.published",
            "claims.approve_verdict", fields=("publish_at", "note"),
            help="Publish now, or at a future time (embargo). Never by the verdict's author.",
        ),
        Transition(
            "publish_scheduled", "Publish scheduled", (S.SCHEDULED,), S.PUBLISHED, "claims.verdict.published",
            "claims.approve_verdict", system_only=True, help="Run by the scheduler when the embargo lifts.",
        ),
        Transition(
            "correct", "Correct", (S.PUBLISHED,), S.IN_RESEARCH, "claims.verdict.correction_started",
            "claims.correct_verdict", fields=("note",), required=("note",),
            help="Reopen a published fact-check; the public correction note goes on the new revision.",
        ),
        Transition(
            "retract", "Retract", (S.PUBLISHED,), S.RETRACTED, "claims.verdict.retracted", "claims.retract_claim",
            fields=("note",), required=("note",), help="Withdraw the fact-check; the reason is public.",
        ),
    ]
}  # fmt: skip


def transition_for(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        known = ", ".join(TRANSITIONS)
        raise WorkflowError(f"Unknown action {action!r}; known actions: {known}.") from None


# --- Checks shared by the transition functions -------------------------------


def _lock(claim_id: int) -> Claim:
    try:
        return Claim.objects.select_for_update().get(pk=claim_id)
    except Claim.DoesNotExist:
        raise WorkflowError(f"Claim #{claim_id} does not exist.") from None


def _check(claim: Claim, transition: Transition, by: AbstractBaseUser | None, expected_version: int | None) -> None:
    if expected_version is not None and claim.version != expected_version:
        raise ConflictError(
            f"This claim changed since you loaded it (you had version {expected_version}, it is now "
            f"version {claim.version}, status {claim.get_status_display().lower()}). Reload it and try again."
        )
    if reason := not_applicable(claim, transition):
        raise TransitionNotAllowed(reason)
    if by is None:
        if not transition.system_only:
            raise NotPermitted(f"{transition.label} needs a person to do it.")
        return
    if transition.system_only:
        raise NotPermitted(f"{transition.label} is done by the scheduler, not by hand.")
    if not by.is_active or not by.has_perm(transition.permission):
        raise NotPermitted(
            f"{by.get_username()} may not {transition.label.lower()}: it needs the {_role_for(transition)} role."
        )
    if transition.assignee_only and claim.assignee_id != by.pk and not by.is_superuser:
        who = claim.assignee.get_username() if claim.assignee_id else "nobody"
        raise NotPermitted(f"Only the assignee ({who}) may {transition.label.lower()} claim #{claim.pk}.")


def not_applicable(claim: Claim, transition: Transition) -> str | None:
    """Why ``transition`` does not start from the claim's status (None when it does).

    Bulk actions use it to say up front which selected claims they will skip.
    """
    if claim.status in transition.sources:
        return None
    allowed = ", ".join(S(s).label.lower() for s in transition.sources)
    return (
        f"Cannot {transition.label.lower()} claim #{claim.pk}: it is {claim.get_status_display().lower()}, "
        f"and this action applies only to claims that are {allowed}."
    )


def _role_for(transition: Transition) -> str:
    return "Reviewers" if transition.permission == "claims.research_claim" else "Editors"


def _required(transition: Transition, **values) -> None:
    missing = {name: ["This field is required."] for name in transition.required if not values.get(name)}
    if missing:
        names = ", ".join(missing)
        raise GuardFailed(f"{transition.label} needs: {names}.", errors=missing)


def _finish(
    claim: Claim,
    transition: Transition,
    by: AbstractBaseUser | None,
    *,
    note: str = "",
    data: dict | None = None,
    extra_fields: tuple[str, ...] = (),
    to_status: str | None = None,
    event: str | None = None,
) -> Claim:
    before = claim.status
    after = to_status or transition.target or before
    claim.status = after
    if after != before:
        claim.status_changed_at = timezone.now()
    claim.version += 1
    claim.save(update_fields=["status", "status_changed_at", "version", "updated_at", *extra_fields])
    ReviewEvent.objects.create(
        claim=claim,
        action=event or transition.event,
        from_status=before,
        to_status=after,
        actor=by,
        actor_username=by.get_username() if by else "system",
        note=note,
        data={"action": transition.action, "version": claim.version, **(data or {})},
    )
    # Checklist copies and notifications commit or roll back with the transition.
    after_transition(claim, action=transition.action, event=event or transition.event, by=by, data=data or {})
    return claim


def _draft(claim: Claim) -> Verdict | None:
    return claim.verdicts.filter(status=Verdict.Status.DRAFT).select_related("rating", "author").first()


def source_problems(claim: Claim, *, publishing: bool = False) -> list[str]:
    """Why the claim's evidence does not meet the source policy (empty when it does).

    To publish, every source must be archived (its reference snapshot taken) or
    cited without its archive by an editor's override with a public reason; only
    such sources count towards the policy then. Submitting for review does not
    wait for the archive: the snapshots are taken in the background meanwhile.
    """
    minimum = settings.FACTCHECK_MIN_INDEPENDENT_SOURCES
    evidence = list(claim.evidence.all())
    unarchived = [e for e in evidence if not e.citable]
    if publishing:
        evidence = [e for e in evidence if e.citable]
    domains = {registrable_domain(e.url) for e in evidence} - {""}
    problems = []
    if len(domains) < minimum:
        problems.append(
            f"Needs evidence from at least {minimum} independent publishers (distinct domains); "
            f"has {len(domains)}{': ' + ', '.join(sorted(domains)) if domains else ''}."
        )
    if not any(e.stance in (e.Stance.SUPPORTS, e.Stance.REFUTES) for e in evidence):
        problems.append("Needs at least one source that supports or refutes the claim.")
    if publishing:
        problems.extend(
            f"The source {e.title or e.url} is not archived yet ({e.snapshot_error or 'its snapshot is queued'}): "
            "wait for the archive, re-check the source, or an editor cites it without the archive, giving the reason."
            for e in unarchived
        )
    return problems


def publish_problems(claim: Claim, draft: Verdict | None, *, publishing: bool = False) -> dict[str, list[str]]:
    """Everything that keeps ``draft`` from being submitted or published, by area ("verdict", "evidence").

    The guard of submit and approve and the claim page's list of blockers read
    this same function, so the page lists exactly what the guard would refuse.
    """
    errors: dict[str, list[str]] = {}
    if draft is None:
        errors["verdict"] = ["Write a verdict draft (rating, headline, summary, explanation) first."]
    else:
        missing = [name for name in ("headline", "summary", "explanation") if not getattr(draft, name).strip()]
        if missing:
            errors["verdict"] = [f"The verdict draft is missing: {', '.join(missing)}."]
        if draft.rating.retired:
            errors.setdefault("verdict", []).append(f"The rating {draft.rating.label!r} is retired; choose another.")
        if draft.revision > 1 and not draft.correction_note.strip():
            errors.setdefault("verdict", []).append("A correction needs a public correction note on the draft.")
    problems = source_problems(claim, publishing=publishing)
    if problems:
        errors["evidence"] = problems
    return errors


def _require_ready_to_publish(
    claim: Claim, transition: Transition, *, errors: dict[str, list[str]] | None = None
) -> Verdict:
    draft = _draft(claim)
    errors = {**(errors or {}), **publish_problems(claim, draft, publishing=transition.action == "approve")}
    if errors:
        summary = " ".join(message for messages in errors.values() for message in messages)
        raise GuardFailed(f"Cannot {transition.label.lower()}: {summary}", errors=errors)
    return draft


def _open_required_tasks(claim: Claim) -> dict[str, list[str]]:
    labels = checklists.open_required_labels(claim)
    if not labels:
        return {}
    return {"checklist": [f"The required task {label!r} is not done." for label in labels]}


# --- Transitions --------------------------------------------------------------


def accept(claim_id: int, *, by, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["accept"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        return _finish(claim, t, by, note=note)


def dismiss(claim_id: int, *, by, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["dismiss"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        _required(t, note=note.strip())
        return _finish(claim, t, by, note=note)


def mark_duplicate(
    claim_id: int, *, by, duplicate_of: int | Claim | None, note: str = "", expected_version: int | None = None
) -> Claim:
    t = TRANSITIONS["mark_duplicate"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        _required(t, duplicate_of=duplicate_of)
        canonical_id = duplicate_of.pk if isinstance(duplicate_of, Claim) else int(duplicate_of)
        canonical = Claim.objects.filter(pk=canonical_id).first()
        if canonical is None:
            raise GuardFailed(f"Claim #{canonical_id} does not exist.", errors={"duplicate_of": ["No such claim."]})
        # Point at the root of a duplicate chain, so a duplicate never points
        # at another duplicate.
        seen = {claim.pk}
        while canonical.duplicate_of_id is not None and canonical.pk not in seen:
            seen.add(canonical.pk)
            canonical = canonical.duplicate_of
        if canonical.pk == claim.pk:
            raise GuardFailed(
                "A claim cannot be a duplicate of itself.", errors={"duplicate_of": ["Choose another claim."]}
            )
        if canonical.status == S.DISMISSED:
            raise GuardFailed(
                f"Claim #{canonical.pk} was dismissed; mark duplicates of a claim that is being or was checked.",
                errors={"duplicate_of": ["The canonical claim was dismissed."]},
            )
        claim.duplicate_of = canonical
        # Claims that were duplicates of this one follow it to the root.
        repointed = sorted(claim.duplicates.values_list("pk", flat=True))
        if repointed:
            Claim.objects.filter(pk__in=repointed).update(duplicate_of=canonical)
        moved = _move_tips(claim, canonical)
        data = {"duplicate_of": canonical.pk, "repointed_duplicates": repointed, "moved_tips": moved}
        return _finish(claim, t, by, note=note, data=data, extra_fields=("duplicate_of",))


def _move_tips(claim: Claim, canonical: Claim) -> list[int]:
    """Readers' tips about a duplicate follow its canonical claim: they count among its
    requests and are sent its fact-check, by the same rules as its own tips
    (``claims.tiplines.replies``). ``moved_from_claim`` keeps where each was first linked.

    Under the duplicate's row lock, which the tiplines take to link a tip to it, so a
    tip linked at the same moment is either moved here or linked to the canonical claim.
    """
    moved = sorted(Tip.objects.filter(claim=claim).values_list("pk", flat=True))
    if not moved:
        return []
    Tip.objects.filter(pk__in=moved, moved_from_claim__isnull=True).update(moved_from_claim=claim)
    Tip.objects.filter(pk__in=moved).update(claim=canonical)
    public = Verdict.objects.published().filter(claim=canonical).values_list("pk", flat=True).first()
    if public is not None:
        # Already out: its readers get it now (each requester once per revision, so the
        # canonical claim's own requesters, already sent it, get nothing new).
        outbox.enqueue(TIP_REPLIES_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, claim_id=canonical.pk, verdict_id=public)
    return moved


def _reviewer(assignee) -> AbstractBaseUser:
    from django.contrib.auth import get_user_model

    User = get_user_model()  # noqa: N806
    if assignee is None or assignee == "":
        raise GuardFailed("Choose a reviewer to assign.", errors={"assignee": ["This field is required."]})
    if not isinstance(assignee, User):
        try:
            # An int is a primary key; a string is a username (which may be all digits).
            assignee = (
                User.objects.get(pk=assignee)
                if isinstance(assignee, int)
                else User.objects.get_by_natural_key(assignee)
            )
        except User.DoesNotExist:
            raise GuardFailed(f"No user {assignee!r}.", errors={"assignee": ["No such user."]}) from None
    if not assignee.is_active or not assignee.groups.filter(name=REVIEWERS).exists():
        raise GuardFailed(
            f"{assignee.get_username()} is not an active member of Reviewers.",
            errors={"assignee": ["Claims are assigned to members of Reviewers."]},
        )
    return assignee


def assign(claim_id: int, *, by, assignee, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["assign"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        reviewer = _reviewer(assignee)
        claim.assignee = reviewer
        return _finish(claim, t, by, note=note, data={"assignee": reviewer.get_username()}, extra_fields=("assignee",))


def accept_and_assign(claim_id: int, *, by, assignee, note: str = "", expected_version: int | None = None) -> Claim:
    """Accept a candidate and give it to a reviewer: one lock, one status change, one audit event."""
    t = TRANSITIONS["accept_and_assign"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        # The table names one permission; accepting is triage, so the actor needs that too.
        if not by.has_perm("claims.triage_claim"):
            raise NotPermitted(f"{by.get_username()} may not accept: it needs the Editors role.")
        reviewer = _reviewer(assignee)
        claim.assignee = reviewer
        return _finish(claim, t, by, note=note, data={"assignee": reviewer.get_username()}, extra_fields=("assignee",))


def reassign(claim_id: int, *, by, assignee, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["reassign"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        reviewer = _reviewer(assignee)
        previous = claim.assignee.get_username() if claim.assignee_id else None
        if claim.assignee_id == reviewer.pk:
            raise GuardFailed(
                f"Claim #{claim.pk} is already assigned to {previous}.", errors={"assignee": ["Same reviewer."]}
            )
        claim.assignee = reviewer
        data = {"assignee": reviewer.get_username(), "previous_assignee": previous}
        return _finish(claim, t, by, note=note, data=data, extra_fields=("assignee",))


def start_research(claim_id: int, *, by, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["start_research"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        return _finish(claim, t, by, note=note)


def submit(claim_id: int, *, by, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["submit"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        draft = _require_ready_to_publish(claim, t, errors=_open_required_tasks(claim))
        # The submitter vouches for the draft: four-eyes counts them as a contributor.
        draft.submitted_by = by
        if draft.author_id is None:
            draft.author = by
        draft.save(update_fields=["submitted_by", "author", "updated_at"])
        draft.contributors.add(by)
        return _finish(claim, t, by, note=note, data={"verdict_id": draft.pk, "revision": draft.revision})


def request_changes(claim_id: int, *, by, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["request_changes"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        _required(t, note=note.strip())
        draft = _draft(claim)
        if draft is not None and (draft.publish_at or draft.approver_id):
            # A scheduled publication is called off with the approval.
            draft.publish_at = None
            draft.approver = None
            draft.save(update_fields=["publish_at", "approver", "updated_at"])
        return _finish(claim, t, by, note=note)


def approve(
    claim_id: int, *, by, publish_at: dt.datetime | None = None, note: str = "", expected_version: int | None = None
) -> Claim:
    """Approve the draft verdict: publish it now, or schedule it for ``publish_at``."""
    t = TRANSITIONS["approve"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        draft = _require_ready_to_publish(claim, t)
        if reason := four_eyes_problem(draft, by):
            raise NotPermitted(reason)
        now = timezone.now()
        if publish_at is not None and timezone.is_naive(publish_at):
            raise GuardFailed("The publication time needs a time zone.", errors={"publish_at": ["Give a time zone."]})
        draft.approver = by
        data = {"verdict_id": draft.pk, "revision": draft.revision, "approver": by.get_username()}
        if publish_at is not None and publish_at > now:
            draft.publish_at = publish_at
            draft.save(update_fields=["approver", "publish_at", "updated_at"])
            data["publish_at"] = publish_at.isoformat()
            return _finish(claim, t, by, note=note, data=data, to_status=S.SCHEDULED, event="claims.verdict.scheduled")
        draft.publish_at = None
        if held := publish_draft(claim, draft, now):
            data["claim_changes"] = held
        return _finish(claim, t, by, note=note, data=data)


def four_eyes_problem(draft: Verdict, user) -> str | None:
    """Why ``user`` may not approve ``draft`` (four-eyes rule); None when they may.

    Nobody approves a draft they wrote, changed or submitted: superusers neither.
    """
    name = user.get_username()
    if draft.author_id == user.pk:
        did = "wrote this verdict"
    elif draft.submitted_by_id == user.pk:
        did = "submitted this verdict for review"
    elif draft.contributors.filter(pk=user.pk).exists():
        did = "changed this verdict draft or the claim's record while it was drafted"
    else:
        return None
    return f"{name} {did}, so another editor must approve it (four-eyes rule: no one approves their own work)."


def publish_scheduled(claim_id: int, *, now: dt.datetime | None = None) -> Claim | None:
    """Publish a scheduled claim whose embargo has lifted. Run by the scheduler.

    Returns None, changing nothing, when the claim is no longer scheduled or not
    yet due, so running it twice publishes once.
    """
    t = TRANSITIONS["publish_scheduled"]
    now = now or timezone.now()
    with transaction.atomic():
        claim = _lock(claim_id)
        if claim.status != S.SCHEDULED:
            return None
        draft = _draft(claim)
        if draft is None or draft.publish_at is None or draft.publish_at > now:
            return None
        _check(claim, t, None, None)
        approver = draft.approver
        held = publish_draft(claim, draft, now)
        data = {
            "verdict_id": draft.pk,
            "revision": draft.revision,
            "approver": approver.get_username() if approver else None,
        }
        if held:
            data["claim_changes"] = held
        return _finish(claim, t, None, data=data)


def due_scheduled_claim_ids(now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Claim.objects.scheduled()
        .filter(verdicts__status=Verdict.Status.DRAFT, verdicts__publish_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def correct(claim_id: int, *, by, note: str = "", expected_version: int | None = None) -> Claim:
    """Reopen a published fact-check for correction.

    The published revision stays public; a new draft revision (a copy of it)
    goes back to research. Publishing that draft needs a public correction note
    and supersedes the old revision.
    """
    t = TRANSITIONS["correct"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        _required(t, note=note.strip())
        published = claim.verdicts.filter(status=Verdict.Status.PUBLISHED).first()
        if published is None:
            raise GuardFailed(f"Claim #{claim.pk} has no published verdict to correct.")
        if claim.verdicts.filter(status=Verdict.Status.DRAFT).exists():
            raise GuardFailed(
                f"Claim #{claim.pk} already has a verdict draft; a correction starts from the published revision "
                "alone. Ask an administrator to look at the stray draft."
            )
        last_revision = max(claim.verdicts.values_list("revision", flat=True))
        # The copy has no author yet: whoever first changes it (or submits it) is.
        draft = Verdict.objects.create(
            claim=claim,
            revision=last_revision + 1,
            rating=published.rating,
            headline=published.headline,
            summary=published.summary,
            explanation=published.explanation,
            author=None,
            claim_text=published.claim_text,
            claimant=published.claimant,
            claimed_on=published.claimed_on,
            language=published.language,
        )
        return _finish(claim, t, by, note=note, data={"verdict_id": draft.pk, "revision": draft.revision})


def retract(claim_id: int, *, by, note: str = "", expected_version: int | None = None) -> Claim:
    t = TRANSITIONS["retract"]
    with transaction.atomic():
        claim = _lock(claim_id)
        _check(claim, t, by, expected_version)
        _required(t, note=note.strip())
        now = timezone.now()
        published = claim.verdicts.filter(status=Verdict.Status.PUBLISHED).first()
        if published is not None:
            published.status = Verdict.Status.RETRACTED
            published.retraction_reason = note
            published.retracted_at = now
            published.save(update_fields=["status", "retraction_reason", "retracted_at", "updated_at"])
        claim = _finish(claim, t, by, note=note, data={"verdict_id": published.pk if published else None})
        webhooks.record_event(claim, webhooks.Event.RETRACTED)
        return claim


# --- Dispatch for the admin, the API and the CLI ------------------------------

FUNCTIONS: dict[str, Callable[..., Claim]] = {
    "accept": accept,
    "dismiss": dismiss,
    "mark_duplicate": mark_duplicate,
    "accept_and_assign": accept_and_assign,
    "assign": assign,
    "reassign": reassign,
    "start_research": start_research,
    "submit": submit,
    "request_changes": request_changes,
    "approve": approve,
    "correct": correct,
    "retract": retract,
}


def perform(action: str, claim_id: int, *, by, expected_version: int | None = None, **values) -> Claim:
    """Run the transition named ``action`` with the values its form collected."""
    t = transition_for(action)
    if t.system_only or action not in FUNCTIONS:
        raise NotPermitted(f"{t.label} is done by the scheduler, not by hand.")
    kwargs = {name: values[name] for name in t.fields if name in values}
    return FUNCTIONS[action](claim_id, by=by, expected_version=expected_version, **kwargs)


def available_transitions(claim: Claim, user) -> list[Transition]:
    """The transitions ``user`` may take on ``claim`` now (status, role, assignee, four-eyes).

    Guards on the claim's content (sources, draft) are not checked here: the
    transition itself reports them, so the user learns what is missing.
    """
    result = []
    for t in TRANSITIONS.values():
        if t.system_only or claim.status not in t.sources or not user.has_perm(t.permission):
            continue
        if t.action == "accept_and_assign" and not user.has_perm("claims.triage_claim"):
            continue
        if t.assignee_only and claim.assignee_id != user.pk and not user.is_superuser:
            continue
        if t.action == "approve":
            draft = claim.verdicts.filter(status=Verdict.Status.DRAFT).first()
            if draft is not None and four_eyes_problem(draft, user):
                continue
        result.append(t)
    return result


def blockers(claim: Claim) -> dict[str, list[str]]:
    """What the submit and approve guards would refuse now, for the claim page (empty when ready)."""
    # In review, the next step is approval: sources must be archived (or overridden) by then.
    problems = publish_problems(claim, _draft(claim), publishing=claim.status == S.IN_REVIEW)
    if claim.status in TRANSITIONS["submit"].sources:
        problems = {**_open_required_tasks(claim), **problems}
    return problems

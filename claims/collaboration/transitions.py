"""What a workflow transition means for the desk's people: called by claims.review.workflow
at its audit-writing step, inside the transition's transaction."""

from __future__ import annotations

from claims.models import Claim, NotificationKind, Verdict

from . import checklists, notifications


def _owners(claim: Claim, verdict_id: int | None) -> list:
    """Whose claim it is: its reviewer and the verdict's author, each once."""
    people = [claim.assignee] if claim.assignee_id else []
    verdict = Verdict.objects.filter(pk=verdict_id).select_related("author").first() if verdict_id else None
    if verdict is not None and verdict.author_id and verdict.author_id != claim.assignee_id:
        people.append(verdict.author)
    return people


def after_transition(claim: Claim, *, action: str, event: str, by, data: dict) -> None:
    if action == "accept":
        checklists.copy_template(claim, accepted_by=by)
    elif action in ("assign", "reassign"):
        notifications.notify(claim.assignee, NotificationKind.ASSIGNED, claim=claim, actor=by, detail=claim.text[:200])
        checklists.give_reviewer_tasks(claim, claim.assignee, by=by)
    elif action == "request_changes":
        notifications.notify(claim.assignee, NotificationKind.CHANGES_REQUESTED, claim=claim, actor=by)
    elif action in ("approve", "publish_scheduled"):
        kind = NotificationKind.APPROVED if event == "claims.verdict.scheduled" else NotificationKind.PUBLISHED
        for person in _owners(claim, data.get("verdict_id")):
            notifications.notify(person, kind, claim=claim, actor=by)

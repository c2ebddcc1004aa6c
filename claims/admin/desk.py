"""What the desk reads at a glance: status badges, ages, the claim page's header and readable history."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from claims.models import Claim, ReviewEvent
from claims.review import workflow

S = Claim.Status

# The action the desk most often takes next from each status: its button comes first and is the default.
PRIMARY_ACTION = {
    S.CANDIDATE: "accept_and_assign",
    S.ACCEPTED: "assign",
    S.ASSIGNED: "start_research",
    S.IN_RESEARCH: "submit",
    S.IN_REVIEW: "approve",
    S.SCHEDULED: "request_changes",
    S.PUBLISHED: "correct",
}

# Notes written to whoever researches the claim: the newest one is shown at the top of its page.
NOTES_TO_ASSIGNEE = (
    "claims.claim.accepted_and_assigned",
    "claims.claim.assigned",
    "claims.claim.reassigned",
    "claims.claim.changes_requested",
)

EVENT_VERBS = {
    "claims.claim.accepted": "Accepted",
    "claims.claim.accepted_and_assigned": "Accepted and assigned to {assignee}",
    "claims.claim.assigned": "Assigned to {assignee}",
    "claims.claim.reassigned": "Reassigned to {assignee}",
    "claims.claim.dismissed": "Dismissed",
    "claims.claim.marked_duplicate": "Marked a duplicate of #{duplicate_of}",
    "claims.claim.research_started": "Research started",
    "claims.claim.submitted": "Submitted for review",
    "claims.claim.changes_requested": "Changes requested",
    "claims.claim.changed": "Claim edited",
    "claims.claim.linked_external_review": "Linked to an external fact-check",
    "claims.claimant.changed": "Claimant edited",
    "claims.evidence.added": "Source added",
    "claims.evidence.changed": "Source edited",
    "claims.evidence.removed": "Source removed",
    "claims.verdict.draft_created": "Verdict drafted",
    "claims.verdict.draft_changed": "Verdict draft edited",
    "claims.verdict.scheduled": "Approved, scheduled for {publish_at}",
    "claims.verdict.published": "Published",
    "claims.verdict.correction_started": "Correction started",
    "claims.verdict.retracted": "Retracted",
}

# Area of a blocker -> the part of the claim page that fixes it (the inline formsets' ids).
BLOCKER_ANCHORS = {
    "verdict": ("#verdicts-group", "Edit the verdict draft"),
    "evidence": ("#evidence-group", "Add or edit sources"),
    "checklist": ("#tasks-group", "Answer the checklist"),
}


def ago(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '4 d ago': how long ago, at the precision a desk needs."""
    if moment is None:
        return ""
    delta = (now or timezone.now()) - moment
    return "just now" if delta < dt.timedelta(minutes=1) else f"{duration(delta)} ago"


def duration(delta: dt.timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d"


def status_badge(status: str) -> str:
    """The status as coloured text: the word carries the meaning, the colour only helps the eye."""
    return format_html('<span class="status-badge status-{}">{}</span>', status, S(status).label)


def describe_event(event: ReviewEvent, now: dt.datetime | None = None) -> str:
    """'Accepted and assigned to reviewer by editor · 2 h ago': an audit row in words."""
    template = EVENT_VERBS.get(event.action)
    if template is None:
        template = event.action.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    values = {"assignee": "?", "duplicate_of": "?", "publish_at": "later", **(event.data or {})}
    if isinstance(values.get("publish_at"), str):
        try:
            values["publish_at"] = f"{dt.datetime.fromisoformat(values['publish_at']):%Y-%m-%d %H:%M}"
        except ValueError:
            pass
    try:
        what = template.format(**values)
    except (KeyError, IndexError, ValueError):
        what = template
    return f"{what} by {event.actor_username or 'the system'} · {ago(event.created_at, now)}"


def latest_note_to_assignee(claim: Claim) -> ReviewEvent | None:
    if claim.assignee_id is None:
        return None
    return claim.events.filter(action__in=NOTES_TO_ASSIGNEE).exclude(note="").order_by("-created_at", "-pk").first()


def blocker_list(claim: Claim) -> list[dict]:
    """Every problem the submit and approve guards would report now, each with where to fix it.

    Shown once research has started: before that a claim has no draft by design.
    """
    if claim.status not in (S.IN_RESEARCH, S.IN_REVIEW):
        return []
    rows = []
    for area, problems in workflow.blockers(claim).items():
        anchor, fix = BLOCKER_ANCHORS.get(area, ("", ""))
        rows.extend({"problem": problem, "anchor": anchor, "fix": fix} for problem in problems)
    return rows


def order_actions(claim: Claim, transitions: list[workflow.Transition]) -> list[workflow.Transition]:
    primary = PRIMARY_ACTION.get(claim.status)
    return sorted(transitions, key=lambda t: t.action != primary)


def header_context(claim: Claim) -> dict:
    note = latest_note_to_assignee(claim)
    return {
        "claim_status_badge": status_badge(claim.status),
        "claim_time_in_status": duration(claim.time_in_status),
        "claim_blockers": blocker_list(claim),
        "claim_note_to_assignee": note,
        "claim_note_to_assignee_ago": ago(note.created_at) if note else "",
        # On this site, as "View on site": the public page once the claim has one (its slug comes at publication).
        "claim_public_url": reverse("fact-check-detail", args=[claim.slug]) if claim.slug else "",
    }

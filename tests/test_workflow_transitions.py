"""Every transition in the table: allowed for the right role from the right
status, refused with a plain message otherwise, and a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from claims.models import Claim, ReviewEvent, Verdict
from claims.review import workflow
from claims.review.roles import EDITORS, REVIEWERS
from claims.review.workflow import GuardFailed, NotPermitted, TransitionNotAllowed, WorkflowError

from .factories import (
    ClaimFactory,
    UserFactory,
    add_independent_evidence,
    add_verdict_draft,
    advance,
    member_of,
)

pytestmark = pytest.mark.django_db

S = Claim.Status
LATER = timezone.now() + dt.timedelta(days=30)


@pytest.fixture
def people(editor, reviewer, superuser, roles, default_scale):
    return SimpleNamespace(
        editor=editor,
        reviewer=reviewer,
        superuser=superuser,
        second_editor=member_of(EDITORS, "second-editor"),
        second_reviewer=member_of(REVIEWERS, "second-reviewer"),
        canonical=ClaimFactory(text="The canonical claim."),
    )


def claim_in(status: str, people) -> Claim:
    """A claim brought to ``status`` by real transitions; in research it has a
    complete draft and two independent sources, so it is ready to submit."""
    claim = ClaimFactory()
    if status == S.DUPLICATE:
        workflow.mark_duplicate(claim.pk, by=people.editor, duplicate_of=people.canonical)
    elif status == S.DISMISSED:
        workflow.dismiss(claim.pk, by=people.editor, note="Opinion, not a factual claim.")
    else:
        advance(claim, status, people.editor, people.reviewer)
    if status == S.IN_RESEARCH:
        add_verdict_draft(claim, people.reviewer)
        add_independent_evidence(claim, added_by=people.reviewer)
    claim.refresh_from_db()
    return claim


def snapshot(claim: Claim) -> tuple:
    claim = Claim.objects.get(pk=claim.pk)
    return claim.status, claim.version, claim.assignee_id, claim.duplicate_of_id, claim.events.count()


def assert_refused(claim: Claim, error: type[WorkflowError], match: str, call) -> WorkflowError:
    before = snapshot(claim)
    with pytest.raises(error, match=match) as excinfo:
        call()
    assert snapshot(claim) == before
    assert excinfo.value.message == str(excinfo.value)
    return excinfo.value


# --- Allowed ------------------------------------------------------------------

# action, from status, actor, arguments, to status, event action
ALLOWED = [
    ("accept", S.CANDIDATE, "editor", lambda p: {"note": "Widely shared."}, S.ACCEPTED, "claims.claim.accepted"),
    ("accept", S.CANDIDATE, "superuser", lambda p: {}, S.ACCEPTED, "claims.claim.accepted"),
    ("dismiss", S.CANDIDATE, "editor", lambda p: {"note": "Opinion."}, S.DISMISSED, "claims.claim.dismissed"),
    (
        "mark_duplicate",
        S.CANDIDATE,
        "editor",
        lambda p: {"duplicate_of": p.canonical.pk},
        S.DUPLICATE,
        "claims.claim.marked_duplicate",
    ),
    (
        "mark_duplicate",
        S.ACCEPTED,
        "editor",
        lambda p: {"duplicate_of": p.canonical},
        S.DUPLICATE,
        "claims.claim.marked_duplicate",
    ),
    (
        "accept_and_assign",
        S.CANDIDATE,
        "editor",
        lambda p: {"assignee": p.reviewer, "note": "Start from the ministry's own table."},
        S.ASSIGNED,
        "claims.claim.accepted_and_assigned",
    ),
    ("assign", S.ACCEPTED, "editor", lambda p: {"assignee": p.reviewer}, S.ASSIGNED, "claims.claim.assigned"),
    ("assign", S.ACCEPTED, "editor", lambda p: {"assignee": "reviewer"}, S.ASSIGNED, "claims.claim.assigned"),
    (
        "reassign",
        S.ASSIGNED,
        "editor",
        lambda p: {"assignee": p.second_reviewer},
        S.ASSIGNED,
        "claims.claim.reassigned",
    ),
    (
        "reassign",
        S.IN_RESEARCH,
        "editor",
        lambda p: {"assignee": p.second_reviewer},
        S.IN_RESEARCH,
        "claims.claim.reassigned",
    ),
    ("start_research", S.ASSIGNED, "reviewer", lambda p: {}, S.IN_RESEARCH, "claims.claim.research_started"),
    ("start_research", S.ASSIGNED, "superuser", lambda p: {}, S.IN_RESEARCH, "claims.claim.research_started"),
    ("submit", S.IN_RESEARCH, "reviewer", lambda p: {}, S.IN_REVIEW, "claims.claim.submitted"),
    (
        "request_changes",
        S.IN_REVIEW,
        "editor",
        lambda p: {"note": "Add the 2024 figure."},
        S.IN_RESEARCH,
        "claims.claim.changes_requested",
    ),
    (
        "request_changes",
        S.SCHEDULED,
        "editor",
        lambda p: {"note": "Hold: new data tomorrow."},
        S.IN_RESEARCH,
        "claims.claim.changes_requested",
    ),
    ("approve", S.IN_REVIEW, "editor", lambda p: {}, S.PUBLISHED, "claims.verdict.published"),
    ("approve", S.IN_REVIEW, "editor", lambda p: {"publish_at": LATER}, S.SCHEDULED, "claims.verdict.scheduled"),
    (
        "correct",
        S.PUBLISHED,
        "editor",
        lambda p: {"note": "The 2025 figure was revised."},
        S.IN_RESEARCH,
        "claims.verdict.correction_started",
    ),
    (
        "retract",
        S.PUBLISHED,
        "editor",
        lambda p: {"note": "The source was forged."},
        S.RETRACTED,
        "claims.verdict.retracted",
    ),
]


def test_every_transition_in_the_table_is_tested():
    tested = {action for action, *_ in ALLOWED} | {"publish_scheduled"}
    assert tested == set(workflow.TRANSITIONS)
    assert set(workflow.FUNCTIONS) == set(workflow.TRANSITIONS) - {"publish_scheduled"}


@pytest.mark.parametrize(
    ("action", "from_status", "actor", "arguments", "to_status", "event_action"),
    ALLOWED,
    ids=[f"{row[2]}_may_{row[0]}_from_{row[1]}" for row in ALLOWED],
)
def test_transition_is_allowed_for_the_right_role_from_the_right_status(
    people, action, from_status, actor, arguments, to_status, event_action
):
    claim = claim_in(from_status, people)
    by = getattr(people, actor)
    events_before = set(claim.events.values_list("pk", flat=True))

    result = workflow.FUNCTIONS[action](claim.pk, by=by, expected_version=claim.version, **arguments(people))

    after = Claim.objects.get(pk=claim.pk)
    assert after.status == to_status
    assert after.version == claim.version + 1
    assert result.version == after.version
    assert result.status == after.status
    new_events = list(ReviewEvent.objects.filter(claim=claim).exclude(pk__in=events_before))
    assert len(new_events) == 1
    event = new_events[0]
    assert event.action == event_action
    assert event.from_status == from_status
    assert event.to_status == to_status
    assert event.actor == by
    assert event.actor_username == by.get_username()
    assert event.data["action"] == action
    assert event.data["version"] == after.version
    assert event.note == arguments(people).get("note", "")


def test_perform_dispatches_to_the_transition_with_the_fields_it_takes(people):
    claim = claim_in(S.ACCEPTED, people)

    # assignee is a field of assign; publish_at is not, so it is ignored.
    result = workflow.perform("assign", claim.pk, by=people.editor, assignee="reviewer", publish_at=LATER, note="")

    assert result.status == S.ASSIGNED
    assert result.assignee == people.reviewer


def test_perform_refuses_an_unknown_action(people):
    claim = claim_in(S.CANDIDATE, people)

    error = assert_refused(
        claim, WorkflowError, "Unknown action", lambda: workflow.perform("publish", claim.pk, by=people.editor)
    )
    assert "accept" in error.message


def test_perform_refuses_the_scheduler_only_transition_by_hand(people):
    claim = claim_in(S.SCHEDULED, people)

    assert_refused(
        claim,
        NotPermitted,
        "done by the scheduler",
        lambda: workflow.perform("publish_scheduled", claim.pk, by=people.superuser),
    )


def test_transition_on_a_missing_claim_says_it_does_not_exist(people):
    with pytest.raises(WorkflowError, match="Claim #999999 does not exist"):
        workflow.accept(999999, by=people.editor)


def test_inactive_editor_cannot_accept(people):
    claim = claim_in(S.CANDIDATE, people)
    people.editor.is_active = False
    people.editor.save(update_fields=["is_active"])

    assert_refused(claim, NotPermitted, "may not accept", lambda: workflow.accept(claim.pk, by=people.editor))


# --- Refused ------------------------------------------------------------------

NAIVE = dt.datetime(2030, 1, 1, 9, 0)  # no time zone: the point of the test

# name, action, from status, actor, arguments, error, message
REFUSED = [
    # accept
    ("reviewer_cannot_accept", "accept", S.CANDIDATE, "reviewer", {}, NotPermitted, "needs the Editors role"),
    ("accept_refused_once_accepted", "accept", S.ACCEPTED, "editor", {}, TransitionNotAllowed, "it is accepted"),
    ("accept_refused_once_dismissed", "accept", S.DISMISSED, "editor", {}, TransitionNotAllowed, "it is dismissed"),
    # dismiss
    ("dismiss_needs_a_reason", "dismiss", S.CANDIDATE, "editor", {}, GuardFailed, "needs: note"),
    ("dismiss_needs_more_than_blanks", "dismiss", S.CANDIDATE, "editor", {"note": "  "}, GuardFailed, "needs: note"),
    ("reviewer_cannot_dismiss", "dismiss", S.CANDIDATE, "reviewer", {"note": "x"}, NotPermitted, "Editors"),
    ("dismiss_refused_once_assigned", "dismiss", S.ASSIGNED, "editor", {"note": "x"}, TransitionNotAllowed, "applies only to claims that are candidate"),
    # mark_duplicate
    ("mark_duplicate_needs_the_canonical", "mark_duplicate", S.CANDIDATE, "editor", {"duplicate_of": None}, GuardFailed, "needs: duplicate_of"),
    ("mark_duplicate_of_a_missing_claim", "mark_duplicate", S.CANDIDATE, "editor", {"duplicate_of": 999999}, GuardFailed, "#999999 does not exist"),
    ("reviewer_cannot_mark_duplicate", "mark_duplicate", S.CANDIDATE, "reviewer", {"duplicate_of": "canonical"}, NotPermitted, "Editors"),
    ("mark_duplicate_refused_in_research", "mark_duplicate", S.IN_RESEARCH, "editor", {"duplicate_of": "canonical"}, TransitionNotAllowed, "candidate, accepted"),
    # accept_and_assign
    ("reviewer_cannot_accept_and_assign", "accept_and_assign", S.CANDIDATE, "reviewer", {"assignee": "reviewer"}, NotPermitted, "Editors"),
    ("accept_and_assign_needs_an_assignee", "accept_and_assign", S.CANDIDATE, "editor", {"assignee": None}, GuardFailed, "Choose a reviewer"),
    ("accept_and_assign_to_an_editor_fails", "accept_and_assign", S.CANDIDATE, "editor", {"assignee": "second_editor"}, GuardFailed, "not an active member of Reviewers"),
    ("accept_and_assign_refused_once_accepted", "accept_and_assign", S.ACCEPTED, "editor", {"assignee": "reviewer"}, TransitionNotAllowed, "it is accepted"),
    # assign
    ("assign_needs_an_assignee", "assign", S.ACCEPTED, "editor", {"assignee": None}, GuardFailed, "Choose a reviewer"),
    ("assign_to_an_editor_fails", "assign", S.ACCEPTED, "editor", {"assignee": "second_editor"}, GuardFailed, "not an active member of Reviewers"),
    ("assign_to_a_superuser_fails", "assign", S.ACCEPTED, "editor", {"assignee": "superuser"}, GuardFailed, "not an active member of Reviewers"),
    ("assign_to_an_unknown_username_fails", "assign", S.ACCEPTED, "editor", {"assignee": "nobody"}, GuardFailed, "No user 'nobody'"),
    ("reviewer_cannot_assign", "assign", S.ACCEPTED, "reviewer", {"assignee": "reviewer"}, NotPermitted, "Editors"),
    ("assign_refused_for_a_candidate", "assign", S.CANDIDATE, "editor", {"assignee": "reviewer"}, TransitionNotAllowed, "it is candidate"),
    # reassign
    ("reassign_needs_an_assignee", "reassign", S.ASSIGNED, "editor", {"assignee": ""}, GuardFailed, "Choose a reviewer"),
    ("reassign_to_the_same_reviewer_fails", "reassign", S.ASSIGNED, "editor", {"assignee": "reviewer"}, GuardFailed, "already assigned to reviewer"),
    ("reassign_to_an_editor_fails", "reassign", S.ASSIGNED, "editor", {"assignee": "second_editor"}, GuardFailed, "Reviewers"),
    ("reviewer_cannot_reassign", "reassign", S.ASSIGNED, "reviewer", {"assignee": "second_reviewer"}, NotPermitted, "Editors"),
    ("reassign_refused_in_review", "reassign", S.IN_REVIEW, "editor", {"assignee": "second_reviewer"}, TransitionNotAllowed, "assigned, in research"),
    # start_research
    ("editor_cannot_start_research", "start_research", S.ASSIGNED, "editor", {}, NotPermitted, "needs the Reviewers role"),
    ("other_reviewer_cannot_start_research", "start_research", S.ASSIGNED, "second_reviewer", {}, NotPermitted, r"Only the assignee \(reviewer\)"),
    ("start_research_refused_when_accepted", "start_research", S.ACCEPTED, "reviewer", {}, TransitionNotAllowed, "it is accepted"),
    # submit
    ("editor_cannot_submit", "submit", S.IN_RESEARCH, "editor", {}, NotPermitted, "Reviewers"),
    ("other_reviewer_cannot_submit", "submit", S.IN_RESEARCH, "second_reviewer", {}, NotPermitted, "Only the assignee"),
    ("submit_refused_when_assigned", "submit", S.ASSIGNED, "reviewer", {}, TransitionNotAllowed, "in research"),
    # request_changes
    ("request_changes_needs_a_note", "request_changes", S.IN_REVIEW, "editor", {"note": ""}, GuardFailed, "needs: note"),
    ("reviewer_cannot_request_changes", "request_changes", S.IN_REVIEW, "reviewer", {"note": "x"}, NotPermitted, "Editors"),
    ("request_changes_refused_in_research", "request_changes", S.IN_RESEARCH, "editor", {"note": "x"}, TransitionNotAllowed, "in review"),
    # approve
    ("reviewer_cannot_approve", "approve", S.IN_REVIEW, "reviewer", {}, NotPermitted, "Editors"),
    ("approve_refused_in_research", "approve", S.IN_RESEARCH, "editor", {}, TransitionNotAllowed, "it is in research"),
    ("approve_refused_once_published", "approve", S.PUBLISHED, "editor", {}, TransitionNotAllowed, "it is published"),
    ("approve_refused_once_scheduled", "approve", S.SCHEDULED, "editor", {}, TransitionNotAllowed, "scheduled"),
    ("approve_needs_a_time_zone", "approve", S.IN_REVIEW, "editor", {"publish_at": NAIVE}, GuardFailed, "time zone"),
    # correct
    ("correct_needs_a_note", "correct", S.PUBLISHED, "editor", {}, GuardFailed, "needs: note"),
    ("reviewer_cannot_correct", "correct", S.PUBLISHED, "reviewer", {"note": "x"}, NotPermitted, "Editors"),
    ("correct_refused_in_review", "correct", S.IN_REVIEW, "editor", {"note": "x"}, TransitionNotAllowed, "published"),
    # retract
    ("retract_needs_a_public_reason", "retract", S.PUBLISHED, "editor", {"note": " "}, GuardFailed, "needs: note"),
    ("reviewer_cannot_retract", "retract", S.PUBLISHED, "reviewer", {"note": "x"}, NotPermitted, "Editors"),
    ("retract_refused_in_review", "retract", S.IN_REVIEW, "editor", {"note": "x"}, TransitionNotAllowed, "it is in review"),
    ("retract_refused_once_retracted", "retract", S.RETRACTED, "editor", {"note": "x"}, TransitionNotAllowed, "it is retracted"),
]  # fmt: skip

PEOPLE = {"editor", "reviewer", "superuser", "second_editor", "second_reviewer", "canonical"}


@pytest.mark.parametrize(
    ("action", "from_status", "actor", "arguments", "error", "message"),
    [row[1:] for row in REFUSED],
    ids=[row[0] for row in REFUSED],
)
def test_transition_is_refused_with_a_plain_message_and_changes_nothing(
    people, action, from_status, actor, arguments, error, message
):
    claim = claim_in(from_status, people)
    # Names of people (and of the canonical claim) stand for the objects.
    arguments = {name: getattr(people, v) if v in PEOPLE else v for name, v in arguments.items()}
    by = getattr(people, actor)
    verdicts_before = list(Verdict.objects.filter(claim=claim).values())

    assert_refused(claim, error, message, lambda: workflow.FUNCTIONS[action](claim.pk, by=by, **arguments))

    assert list(Verdict.objects.filter(claim=claim).values()) == verdicts_before


# --- Behaviour of particular transitions -------------------------------------


def test_dismiss_records_the_reason(people):
    claim = claim_in(S.CANDIDATE, people)

    workflow.dismiss(claim.pk, by=people.editor, note="Opinion, not a factual claim.")

    assert claim.events.get().note == "Opinion, not a factual claim."


def test_mark_duplicate_points_at_the_canonical_claim(people):
    claim = claim_in(S.CANDIDATE, people)

    workflow.mark_duplicate(claim.pk, by=people.editor, duplicate_of=people.canonical.pk)

    claim.refresh_from_db()
    assert claim.duplicate_of == people.canonical
    assert claim.events.get().data["duplicate_of"] == people.canonical.pk


def test_mark_duplicate_of_a_duplicate_points_at_the_root_of_the_chain(people):
    middle = claim_in(S.CANDIDATE, people)
    workflow.mark_duplicate(middle.pk, by=people.editor, duplicate_of=people.canonical)
    claim = claim_in(S.CANDIDATE, people)

    workflow.mark_duplicate(claim.pk, by=people.editor, duplicate_of=middle)

    claim.refresh_from_db()
    assert claim.duplicate_of == people.canonical
    assert claim.events.get().data["duplicate_of"] == people.canonical.pk


def test_duplicates_follow_their_canonical_when_it_is_marked_duplicate(people):
    earlier_canonical = claim_in(S.CANDIDATE, people)
    copy = claim_in(S.CANDIDATE, people)
    workflow.mark_duplicate(copy.pk, by=people.editor, duplicate_of=earlier_canonical)

    workflow.mark_duplicate(earlier_canonical.pk, by=people.editor, duplicate_of=people.canonical)

    copy.refresh_from_db()
    assert copy.duplicate_of == people.canonical
    assert not Claim.objects.filter(status=S.DUPLICATE, duplicate_of__status=S.DUPLICATE).exists()
    event = earlier_canonical.events.get(action="claims.claim.marked_duplicate")
    assert event.data["repointed_duplicates"] == [copy.pk]


def test_claim_cannot_be_marked_duplicate_of_itself(people):
    claim = claim_in(S.CANDIDATE, people)

    assert_refused(
        claim,
        GuardFailed,
        "duplicate of itself",
        lambda: workflow.mark_duplicate(claim.pk, by=people.editor, duplicate_of=claim.pk),
    )


def test_claim_cannot_be_marked_duplicate_through_a_chain_back_to_itself(people):
    claim = claim_in(S.ACCEPTED, people)
    other = claim_in(S.CANDIDATE, people)
    workflow.mark_duplicate(other.pk, by=people.editor, duplicate_of=claim)

    assert_refused(
        claim,
        GuardFailed,
        "duplicate of itself",
        lambda: workflow.mark_duplicate(claim.pk, by=people.editor, duplicate_of=other),
    )


def test_claim_cannot_be_marked_duplicate_of_a_dismissed_claim(people):
    dismissed = claim_in(S.DISMISSED, people)
    claim = claim_in(S.CANDIDATE, people)

    assert_refused(
        claim,
        GuardFailed,
        f"#{dismissed.pk} was dismissed",
        lambda: workflow.mark_duplicate(claim.pk, by=people.editor, duplicate_of=dismissed),
    )


def test_accept_and_assign_needs_the_triage_permission_as_well(people):
    assigner = UserFactory(username="assigner")
    assigner.user_permissions.add(Permission.objects.get(codename="assign_claim"))
    claim = claim_in(S.CANDIDATE, people)

    assert_refused(
        claim,
        NotPermitted,
        "may not accept",
        lambda: workflow.accept_and_assign(claim.pk, by=assigner, assignee=people.reviewer),
    )
    assert "accept_and_assign" not in {t.action for t in workflow.available_transitions(claim, assigner)}


def test_accept_and_assign_records_the_reviewer_in_one_event(people):
    claim = claim_in(S.CANDIDATE, people)

    workflow.accept_and_assign(claim.pk, by=people.editor, assignee="reviewer", note="Call the ministry first.")

    claim.refresh_from_db()
    assert (claim.status, claim.assignee) == (S.ASSIGNED, people.reviewer)
    event = claim.events.get()
    assert (event.from_status, event.to_status) == (S.CANDIDATE, S.ASSIGNED)
    assert event.data["assignee"] == "reviewer"
    assert event.note == "Call the ministry first."
    # The reviewer may start at once: the claim is theirs.
    assert "start_research" in {t.action for t in workflow.available_transitions(claim, people.reviewer)}


def test_assign_sets_the_assignee_and_records_it(people):
    claim = claim_in(S.ACCEPTED, people)

    workflow.assign(claim.pk, by=people.editor, assignee=people.reviewer.pk)

    claim.refresh_from_db()
    assert claim.assignee == people.reviewer
    assert claim.events.latest("pk").data["assignee"] == "reviewer"


def test_assign_to_a_user_outside_reviewers_fails(people):
    outsider = UserFactory(username="outsider")
    claim = claim_in(S.ACCEPTED, people)

    error = assert_refused(
        claim,
        GuardFailed,
        "outsider is not an active member of Reviewers",
        lambda: workflow.assign(claim.pk, by=people.editor, assignee=outsider),
    )
    assert error.errors == {"assignee": ["Claims are assigned to members of Reviewers."]}


def test_assign_to_an_inactive_reviewer_fails(people):
    gone = member_of(REVIEWERS, "gone", is_active=False)
    claim = claim_in(S.ACCEPTED, people)

    assert_refused(
        claim,
        GuardFailed,
        "gone is not an active member",
        lambda: workflow.assign(claim.pk, by=people.editor, assignee=gone),
    )


def test_reassign_keeps_the_history_of_assignees(people):
    third = member_of(REVIEWERS, "third-reviewer")
    claim = claim_in(S.IN_RESEARCH, people)

    workflow.reassign(claim.pk, by=people.editor, assignee=people.second_reviewer, note="Reviewer on leave.")
    workflow.reassign(claim.pk, by=people.editor, assignee=third)

    claim.refresh_from_db()
    assert claim.assignee == third
    assert claim.status == S.IN_RESEARCH
    history = [
        (e.data["previous_assignee"], e.data["assignee"])
        for e in claim.events.filter(action="claims.claim.reassigned").order_by("pk")
    ]
    assert history == [("reviewer", "second-reviewer"), ("second-reviewer", "third-reviewer")]
    assert claim.events.get(action="claims.claim.assigned").data["assignee"] == "reviewer"


def test_after_reassignment_only_the_new_assignee_may_work_on_the_claim(people):
    claim = claim_in(S.ASSIGNED, people)
    workflow.reassign(claim.pk, by=people.editor, assignee=people.second_reviewer)

    assert_refused(
        claim,
        NotPermitted,
        r"Only the assignee \(second-reviewer\)",
        lambda: workflow.start_research(claim.pk, by=people.reviewer),
    )
    assert workflow.start_research(claim.pk, by=people.second_reviewer).status == S.IN_RESEARCH


def test_submit_needs_a_verdict_draft(people):
    claim = advance(ClaimFactory(), S.IN_RESEARCH, people.editor, people.reviewer)
    add_independent_evidence(claim)

    error = assert_refused(
        claim, GuardFailed, "Write a verdict draft", lambda: workflow.submit(claim.pk, by=people.reviewer)
    )
    assert "verdict" in error.errors


def test_submit_needs_a_complete_verdict_draft(people):
    claim = advance(ClaimFactory(), S.IN_RESEARCH, people.editor, people.reviewer)
    add_verdict_draft(claim, people.reviewer, summary="", explanation="  ")
    add_independent_evidence(claim)

    assert_refused(
        claim,
        GuardFailed,
        "missing: summary, explanation",
        lambda: workflow.submit(claim.pk, by=people.reviewer),
    )


def test_submit_refuses_a_retired_rating(people, default_scale):
    claim = advance(ClaimFactory(), S.IN_RESEARCH, people.editor, people.reviewer)
    rating = default_scale.ratings.get(label="Unproven")
    rating.retired = True
    rating.save(update_fields=["retired"])
    add_verdict_draft(claim, people.reviewer, rating=rating)
    add_independent_evidence(claim)

    assert_refused(claim, GuardFailed, "is retired", lambda: workflow.submit(claim.pk, by=people.reviewer))


def test_submit_records_the_draft_it_sent(people):
    claim = claim_in(S.IN_RESEARCH, people)
    draft = claim.verdicts.get()

    workflow.submit(claim.pk, by=people.reviewer)

    assert claim.events.latest("pk").data == {
        "action": "submit",
        "version": claim.version + 1,
        "verdict_id": draft.pk,
        "revision": 1,
    }


def test_approve_publishes_the_draft(people):
    claim = claim_in(S.IN_REVIEW, people)

    workflow.approve(claim.pk, by=people.editor, note="Good work.")

    verdict = claim.verdicts.get()
    assert verdict.status == Verdict.Status.PUBLISHED
    assert verdict.approver == people.editor
    assert verdict.published_at is not None
    assert list(Verdict.objects.published()) == [verdict]


def test_approve_with_publish_at_in_the_past_publishes_now(people):
    claim = claim_in(S.IN_REVIEW, people)

    workflow.approve(claim.pk, by=people.editor, publish_at=timezone.now() - dt.timedelta(hours=1))

    claim.refresh_from_db()
    assert claim.status == S.PUBLISHED
    assert claim.verdicts.get().publish_at is None


def test_scheduler_publishes_a_scheduled_claim_once_it_is_due(people):
    claim = claim_in(S.SCHEDULED, people)
    events_before = claim.events.count()
    due = claim.verdicts.get().publish_at

    result = workflow.publish_scheduled(claim.pk, now=due + dt.timedelta(seconds=1))

    after = Claim.objects.get(pk=claim.pk)
    assert result is not None
    assert after.status == S.PUBLISHED
    assert after.version == claim.version + 1
    assert claim.events.count() == events_before + 1
    event = claim.events.latest("pk")
    assert (event.action, event.from_status, event.to_status) == ("claims.verdict.published", S.SCHEDULED, S.PUBLISHED)
    assert event.actor is None
    assert event.actor_username == "system"
    assert event.data["approver"] == "editor"
    verdict = claim.verdicts.get()
    assert verdict.status == Verdict.Status.PUBLISHED
    assert verdict.published_at == due + dt.timedelta(seconds=1)


def test_scheduler_does_nothing_before_the_embargo_lifts(people):
    claim = claim_in(S.SCHEDULED, people)
    before = snapshot(claim)
    due = claim.verdicts.get().publish_at

    assert workflow.publish_scheduled(claim.pk, now=due - dt.timedelta(seconds=1)) is None
    assert snapshot(claim) == before


@pytest.mark.parametrize("status", [S.IN_REVIEW, S.PUBLISHED])
def test_scheduler_does_nothing_to_a_claim_that_is_not_scheduled(people, status):
    claim = claim_in(status, people)
    before = snapshot(claim)

    assert workflow.publish_scheduled(claim.pk, now=timezone.now() + dt.timedelta(days=365)) is None
    assert snapshot(claim) == before


def test_correct_opens_a_new_draft_revision(people):
    claim = claim_in(S.PUBLISHED, people)
    published = claim.verdicts.get()

    workflow.correct(claim.pk, by=people.editor, note="The statistics office revised the figure.")

    draft = claim.verdicts.get(status=Verdict.Status.DRAFT)
    assert draft.revision == 2
    assert (draft.rating, draft.headline, draft.summary) == (published.rating, published.headline, published.summary)
    # Nobody has written the copy yet: its first writer (or its submitter) becomes its author,
    # never a reviewer who did not touch it.
    assert draft.author is None
    assert claim.events.latest("pk").data["verdict_id"] == draft.pk


def test_retract_withdraws_the_published_verdict(people):
    claim = claim_in(S.PUBLISHED, people)

    workflow.retract(claim.pk, by=people.editor, note="The source was forged.")

    verdict = claim.verdicts.get()
    assert verdict.status == Verdict.Status.RETRACTED
    assert verdict.retraction_reason == "The source was forged."

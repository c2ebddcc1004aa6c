"""Checklists: the template copied at acceptance, required tasks guard submit, answers audited, one of two racing answers wins."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from claims.collaboration import checklists
from claims.models import ChecklistTemplateTask, Claim, ClaimTask, Notification, NotificationKind, ReviewEvent
from claims.review import workflow
from claims.review.roles import REVIEWERS

from .factories import ClaimFactory, add_independent_evidence, add_verdict_draft, advance, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(db):
    return [
        ChecklistTemplateTask.objects.create(
            label="Contact the claimant", required=True, position=1, default_assignee="assignee"
        ),
        ChecklistTemplateTask.objects.create(label="Find the primary data", answer_kind="url", position=2),
        ChecklistTemplateTask.objects.create(label="Second source for the figure", answer_kind="yes_no", position=3),
        ChecklistTemplateTask.objects.create(label="Retired step", active=False, position=4),
    ]


def test_acceptance_copies_the_active_template_and_later_edits_leave_the_claim_alone(editor, reviewer, template):
    claim = advance(ClaimFactory(), Claim.Status.ACCEPTED, editor, reviewer)
    assert list(claim.tasks.values_list("label", "required", "answer_kind")) == [
        ("Contact the claimant", True, "text"),
        ("Find the primary data", False, "url"),
        ("Second source for the figure", False, "yes_no"),
    ]
    template[0].label = "Call the claimant twice"
    template[0].required = False
    template[0].save()
    ChecklistTemplateTask.objects.create(label="A new step", position=9)
    template[1].delete()
    claim.refresh_from_db()
    assert list(claim.tasks.values_list("label", "required")) == [
        ("Contact the claimant", True),
        ("Find the primary data", False),
        ("Second source for the figure", False),
    ]
    later = advance(ClaimFactory(), Claim.Status.ACCEPTED, editor, reviewer)
    assert list(later.tasks.values_list("label", flat=True)) == [
        "Call the claimant twice",
        "Second source for the figure",
        "A new step",
    ]


def test_assignment_gives_the_reviewers_tasks_and_tells_them(editor, reviewer, template):
    claim = advance(ClaimFactory(), Claim.Status.ASSIGNED, editor, reviewer)
    task = claim.tasks.get(label="Contact the claimant")
    assert task.assignee == reviewer
    assert claim.tasks.filter(assignee__isnull=True).count() == 2
    notification = Notification.objects.get(recipient=reviewer, verb=NotificationKind.TASK_ASSIGNED)
    assert notification.detail == "Contact the claimant"


def test_a_required_open_task_blocks_submit_naming_it(editor, reviewer, template):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, reviewer)
    add_independent_evidence(claim, added_by=reviewer)
    with pytest.raises(workflow.GuardFailed, match="Contact the claimant") as refused:
        workflow.submit(claim.pk, by=reviewer)
    assert refused.value.errors["checklist"] == ["The required task 'Contact the claimant' is not done."]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_RESEARCH
    task = claim.tasks.get(label="Contact the claimant")
    checklists.update_task(task.pk, by=reviewer, expected_version=task.version, answer="Left a message", checked=True)
    workflow.submit(claim.pk, by=reviewer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW


def test_answers_are_checked_by_kind_and_kept_in_the_audit_trail(editor, reviewer, template):
    claim = advance(ClaimFactory(), Claim.Status.ASSIGNED, editor, reviewer)
    data, second = claim.tasks.get(answer_kind="url"), claim.tasks.get(answer_kind="yes_no")
    with pytest.raises(checklists.TaskError, match="web address"):
        checklists.update_task(data.pk, by=reviewer, expected_version=data.version, answer="ftp://x.example/data")
    with pytest.raises(checklists.TaskError, match="yes or no"):
        checklists.update_task(second.pk, by=reviewer, expected_version=second.version, answer="maybe")
    data = checklists.update_task(
        data.pk, by=reviewer, expected_version=data.version, answer="https://stats.example.org/t1", checked=True
    )
    second = checklists.update_task(second.pk, by=reviewer, expected_version=second.version, answer="Yes")
    assert (data.answer, data.is_done, data.checked_by_username) == ("https://stats.example.org/t1", True, "reviewer")
    assert second.answer == "yes" and not second.is_done
    events = ReviewEvent.objects.filter(claim=claim, action="claims.task.updated").order_by("pk")
    assert [e.data for e in events] == [
        {"task_id": data.pk, "label": "Find the primary data", "version": 2, "answer": "https://stats.example.org/t1", "checked": True},
        {"task_id": second.pk, "label": "Second source for the figure", "version": 2, "answer": "yes"},
    ]  # fmt: skip


def test_a_stale_version_is_a_conflict_naming_the_winning_answer(editor, reviewer, template, roles):
    claim = advance(ClaimFactory(), Claim.Status.ASSIGNED, editor, reviewer)
    task = claim.tasks.get(label="Contact the claimant")
    seen = task.version
    checklists.update_task(task.pk, by=reviewer, expected_version=seen, answer="Called, no answer", checked=True)
    with pytest.raises(checklists.TaskConflict) as conflict:
        checklists.update_task(task.pk, by=editor, expected_version=seen, answer="Emailed", checked=True)
    assert "changed since you loaded it" in conflict.value.message
    assert "checked by reviewer" in conflict.value.message and "'Called, no answer'" in conflict.value.message
    task.refresh_from_db()
    assert task.answer == "Called, no answer" and task.version == seen + 1
    assert ReviewEvent.objects.filter(claim=claim, action="claims.task.updated").count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SELECT ... FOR UPDATE between connections"
)
@pytest.mark.django_db(transaction=True)
def test_two_people_checking_the_same_task_at_once_one_answer_one_conflict(roles, default_scale):
    editor = member_of("Editors", "editor")
    reviewer = member_of(REVIEWERS, "reviewer")
    ChecklistTemplateTask.objects.create(label="Contact the claimant", required=True)
    claim = advance(ClaimFactory(), Claim.Status.ASSIGNED, editor, reviewer)
    task = claim.tasks.get()
    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def check(user_id: int, answer: str) -> None:
        try:
            user = get_user_model().objects.get(pk=user_id)
            barrier.wait()
            try:
                checklists.update_task(task.pk, by=user, expected_version=task.version, answer=answer, checked=True)
                outcomes[answer] = "saved"
            except checklists.TaskConflict as exc:
                outcomes[answer] = exc.message
        finally:
            connection.close()

    threads = [
        threading.Thread(target=check, args=(editor.pk, "by editor")),
        threading.Thread(target=check, args=(reviewer.pk, "by reviewer")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values())[-1] == "saved"
    [loser] = [message for message in outcomes.values() if message != "saved"]
    assert "changed since you loaded it" in loser
    task = ClaimTask.objects.get(pk=task.pk)
    winner = next(answer for answer, outcome in outcomes.items() if outcome == "saved")
    assert task.answer == winner and task.version == 2
    assert ReviewEvent.objects.filter(claim=claim, action="claims.task.updated").count() == 1

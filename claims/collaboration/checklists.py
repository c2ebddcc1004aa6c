"""Checklists: the desk's template, copied onto a claim at acceptance; tasks assigned, answered and checked."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from claims.models import AnswerKind, ChecklistTemplateTask, Claim, ClaimTask, NotificationKind, ReviewEvent

from . import notifications

UNCHANGED = object()
YES_NO = {"yes": "yes", "no": "no", "true": "yes", "false": "no"}


class TaskError(Exception):
    http_status = 400
    code = "invalid"

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class TaskConflict(TaskError):
    http_status = 409
    code = "conflict"


class TaskPermissionDenied(TaskError):
    http_status = 403
    code = "forbidden"


def copy_template(claim: Claim, *, accepted_by=None) -> list[ClaimTask]:
    """Give a newly accepted claim its own copy of the active template tasks (once).

    Copies, not references: editing the template later leaves this claim's tasks as they are.
    """
    if claim.tasks.exists():
        return []
    template = list(ChecklistTemplateTask.objects.filter(active=True).order_by("position", "pk"))
    tasks = [
        ClaimTask(
            claim=claim,
            template=item,
            label=item.label,
            description=item.description,
            answer_kind=item.answer_kind,
            required=item.required,
            default_assignee=item.default_assignee,
            position=item.position,
            assignee=accepted_by if item.default_assignee == ChecklistTemplateTask.Role.ACCEPTED_BY else None,
        )
        for item in template
    ]
    return ClaimTask.objects.bulk_create(tasks)


def give_reviewer_tasks(claim: Claim, reviewer, *, by) -> int:
    """Tasks whose default assignee is the claim's reviewer, not yet given to anyone, go to ``reviewer``."""
    tasks = list(
        claim.tasks.filter(default_assignee=ChecklistTemplateTask.Role.ASSIGNEE, assignee__isnull=True, checked_at=None)
    )
    for task in tasks:
        task.assignee = reviewer
        task.version += 1
    ClaimTask.objects.bulk_update(tasks, ["assignee", "version"])
    if tasks:
        labels = ", ".join(task.label for task in tasks)
        notifications.notify(reviewer, NotificationKind.TASK_ASSIGNED, claim=claim, actor=by, detail=labels)
    return len(tasks)


def open_required_labels(claim: Claim) -> list[str]:
    return list(claim.tasks.filter(required=True, checked_at__isnull=True).values_list("label", flat=True))


def _clean_answer(task: ClaimTask, answer: str) -> str:
    answer = (answer or "").strip()
    if not answer:
        return ""
    if "\x00" in answer:
        raise TaskError("An answer cannot contain NUL characters.", errors={"answer": ["NUL character."]})
    if task.answer_kind == AnswerKind.URL:
        try:
            URLValidator(schemes=["http", "https"])(answer)
        except ValidationError:
            raise TaskError(
                f"{task.label!r} is answered with a web address (http:// or https://); got {answer[:80]!r}.",
                errors={"answer": ["Enter an http(s) URL."]},
            ) from None
    elif task.answer_kind == AnswerKind.YES_NO:
        if answer.lower() not in YES_NO:
            raise TaskError(f"{task.label!r} is answered yes or no.", errors={"answer": ["Answer yes or no."]})
        answer = YES_NO[answer.lower()]
    elif len(answer) > 5000:
        raise TaskError("An answer is at most 5000 characters.", errors={"answer": ["Too long."]})
    return answer


def _assignee(value):
    if value in (None, ""):
        return None
    User = get_user_model()  # noqa: N806
    lookup = {"pk": value} if isinstance(value, int) else {"username": value}
    user = User.objects.filter(is_active=True, **lookup).first()
    if user is None or not user.has_perm("claims.view_claim"):
        raise TaskError(f"No desk member {value!r}.", errors={"assignee": ["No such desk member."]})
    return user


def update_task(
    task_id: int,
    *,
    by,
    expected_version: int,
    answer=UNCHANGED,
    checked=UNCHANGED,
    assignee=UNCHANGED,
) -> ClaimTask:
    """Answer, check or assign a task, if it is still as the caller saw it (``expected_version``).

    Two people checking the same task at once: the row lock orders them, the first
    wins, the second gets TaskConflict naming who changed it and what it says now.
    Every change is recorded in the claim's audit trail with the answer.
    """
    if not by.is_active or not by.has_perm("claims.change_claimtask"):
        raise TaskPermissionDenied(f"{by.get_username()} may not work on checklist tasks.")
    with transaction.atomic():
        task = ClaimTask.objects.select_for_update().filter(pk=task_id).first()
        if task is None:
            raise TaskError(f"Task #{task_id} does not exist.")
        if task.version != expected_version:
            state = "checked" if task.checked_at else "open"
            by_whom = f" by {task.checked_by_username}" if task.checked_by_username else ""
            raise TaskConflict(
                f"The task {task.label!r} changed since you loaded it (you had version {expected_version}, it is now "
                f"version {task.version}, {state}{by_whom}, answer {task.answer or '(none)'!r}). "
                "Reload it and try again; your answer was not saved."
            )
        changed: dict = {}
        if answer is not UNCHANGED:
            cleaned = _clean_answer(task, answer)
            if cleaned != task.answer:
                task.answer = changed["answer"] = cleaned
        if checked is not UNCHANGED and bool(checked) != task.is_done:
            if checked:
                task.checked_at = timezone.now()
                task.checked_by_username = by.get_username()
            else:
                task.checked_at = None
                task.checked_by_username = ""
            changed["checked"] = bool(checked)
        new_assignee = None
        if assignee is not UNCHANGED:
            new_assignee = _assignee(assignee)
            if (new_assignee.pk if new_assignee else None) != task.assignee_id:
                task.assignee = new_assignee
                changed["assignee"] = new_assignee.get_username() if new_assignee else None
            else:
                new_assignee = None
        if not changed:
            return task
        task.version += 1
        task.save(update_fields=["answer", "checked_at", "checked_by_username", "assignee", "version"])
        ReviewEvent.objects.create(
            claim_id=task.claim_id,
            action="claims.task.updated",
            actor=by,
            actor_username=by.get_username(),
            data={"task_id": task.pk, "label": task.label, "version": task.version, **changed},
        )
        if new_assignee is not None:
            notifications.notify(
                new_assignee, NotificationKind.TASK_ASSIGNED, claim=task.claim, actor=by, detail=task.label
            )
    return task


def import_tasks(
    answers_by_claim: dict[int, list[tuple[str, str]]], *, actor_username: str, event_data: dict[int, dict]
) -> dict[int, list[ClaimTask]]:
    """Claims' answered tasks from another tool's history (a Check workspace export).

    Answered, so checked as of the import; never required (the desk's own template
    decides what blocks a submission) and tied to no template task. One audit event
    per claim lists the labels, as the rest of an import does. Many claims at once:
    an export holds thousands.
    """
    now = timezone.now()
    tasks = ClaimTask.objects.bulk_create(
        [
            ClaimTask(
                claim_id=claim_id,
                label=label[:200],
                answer=answer,
                position=position,
                checked_at=now,
                checked_by_username=actor_username,
            )
            for claim_id, answers in answers_by_claim.items()
            for position, (label, answer) in enumerate(answers)
        ]
    )
    by_claim: dict[int, list[ClaimTask]] = {claim_id: [] for claim_id in answers_by_claim}
    for task in tasks:
        by_claim[task.claim_id].append(task)
    ReviewEvent.objects.bulk_create(
        [
            ReviewEvent(
                claim_id=claim_id,
                action="claims.task.imported",
                actor_username=actor_username,
                data={**event_data.get(claim_id, {}), "labels": [task.label for task in claim_tasks]},
            )
            for claim_id, claim_tasks in by_claim.items()
        ]
    )
    return by_claim

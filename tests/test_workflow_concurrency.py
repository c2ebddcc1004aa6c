"""Ten editors press "approve" at the same moment: one publishes, nine are told why not.

Real threads with their own database connections, so the row lock in
claims.review.workflow is what keeps them apart. SQLite serialises writers and has no
SELECT ... FOR UPDATE, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from claims.models import Claim, ReviewEvent, Verdict
from claims.review import workflow
from claims.review.roles import EDITORS

from .factories import ClaimFactory, advance, member_of

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the test is about SELECT ... FOR UPDATE between connections",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 10


def approve_all_at_once(claim_id: int, editor_id: int, expected_version: int | None) -> Counter:
    """Run workflow.approve in THREADS threads released together; count the outcomes."""
    barrier = threading.Barrier(THREADS, timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve() -> None:
        try:
            editor = get_user_model().objects.get(pk=editor_id)
            barrier.wait()
            try:
                workflow.approve(claim_id, by=editor, expected_version=expected_version)
                outcome = "published"
            except workflow.WorkflowError as exc:
                outcome = type(exc).__name__
            except Exception as exc:  # anything else is reported as the outcome, not lost in the thread
                outcome = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting"
    return Counter(outcomes)


@pytest.fixture
def in_review(editor, reviewer, default_scale) -> Claim:
    return advance(ClaimFactory(), Claim.Status.IN_REVIEW, editor, reviewer)


@pytest.fixture
def approver(roles):
    # Not the draft's author (the reviewer), so four-eyes does not refuse.
    return member_of(EDITORS, "approving-editor")


def assert_published_once(claim: Claim) -> None:
    assert ReviewEvent.objects.filter(claim=claim, action="claims.verdict.published").count() == 1
    assert Verdict.objects.published().filter(claim=claim).count() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PUBLISHED


def test_concurrent_approvals_with_the_same_version_publish_once(in_review, approver):
    loaded = in_review.version

    outcomes = approve_all_at_once(in_review.pk, approver.pk, expected_version=loaded)

    assert outcomes == Counter({"published": 1, "ConflictError": THREADS - 1})
    assert_published_once(in_review)
    assert in_review.version == loaded + 1


def test_concurrent_approvals_without_a_version_publish_once(in_review, approver):
    outcomes = approve_all_at_once(in_review.pk, approver.pk, expected_version=None)

    assert outcomes == Counter({"published": 1, "TransitionNotAllowed": THREADS - 1})
    assert_published_once(in_review)

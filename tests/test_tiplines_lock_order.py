"""Linking a tip to a duplicate claim while the desk marks its canonical claim a duplicate
in turn: the two take the claims' row locks in the same order (the canonical claim, then
its duplicate), so one waits for the other instead of a deadlock.

Real threads with their own database connections; SQLite has no SELECT ... FOR UPDATE,
so this runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from claims.models import Claim
from claims.tiplines import tips

from .factories import ArticleFactory, ClaimFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the test is about row locks between connections",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_linking_to_a_duplicate_waits_for_a_canonical_claim_being_marked_a_duplicate():
    root = ClaimFactory(text="Bus fares rose 40 percent in 2025.", article=ArticleFactory())
    canonical = ClaimFactory(text="Bus fares went up 40 percent last year.", article=ArticleFactory())
    duplicate = ClaimFactory(
        text="Fares on city buses are 40 percent higher.",
        article=ArticleFactory(),
        status=Claim.Status.DUPLICATE,
        duplicate_of=canonical,
    )
    outcome: dict[str, object] = {}

    def link() -> None:
        try:
            with transaction.atomic():
                outcome["target"] = tips._link_target(duplicate.pk)
        except Exception as exc:  # reported, not lost in the thread
            outcome["error"] = exc
        finally:
            connection.close()

    # What workflow.mark_duplicate(canonical -> root) does, in its order: the claim's row
    # lock, then its duplicates repointed to the root.
    with transaction.atomic():
        Claim.objects.select_for_update().get(pk=canonical.pk)
        thread = threading.Thread(target=link)
        thread.start()
        time.sleep(1.5)  # the link waits on a lock by now (longer than PostgreSQL's deadlock_timeout, 1 s)
        Claim.objects.filter(pk=canonical.pk).update(status=Claim.Status.DUPLICATE, duplicate_of=root)
        Claim.objects.filter(duplicate_of=canonical).update(duplicate_of=root)
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")  # before: "deadlock detected" here, or in the update
    assert outcome["target"] == root.pk  # it saw what the desk did and followed it

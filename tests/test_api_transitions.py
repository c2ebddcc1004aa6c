"""POST /api/v1/claims/{id}/transitions/: the workflow over HTTP, with API keys."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from claims.models import APIKey, Claim, ReviewEvent

from .factories import ClaimFactory, advance

pytestmark = pytest.mark.django_db


def url(claim):
    return f"/api/v1/claims/{claim.pk}/transitions/"


def key_client(user, scope="write", **fields):
    _, key = APIKey.objects.create_key(name=f"{user.username} {scope}", user=user, scope=scope, **fields)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_200_with_the_new_state(editor):
    claim = ClaimFactory()
    response = key_client(editor).post(url(claim), {"action": "accept", "expected_version": 1}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": claim.pk, "status": "accepted", "version": 2, "assignee": None}
    assert ReviewEvent.objects.get(claim=claim).actor_username == "editor"


def test_assign_by_username(editor, reviewer):
    claim = ClaimFactory()
    client = key_client(editor)
    client.post(url(claim), {"action": "accept"}, format="json")
    response = client.post(url(claim), {"action": "assign", "assignee": "reviewer"}, format="json")
    assert response.status_code == 200 and response.json()["assignee"] == "reviewer"


def test_403_when_the_role_may_not(reviewer):
    claim = ClaimFactory()
    response = key_client(reviewer).post(url(claim), {"action": "accept"}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden" and "Editors" in body["detail"]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CANDIDATE


def test_409_when_the_claim_changed_or_the_transition_does_not_apply(editor):
    claim = ClaimFactory()
    client = key_client(editor)
    client.post(url(claim), {"action": "accept", "expected_version": 1}, format="json")
    stale = client.post(url(claim), {"action": "dismiss", "note": "x", "expected_version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert "Reload" in stale.json()["detail"]
    wrong = client.post(url(claim), {"action": "accept"}, format="json")
    assert wrong.status_code == 409 and wrong.json()["code"] == "not_allowed"


def test_400_with_field_errors_when_a_guard_fails_or_the_body_is_bad(editor):
    claim = ClaimFactory()
    client = key_client(editor)
    guard = client.post(url(claim), {"action": "dismiss"}, format="json")
    assert guard.status_code == 400
    assert guard.json()["errors"] == {"note": ["This field is required."]}
    bad = client.post(url(claim), {"action": "fly"}, format="json")
    assert bad.status_code == 400 and "action" in bad.json()["errors"]
    missing = client.post("/api/v1/claims/999999/transitions/", {"action": "accept"}, format="json")
    assert missing.status_code == 404


def test_read_keys_cannot_write_and_bad_keys_are_refused(editor):
    claim = ClaimFactory()
    assert key_client(editor, scope="read").post(url(claim), {"action": "accept"}, format="json").status_code == 403
    expired = key_client(editor, expiry_date=timezone.now() - dt.timedelta(days=1))
    assert expired.post(url(claim), {"action": "accept"}, format="json").status_code in (401, 403)
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-key")
    assert forged.post(url(claim), {"action": "accept"}, format="json").status_code in (401, 403)
    assert APIClient().post(url(claim), {"action": "accept"}, format="json").status_code in (401, 403)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CANDIDATE


def test_keys_are_stored_hashed(editor):
    api_key, key = APIKey.objects.create_key(name="partner", user=editor, scope="read")
    stored = APIKey.objects.values_list("id", "hashed_key").get()
    assert key not in " ".join(stored)
    assert APIKey.objects.get_from_key(key) == api_key


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: two connections racing for the row lock"
)
@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_get_one_success_and_one_conflict(roles, editor, reviewer, default_scale):
    from .factories import member_of

    second_editor = member_of("Editors", "editor2")
    claim = advance(ClaimFactory(), Claim.Status.IN_REVIEW, editor, reviewer)
    clients = [key_client(editor), key_client(second_editor)]
    barrier = threading.Barrier(2)
    results = []

    def approve(client):
        barrier.wait()
        try:
            results.append(
                client.post(
                    url(claim), {"action": "approve", "expected_version": claim.version}, format="json"
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    assert ReviewEvent.objects.filter(claim=claim, action="claims.verdict.published").count() == 1

"""The internal API: articles, claims, evidence and drafts within each role's rights."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from claims.models import APIKey, Article, Claim, Evidence, OutboxMessage, Verdict

from .factories import ClaimFactory, advance

pytestmark = pytest.mark.django_db


def as_user(user, scope="write"):
    _, key = APIKey.objects.create_key(name=f"{user.username}-{scope}", user=user, scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_submitting_an_article_queues_its_ingestion(editor, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = as_user(editor).post(
        "/api/v1/articles/", {"url": "https://news.example/story?utm_source=x"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["url"], body["status"], body["created"]) == ("https://news.example/story", "pending", True)
    assert OutboxMessage.objects.get().kwargs == {"article_id": body["id"]}
    again = as_user(editor).post("/api/v1/articles/", {"url": "https://news.example/story"}, format="json")
    assert again.status_code == 200 and again.json()["created"] is False
    assert Article.objects.count() == 1


def test_an_article_needs_a_url_or_text_and_a_good_url(editor):
    client = as_user(editor)
    assert client.post("/api/v1/articles/", {"title": "x"}, format="json").status_code == 400
    bad = client.post("/api/v1/articles/", {"url": "ftp://example.org/x"}, format="json")
    assert bad.status_code == 400
    assert not Article.objects.exists()


def test_reviewer_adds_evidence_and_a_draft_to_an_assigned_claim(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    client = as_user(reviewer)
    evidence = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"url": "https://stats.example.org/t1", "stance": "refutes", "publisher": "Statistics office"},
        format="json",
    )
    assert evidence.status_code == 201
    assert Evidence.objects.get(claim=claim, url="https://stats.example.org/t1").added_by == reviewer
    duplicate = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"url": "https://stats.example.org/t1", "stance": "refutes"},
        format="json",
    )
    assert duplicate.status_code == 400
    draft = client.put(
        f"/api/v1/claims/{claim.pk}/verdict-draft/",
        {
            "rating": "False",
            "headline": "Unemployment did not fall",
            "summary": "It rose.",
            "explanation": "Data show a rise.",
        },
        format="json",
    )
    assert draft.status_code in (200, 201)
    assert Verdict.objects.get(claim=claim, status="draft").headline == "Unemployment did not fall"


def test_status_cannot_be_set_through_the_claim_endpoint(editor):
    claim = ClaimFactory()
    client = as_user(editor)
    refused = client.patch(
        f"/api/v1/claims/{claim.pk}/", {"status": "published", "text": "Edited text."}, format="json"
    )
    assert refused.status_code == 400
    assert "transitions" in refused.json()["status"][0]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CANDIDATE and claim.text != "Edited text."
    edited = client.patch(f"/api/v1/claims/{claim.pk}/", {"text": "Edited text."}, format="json")
    assert edited.status_code == 200, edited.json()
    claim.refresh_from_db()
    assert (claim.status, claim.text) == (Claim.Status.CANDIDATE, "Edited text.")


def test_published_claims_are_fixed(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    client = as_user(editor)
    assert client.patch(f"/api/v1/claims/{claim.pk}/", {"text": "Rewritten"}, format="json").status_code == 403
    assert (
        client.post(
            f"/api/v1/claims/{claim.pk}/evidence/", {"url": "https://x.example/", "stance": "supports"}, format="json"
        ).status_code
        == 403
    )


def test_roles_decide_what_a_key_may_do(reviewer, editor):
    claim = ClaimFactory()
    # Reviewers may not create claims (no add_claim permission); read keys may not write.
    assert as_user(reviewer).post("/api/v1/claims/", {"text": "A new claim."}, format="json").status_code == 403
    assert (
        as_user(editor, scope="read").post("/api/v1/claims/", {"text": "A new claim."}, format="json").status_code
        == 403
    )
    created = as_user(editor).post(
        "/api/v1/claims/", {"text": "A new claim.", "claimant_name": "Jane Doe"}, format="json"
    )
    assert created.status_code == 201 and created.json()["status"] == "candidate"
    assert as_user(reviewer, scope="read").get(f"/api/v1/claims/{claim.pk}/").status_code == 200


def test_anonymous_clients_see_nothing_internal():
    claim = ClaimFactory()
    client = APIClient()
    for url in [
        "/api/v1/claims/",
        f"/api/v1/claims/{claim.pk}/",
        "/api/v1/articles/",
        f"/api/v1/claims/{claim.pk}/evidence/",
    ]:
        assert client.get(url).status_code in (401, 403), url


def test_claim_list_runs_a_fixed_number_of_queries_with_corrections_under_way(editor, reviewer, default_scale):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.review import workflow

    client = as_user(editor)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/claims/").status_code == 200
        return len(captured)

    corrected = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    workflow.correct(corrected.pk, by=editor, note="Fix.")
    few = count()
    for _ in range(5):
        claim = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
        workflow.correct(claim.pk, by=editor, note="Fix.")
        ClaimFactory()
    # The key and its user, the page of claims with their claimants, the correction drafts held for them.
    assert count() == few


def test_the_evidence_list_shows_an_editors_archive_override_and_refuses_to_set_one(editor, reviewer):
    from claims.review import editing

    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    client = as_user(reviewer)
    created = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/", {"url": "https://paywalled.example/report", "stance": "refutes"}
    )
    assert created.status_code == 201, created.content
    assert (created.json()["archive_override_reason"], created.json()["archive_override_by"]) == ("", None)
    editing.override_archive(created.json()["id"], by=editor, reason="The publisher blocks archiving services.")
    listed = client.get(f"/api/v1/claims/{claim.pk}/evidence/").json()
    assert listed[0]["archive_override_reason"] == "The publisher blocks archiving services."
    assert listed[0]["archive_override_by"] == editor.username
    assert listed[0]["archive_override_at"]
    forged = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/",
        {"url": "https://other.example/x", "stance": "refutes", "archive_override_reason": "trust me"},
        format="json",
    )
    assert forged.status_code == 400
    assert "archive_override_reason" in forged.json()
    assert not Evidence.objects.filter(url="https://other.example/x").exists()

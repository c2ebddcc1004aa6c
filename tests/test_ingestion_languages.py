"""Beyond English, never silently: claims of an article in another language are
scored by the general model, and the desk sees it (issue 20, point 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from claims.intake import ingestion
from claims.models import APIKey, Claim

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def spanish_claims(settings, editor, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the outbox runs extraction in-process on commit
    with_text = (DATA / "article_es.txt").read_text(encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        submission = ingestion.submit_article(text=with_text, title="El paro baja", by=editor)
    claims = list(Claim.objects.filter(article=submission.article))
    assert claims, "the Spanish article gave no candidate"
    return claims


def test_a_spanish_article_is_scored_by_the_general_model_and_says_so(spanish_claims):
    assert {claim.scorer for claim in spanish_claims} == {Claim.Scorer.GENERAL}
    assert {claim.language for claim in spanish_claims} == {"es"}
    # Speakers found through Spanish reported speech ("afirmó", "dijo", "según").
    assert {claim.claimant.name for claim in spanish_claims if claim.claimant} & {
        "Yolanda Díaz",
        "Alberto Núñez Feijóo",
    }


def test_the_internal_api_and_the_admin_show_the_scorer(spanish_claims, editor, client):
    _, key = APIKey.objects.create_key(name="desk", user=editor, scope="read")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    body = api.get(f"/api/v1/claims/{spanish_claims[0].pk}/").json()
    assert body["scorer"] == "general"
    client.force_login(editor)
    page = client.get(f"/admin/claims/claim/{spanish_claims[0].pk}/change/").content.decode()
    assert "General model (language-independent)" in page
    listed = client.get("/admin/claims/claim/?scorer=general")
    assert listed.status_code == 200 and listed.content.count(b'class="action-select"') == len(spanish_claims)
    assert client.get("/admin/claims/claim/?scorer=en").content.count(b'class="action-select"') == 0

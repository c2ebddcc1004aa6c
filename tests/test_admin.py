"""The admin is the editors' and reviewers' workspace: every page renders, and
every changelist costs the same number of queries however many rows it lists."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import (
    APIKey,
    ChecklistTemplateTask,
    Claim,
    ClaimantContact,
    ClaimRepeat,
    ExternalReview,
    Note,
    RepeatQueueClaim,
    Requester,
    ReviewEvent,
    ServiceHeartbeat,
    Tag,
    Tip,
    TipReply,
    Verdict,
    WatchedSource,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

from .factories import (
    ArticleFactory,
    ClaimantFactory,
    ClaimFactory,
    EvidenceFactory,
    OutletFactory,
    ReviewEventFactory,
    UserFactory,
    VerdictFactory,
)

pytestmark = pytest.mark.django_db

CLAIMS_MODELS = [model for model in admin.site._registry if model._meta.app_label == "claims"]


def make_rows(default_scale, n: int) -> None:
    """n of every model, linked the way real data is."""
    rating = default_scale.ratings.get(label="False")
    for _ in range(n):
        article = ArticleFactory()
        author = UserFactory()
        claim = ClaimFactory(
            article=article, claimant=ClaimantFactory(), assignee=author, status=Claim.Status.PUBLISHED
        )
        EvidenceFactory(claim=claim, added_by=author)
        VerdictFactory(
            claim=claim,
            rating=rating,
            author=author,
            approver=UserFactory(),
            status=Verdict.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        ReviewEventFactory(claim=claim, actor=author)
        ClaimantContact.objects.create(claim=claim, method="email", contact_details="press office", recorded_by=author)
        ExternalReview.objects.create(
            url=f"https://factcheck.example/review/{claim.pk}",
            publisher_name="Other Desk",
            claim_reviewed=claim.text,
            rating_text="False",
            local_rating=rating,
            source="claimreview",
        )
        APIKey.objects.create_key(name=f"partner {claim.pk}", user=author, scope="read")
        ServiceHeartbeat.objects.create(service=f"worker-{claim.pk}", hostname="w1", seen_at=timezone.now())
        Note.objects.create(claim=claim, author=author, author_username=author.username, body="a note")
        ChecklistTemplateTask.objects.create(label=f"Step {claim.pk}")
        Tag.objects.create(name=f"topic {claim.pk}").claims.add(claim)
        subscription = WebhookSubscription.objects.create(
            url=f"https://partner{claim.pk}.example/hooks", events=["fact_check.published"], created_by=author
        )
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            claim=claim,
            event="fact_check.published",
            payload="{}",
            next_attempt_at=timezone.now(),
        )
        WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), status_code=500)
        requester = Requester.objects.create(channel="whatsapp", channel_id=f"1555{claim.pk:07d}")
        tip = Tip.objects.create(
            channel="whatsapp", text=claim.text, requester=requester, status="answered", answered_claim=claim
        )
        Tip.objects.create(channel="web", text="a rumour", status="linked", claim=claim)
        TipReply.objects.create(requester=requester, tip=tip, kind="answer", channel="whatsapp", body="checked")
        WatchedSource.objects.create(
            outlet=article.outlet or OutletFactory(), kind="feed", url=f"https://outlet{claim.pk}.example/feed.xml"
        )


def changelist_queries(client, model) -> int:
    url = reverse(f"admin:claims_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("model", CLAIMS_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_query_count_is_constant_as_rows_grow(client, superuser, default_scale, model):
    client.force_login(superuser)
    make_rows(default_scale, 2)
    few = changelist_queries(client, model)
    make_rows(default_scale, 15)
    many = changelist_queries(client, model)
    assert many == few, f"{model.__name__} changelist: {few} queries for 2 rows, {many} for 17"


def test_claim_changelist_query_budget(client, superuser, default_scale, django_assert_max_num_queries):
    client.force_login(superuser)
    make_rows(default_scale, 20)
    # 1 session, 2 the logged-in user, 3 the reviewers (for the "assignee"
    # filter), 4 count of the filtered claims (no full count:
    # show_full_result_count is off), 5 the page of claims joined to claimant,
    # article and assignee. Languages come from settings, not from the table.
    # 6 the tags (for the "tag" filter), 7 the unread count of the header's notification badge.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("admin:claims_claim_changelist"))
    assert response.status_code == 200
    assert response.content.count(b'class="field-short_text"') == 20


@pytest.mark.parametrize("model", CLAIMS_MODELS, ids=lambda m: m._meta.model_name)
def test_every_change_and_add_page_renders_for_a_superuser(client, superuser, default_scale, model):
    client.force_login(superuser)
    make_rows(default_scale, 1)
    if model is RepeatQueueClaim:
        # Its rows are candidates flagged by the matcher, which make_rows does not run.
        original = Claim.objects.get()
        ClaimRepeat.objects.create(
            claim=ClaimFactory(), original=original, score=0.9, rating_label="False", rated_at=timezone.now()
        )
    obj = model.objects.first()
    assert obj is not None
    change = client.get(reverse(f"admin:claims_{model._meta.model_name}_change", args=[obj.pk]))
    assert change.status_code == 200
    add = client.get(reverse(f"admin:claims_{model._meta.model_name}_add"))
    # The audit trail, heartbeats, imported reviews and webhook deliveries have no add page: code writes them.
    # Nor have verdicts: a claim's one draft is started on the claim's page or through the API.
    # Notes are written on their claim's or article's page.
    # Nor tips: readers send them, through the form, the API or a channel.
    # The Repeats queue lists claims the matcher flagged.
    no_add_page = (ReviewEvent, ServiceHeartbeat, ExternalReview, WebhookDelivery, Verdict, Note, Tip, RepeatQueueClaim)
    assert add.status_code == (403 if model in no_add_page else 200)


def test_claim_page_shows_evidence_verdict_revisions_and_history(client, superuser, default_scale):
    client.force_login(superuser)
    make_rows(default_scale, 1)
    claim = Claim.objects.get()
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    content = response.content.decode()
    assert claim.evidence.get().url in content
    assert "published verdict revisions" in content.lower()
    assert claim.verdicts.get().headline in content
    assert "audit history" in content.lower()
    assert "claims.claim.accepted" in content


def test_article_page_lists_its_claims_inline(client, superuser):
    client.force_login(superuser)
    article = ArticleFactory()
    ClaimFactory(article=article, text="Unemployment fell by 3 percent in 2025 according to the minister.")
    response = client.get(reverse("admin:claims_article_change", args=[article.pk]))
    assert "Unemployment fell by 3 percent in 2025 according to the minister." in response.content.decode()


def test_audit_trail_is_read_only_in_the_admin(client, superuser):
    client.force_login(superuser)
    event = ReviewEventFactory(note="original")
    change_url = reverse("admin:claims_reviewevent_change", args=[event.pk])
    response = client.post(change_url, {"note": "rewritten", "action": "x"})
    assert response.status_code == 403
    response = client.post(reverse("admin:claims_reviewevent_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.note == "original"


def test_published_verdict_is_read_only_in_the_admin(client, superuser, default_scale):
    client.force_login(superuser)
    make_rows(default_scale, 1)
    verdict = Verdict.objects.get()
    response = client.get(reverse("admin:claims_verdict_change", args=[verdict.pk]))
    assert b'name="headline"' not in response.content


def test_rating_in_use_cannot_be_deleted_from_the_admin(client, superuser, default_scale):
    client.force_login(superuser)
    make_rows(default_scale, 1)
    rating = Verdict.objects.get().rating
    response = client.post(reverse("admin:claims_rating_delete", args=[rating.pk]), {"post": "yes"})
    assert response.status_code == 200
    # Refused: verdicts are never deleted (no one holds that right), and they protect their rating.
    assert b"Cannot delete rating" in response.content
    assert b"verdict" in response.content
    rating.refresh_from_db()


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_role_members_can_open_the_workspace(client, request, role, default_scale):
    user = request.getfixturevalue(role)
    client.force_login(user)
    make_rows(default_scale, 1)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:claims_claim_changelist")).status_code == 200
    claim = Claim.objects.get()
    assert client.get(reverse("admin:claims_claim_change", args=[claim.pk])).status_code == 200


def test_reviewer_cannot_edit_the_rating_scale(client, reviewer, default_scale):
    client.force_login(reviewer)
    url = reverse("admin:claims_ratingscale_change", args=[default_scale.pk])
    response = client.post(url, {"name": "Hacked", "version": 1})
    assert response.status_code == 403
    default_scale.refresh_from_db()
    assert default_scale.name == "Standard"

from __future__ import annotations

import hashlib
import socket

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from claims.management.commands.demo import SOURCE_PAGES
from claims.models import (
    Article,
    ChecklistTemplateTask,
    Claim,
    Claimant,
    ClaimTask,
    Evidence,
    EvidenceCheck,
    Note,
    Notification,
    Outlet,
    Rating,
    RatingScale,
    ReviewEvent,
    Tag,
    Verdict,
)
from claims.normalize import content_hash

pytestmark = pytest.mark.django_db

MODELS = [Outlet, Article, Claimant, Claim, Evidence, RatingScale, Rating, Verdict, ReviewEvent]
MODELS += [ChecklistTemplateTask, ClaimTask, Note, Notification, Tag]


def snapshot():
    User = get_user_model()  # noqa: N806
    rows = {model.__name__: sorted(map(repr, model.objects.values())) for model in MODELS}
    rows["users"] = sorted(User.objects.values_list("username", "is_staff", "is_superuser", "password"))
    rows["groups"] = sorted(User.objects.values_list("username", "groups__name"))
    return rows


def test_demo_twice_gives_the_same_data_as_once(settings, capsys):
    settings.DEBUG = True
    call_command("demo")
    once = snapshot()
    call_command("demo")
    assert snapshot() == once
    output = capsys.readouterr().out
    assert "editor" in output and "demo-editor-pass" in output


def test_demo_creates_a_sample_article_with_claims_across_statuses(settings):
    settings.DEBUG = True
    call_command("demo")
    article = Article.objects.get()
    statuses = set(article.claims.values_list("status", flat=True))
    assert {"candidate", "accepted", "dismissed", "in_research", "published"} <= statuses
    published = Verdict.objects.published().get()
    assert published.author.username == "reviewer" and published.approver.username == "editor"
    assert published.claim.evidence.count() >= 2
    for claim in article.claims.all():
        assert article.text[claim.span_start : claim.span_end] == claim.sentence


def test_demo_users_can_log_in_and_see_the_sample(settings, client):
    settings.DEBUG = True
    call_command("demo")
    for username, password in [("editor", "demo-editor-pass"), ("reviewer", "demo-reviewer-pass")]:
        assert client.login(username=username, password=password)
        response = client.get("/admin/claims/claim/")
        assert response.status_code == 200
        assert b"Bus ridership in Riverton has doubled" in response.content
        client.logout()


def test_demo_is_refused_unless_debug_is_on(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("demo")
    assert not get_user_model().objects.filter(username="editor").exists()


def test_demo_archives_its_sources_from_local_text_without_resolving_a_name(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    # As `make run` has it: no broker, the outbox runs each task in this process after commit.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    lookups: list[str] = []

    def getaddrinfo(host, *args, **kwargs):
        lookups.append(host)
        raise AssertionError(f"the demo looked up {host}")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    # Run what the commit queues (the sources' snapshot tasks) as `make run` does, in-process.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("demo")

    assert callbacks, "attaching the demo's sources queued no snapshot task"
    assert lookups == []
    sources = list(Evidence.objects.order_by("pk"))
    assert len(sources) == len(SOURCE_PAGES)
    for source in sources:
        body = SOURCE_PAGES[source.url].encode()
        assert source.snapshot_sha256 == hashlib.sha256(body).hexdigest()
        assert source.snapshot_text == SOURCE_PAGES[source.url].strip()
        assert source.snapshot_text_sha256 == content_hash(source.snapshot_text)
        assert source.snapshot_http_status == 200
        assert source.snapshot_final_url == source.url
        assert source.snapshot_fetched_at is not None
        assert source.snapshot_error == ""
        assert source.link_status == Evidence.LinkStatus.OK
        assert source.checks.get().kind == EvidenceCheck.Kind.SNAPSHOT


def test_demo_has_notes_a_checklist_tags_and_notifications(settings):
    settings.DEBUG = True
    call_command("demo")
    assert ChecklistTemplateTask.objects.filter(required=True).count() == 1
    cost = Claim.objects.get(status="published")
    assert cost.tasks.count() == 3 and not cost.tasks.filter(checked_at=None).exists()
    assert Note.objects.filter(body__contains="@editor").exists()
    assert set(Tag.objects.values_list("name", "public")) == {("transit", True), ("city budget", False)}
    reviewer_sees = set(Notification.objects.filter(recipient__username="reviewer").values_list("verb", flat=True))
    assert {"assigned", "task_assigned", "mentioned", "published"} <= reviewer_sees
    assert Notification.objects.filter(recipient__username="editor", verb="mentioned").exists()

"""Adding articles from the admin and the command line."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.models import Article, Claim, OutboxMessage

from .factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db

PASTED = (
    "Unemployment in Riverton fell by 3.1 percent last year, the lowest rate since 1969, Mayor Dana Whitfield said.\n\n"
    "The city spent $14 million on free buses in 2025, according to the transit authority.\n\n"
    "Thank you all for coming."
)


@pytest.fixture
def in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


# --- Admin ----------------------------------------------------------------------


def test_editor_adds_an_article_by_pasting_text_and_sees_its_claims(
    client, editor, in_process, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:claims_article_add"), {"url": "", "title": "Budget story", "text": PASTED}
        )
    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.title, article.submitted_by) == ("Budget story", editor)
    assert article.status == Article.Status.DONE
    assert article.claims.filter(sentence__contains="3.1 percent").exists()
    page = client.get(reverse("admin:claims_article_change", args=[article.pk])).content.decode()
    assert "<mark" in page and "Dana Whitfield" in page


def test_adding_by_url_only_queues_the_fetch_when_a_broker_runs(client, editor, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client.force_login(editor)
    response = client.post(
        reverse("admin:claims_article_add"), {"url": "https://news.example/story", "title": "", "text": ""}
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.status == Article.Status.PENDING
    assert OutboxMessage.objects.get().kwargs == {"article_id": article.pk}


def test_adding_with_neither_url_nor_text_is_refused_with_a_message(client, editor):
    client.force_login(editor)
    response = client.post(reverse("admin:claims_article_add"), {"url": "", "title": "x", "text": ""})
    assert response.status_code == 200
    assert b"URL (it will be fetched) or paste its text" in response.content
    assert not Article.objects.exists()


def test_adding_a_url_already_in_the_tracker_is_refused_naming_it(client, editor):
    ArticleFactory(url="https://news.example/story")
    client.force_login(editor)
    response = client.post(reverse("admin:claims_article_add"), {"url": "https://news.example/story", "text": ""})
    assert response.status_code == 200
    assert b"already in the tracker" in response.content
    assert Article.objects.count() == 1


def test_highlighted_text_escapes_article_and_claim_content(client, editor):
    text = "Intro <script>alert(1)</script>. The <b>minister</b> said unemployment fell by 3 percent."
    article = ArticleFactory(text=text)
    sentence = "The <b>minister</b> said unemployment fell by 3 percent."
    start = text.index(sentence)
    ClaimFactory(article=article, sentence=sentence, span_start=start, span_end=start + len(sentence))
    client.force_login(editor)
    page = client.get(reverse("admin:claims_article_change", args=[article.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark" in page and "&lt;b&gt;minister&lt;/b&gt;" in page


def test_rerun_extraction_action_creates_no_duplicates(client, editor, in_process, django_capture_on_commit_callbacks):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:claims_article_add"), {"url": "", "title": "Budget", "text": PASTED})
    article = Article.objects.get()
    before = Claim.objects.count()
    assert before > 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:claims_article_changelist"), {"action": "rerun_extraction", "_selected_action": [article.pk]}
        )
    assert response.status_code == 302
    assert Claim.objects.count() == before
    article.refresh_from_db()
    assert article.status == Article.Status.DONE


# --- CLI --------------------------------------------------------------------------


def test_extract_claims_prints_candidates_as_json_and_writes_nothing(shared_data):
    out = StringIO()
    call_command(
        "extract_claims", str(shared_data / "seed" / "000_421e45027504a804.txt"), "--format", "json", stdout=out
    )
    candidates = json.loads(out.getvalue())
    assert candidates
    text = (shared_data / "seed" / "000_421e45027504a804.txt").read_text()
    for c in candidates:
        assert set(c) >= {"text", "sentence", "start", "end", "score", "claimant"}
        assert text[c["start"] : c["end"]] == c["sentence"]
    assert any("no avail" in c["sentence"] for c in candidates[:3])
    assert not Article.objects.exists() and not Claim.objects.exists()


def test_extract_claims_refuses_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        call_command("extract_claims", "/nonexistent/article.html")


def test_ingest_sync_json_reports_each_article(shared_data, tmp_path):
    pasted = tmp_path / "pasted.txt"
    pasted.write_text(PASTED)
    out, err = StringIO(), StringIO()
    call_command(
        "ingest",
        str(shared_data / "seed" / "000_421e45027504a804.html"),
        str(pasted),
        "--sync",
        "--format",
        "json",
        stdout=out,
        stderr=err,
    )
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["status"] for line in lines] == ["done", "done"]
    assert lines[0]["title"].startswith("NATO: Ukraine")
    assert all(line["claims"] > 0 for line in lines)
    assert set(lines[0]) >= {"article_id", "url", "title", "status", "claims"}
    assert "2/2" in err.getvalue()  # the progress bar
    # An uploaded page has no URL: its outlet comes from the site name, and
    # the outlet's own statements are attributed to it.
    seed = Article.objects.get(pk=lines[0]["article_id"])
    assert seed.outlet.name == "Press TV"
    assert Claim.objects.get(article=seed, sentence__contains="no avail").claimant.name == "Press TV"
    # Again: recognised, nothing new.
    again = StringIO()
    call_command("ingest", str(pasted), "--sync", "--format", "json", stdout=again)
    assert json.loads(again.getvalue())["article_id"] == lines[1]["article_id"]
    assert Article.objects.count() == 2


def test_ingest_reports_bad_sources_and_exits_non_zero(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 source"):
        call_command("ingest", "ftp://example.org/x", stderr=err)
    assert "only http and https" in err.getvalue() or "no such file" in err.getvalue()


def test_ingest_sync_with_a_broker_extracts_a_batch_in_this_process(tmp_path, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    paths = []
    for i in range(3):
        path = tmp_path / f"story{i}.txt"
        path.write_text(PASTED.replace("3.1", f"{i + 2}.1").replace("$14", f"${i + 20}"))
        paths.append(str(path))
    out = StringIO()
    call_command("ingest", *paths, "--sync", "--format", "json", stdout=out, stderr=StringIO())
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["status"] for line in lines] == ["done"] * 3
    assert all(line["claims"] > 0 for line in lines)
    # The queued messages stay for the relay; delivered later, they change nothing.
    from claims.intake import ingestion

    extractions = OutboxMessage.objects.filter(sent_at__isnull=True, task=ingestion.EXTRACT_TASK)
    assert extractions.count() == 3
    # and one matching of the whole batch's candidates, for the triage queue
    (matching,) = OutboxMessage.objects.exclude(task=ingestion.EXTRACT_TASK)
    assert matching.kwargs["claim_ids"] == sorted(Claim.objects.values_list("pk", flat=True))
    before = Claim.objects.count()
    for message in extractions:
        ingestion.extract(message.kwargs["article_id"])
    assert Claim.objects.count() == before

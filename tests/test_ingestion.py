"""Articles in: submission, the outbox, fetching and extraction, in-process."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError

from claims import outbox
from claims.intake import ingestion
from claims.models import Article, Claim, OutboxMessage

from .factories import ArticleFactory
from .httpserver import LocalHTTPServer

pytestmark = pytest.mark.django_db

PASTED = (
    "Riverton's mayor spoke on Tuesday.\n\n"
    "Unemployment in Riverton fell by 3.1 percent last year, the lowest rate since 1969, Mayor Dana Whitfield said.\n\n"
    "The city spent $14 million on free buses in 2025, according to the transit authority.\n\n"
    "Thank you all for coming."
)


@pytest.fixture
def broker_configured(settings):
    """As in production: a broker exists, so nothing runs in-process."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def site(settings):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    with LocalHTTPServer() as server:
        yield server


def test_submitting_text_saves_the_article_and_records_its_work_in_the_same_transaction(broker_configured):
    submission = ingestion.submit_article(text=PASTED)
    assert submission.created
    article = submission.article
    # The text is here already: nothing to fetch, extraction is next.
    assert article.status == Article.Status.EXTRACTING
    assert article.language == "en"
    message = OutboxMessage.objects.get()
    assert (message.task, message.kwargs, message.sent_at) == (ingestion.EXTRACT_TASK, {"article_id": article.pk}, None)


def test_submitting_a_url_queues_the_fetch(broker_configured):
    article = ingestion.submit_article(url="https://news.example/story").article
    assert article.status == Article.Status.PENDING
    message = OutboxMessage.objects.get()
    assert (message.task, message.kwargs) == (ingestion.INGEST_TASK, {"article_id": article.pk})


def test_a_failed_submission_leaves_no_outbox_row(broker_configured):
    ArticleFactory(url="https://news.example/taken")
    with pytest.raises(ValidationError):
        ingestion.submit_article(url="ftp://news.example/x")
    assert not OutboxMessage.objects.exists()


def test_the_same_url_or_text_is_recognised_not_duplicated(broker_configured):
    first = ingestion.submit_article(url="https://News.example/story?utm_source=x").article
    again = ingestion.submit_article(url="https://news.example/story#top")
    assert (again.article, again.created, again.matched_by) == (first, False, "url")
    pasted = ingestion.submit_article(text=PASTED).article
    same_text = ingestion.submit_article(text=PASTED.replace("\n\n", "\n").upper())
    assert (same_text.article, same_text.created, same_text.matched_by) == (pasted, False, "text")
    assert Article.objects.count() == 2
    assert OutboxMessage.objects.count() == 2


def test_submission_needs_a_url_or_text():
    with pytest.raises(ValidationError, match="URL or paste its text"):
        ingestion.submit_article(url="", text="   ")


def test_pasted_text_is_extracted_in_process_without_a_broker(in_process, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = ingestion.submit_article(text=PASTED).article
    article.refresh_from_db()
    assert article.status == Article.Status.DONE
    texts = list(article.claims.values_list("sentence", flat=True))
    assert any("3.1 percent" in text for text in texts)
    assert not any("Thank you" in text for text in texts)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    claim = article.claims.get(sentence__contains="3.1 percent")
    assert claim.claimant.name == "Dana Whitfield"
    assert article.text[claim.span_start : claim.span_end] == claim.sentence


def test_extracting_twice_creates_no_new_claims(in_process, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = ingestion.submit_article(text=PASTED).article
    before = sorted(Claim.objects.values_list("pk", "span_start", "span_end"))
    assert before
    with django_capture_on_commit_callbacks(execute=True):
        assert ingestion.rerun_extraction(article.pk)
    assert sorted(Claim.objects.values_list("pk", "span_start", "span_end")) == before
    assert ingestion.extract(article.pk) == 0  # a duplicate delivery after it is done


def test_ingesting_twice_fetches_once(broker_configured, site):
    @site.route("/story")
    def story(request):
        request.reply(200, b"<html><body><article><p>" + PASTED.encode() + b"</p></article></body></html>")

    article = ingestion.submit_article(url=site.url("/story")).article
    assert ingestion.ingest(article.pk) == "fetched"
    assert ingestion.ingest(article.pk) == "already ingested"
    assert len(site.requests) == 1
    assert OutboxMessage.objects.filter(task=ingestion.EXTRACT_TASK).count() == 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/missing", "answered 404 Not Found"),
        ("/pdf", "application/pdf"),
        ("/huge", "more than the limit of 50 KB"),
        ("/slow", "stopped answering for more than 1 seconds"),
    ],
)
def test_fetch_failures_are_stored_on_the_article(broker_configured, site, settings, path, expected):
    settings.FACTCHECK_FETCH_MAX_BYTES = 50_000
    settings.FACTCHECK_FETCH_READ_TIMEOUT = 1

    @site.route("/pdf")
    def pdf(request):
        request.reply(200, b"%PDF-1.4", content_type="application/pdf")

    @site.route("/huge")
    def huge(request):
        request.reply(200, b"<p>" + b"x" * 200_000 + b"</p>")

    @site.route("/slow")
    def slow(request):
        time.sleep(2.5)
        request.reply(200, b"<p>late</p>")

    article = ingestion.submit_article(url=site.url(path)).article
    assert ingestion.ingest(article.pk) == "failed"
    article.refresh_from_db()
    assert article.status == Article.Status.FAILED
    assert expected in article.error


def test_private_address_is_refused_and_stored(broker_configured):
    article = ingestion.submit_article(url="http://169.254.169.254/latest/meta-data/").article
    assert ingestion.ingest(article.pk) == "failed"
    article.refresh_from_db()
    assert "169.254.169.254" in article.error


def test_transient_failure_is_raised_for_a_retry_until_the_last_attempt(broker_configured, site):
    from claims.fetching import FetchError

    @site.route("/busy")
    def busy(request):
        request.reply(503, b"busy", content_type="text/plain")

    article = ingestion.submit_article(url=site.url("/busy")).article
    with pytest.raises(FetchError):
        ingestion.ingest(article.pk, final_attempt=False)
    article.refresh_from_db()
    assert article.status == Article.Status.FETCHING and article.error == ""
    assert ingestion.ingest(article.pk, final_attempt=True) == "failed"
    article.refresh_from_db()
    assert article.status == Article.Status.FAILED and "503" in article.error
    assert article.fetch_attempts == 2


def test_same_text_at_a_second_url_points_at_the_first(broker_configured, site):
    page = b"<html><body><article><p>" + PASTED.encode() + b"</p></article></body></html>"

    @site.route("/a")
    def a(request):
        request.reply(200, page)

    @site.route("/b")
    def b(request):
        request.reply(200, page)

    first = ingestion.submit_article(url=site.url("/a")).article
    second = ingestion.submit_article(url=site.url("/b")).article
    assert ingestion.ingest(first.pk) == "fetched"
    assert ingestion.ingest(second.pk) == "same text"
    second.refresh_from_db()
    assert (second.status, second.same_text_as) == (Article.Status.SAME_TEXT, first)


def test_relay_publishes_due_messages_and_marks_them_sent(broker_configured):
    ingestion.submit_article(text=PASTED)
    published = []
    result = outbox.relay(publish=published.append)
    assert result.sent == 1 and len(published) == 1
    assert OutboxMessage.objects.get().sent_at is not None
    assert outbox.relay(publish=published.append).sent == 0


def test_relay_keeps_messages_when_the_broker_fails(broker_configured):
    ingestion.submit_article(text=PASTED)

    def broker_down(message):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    result = outbox.relay(publish=broker_down)
    assert (result.sent, result.failed) == (0, 1)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1
    assert "Connection refused" in message.last_error
    assert message.available_at > message.created_at

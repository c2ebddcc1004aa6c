"""No stuck work after a crash: the broker's visibility timeout, and the sweep
(claims.recovery) that queues again what a lost worker left in a running state.

The sweep's clock is explicit (``now=``) in the unit tests; the crash test
kills a real worker mid-fetch and lets the sweep and a fresh worker finish.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from claims import outbox, recovery, tasks
from claims.evidence.snapshots import SNAPSHOT_TASK, HostBusy
from claims.extraction.candidates import extract_candidates_many
from claims.intake import ingestion
from claims.matching.triage import MATCH_TASK
from claims.models import Article, Claim, Evidence, OutboxMessage, Tip, WebhookAttempt, WebhookDelivery
from claims.publishing import webhooks
from claims.review.roles import EDITORS, REVIEWERS
from claims.tiplines import tips

from .factories import ArticleFactory, EvidenceFactory, member_of
from .httpserver import LocalHTTPServer
from .test_settings import load_settings
from .test_webhooks import Receiver, publish, subscribe
from .workers import celery_worker, kill_worker, require_broker, unique_prefix

pytestmark = pytest.mark.django_db

A = Article.Status
STUCK_AFTER = 60
PASTED = (
    "Riverton's mayor spoke on Tuesday.\n\n"
    "Unemployment in Riverton fell by 3.1 percent last year, the lowest rate since 1969, Mayor Dana Whitfield said.\n\n"
    "The city spent $14 million on free buses in 2025, according to the transit authority.\n\n"
    "Thank you all for coming."
)
PAGE = (
    "<!doctype html><html><head><title>Riverton jobs</title></head><body><article>"
    + "".join(f"<p>{paragraph}</p>" for paragraph in PASTED.split("\n\n"))
    + "</article></body></html>"
).encode()


@pytest.fixture
def broker_configured(settings):
    """As in production: a broker exists, so queued work waits in the outbox."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_STUCK_AFTER_SECONDS = STUCK_AFTER


@pytest.fixture
def site(settings, urllib3_connections):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    with LocalHTTPServer() as server:

        @server.route("/story")
        def story(request):
            request.reply(200, PAGE)

        yield server


def after(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def rows(task: str, **kwargs) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.filter(task=task).order_by("pk") if m.kwargs == kwargs]


def mark_outbox_sent() -> None:
    """As the relay does once it has handed the rows to the broker."""
    OutboxMessage.objects.filter(sent_at__isnull=True).update(sent_at=timezone.now())


def expected_claims(article: Article) -> int:
    """How many claims one extraction of the article's text gives."""
    return len(extract_candidates_many([(article.text, article.language or "en")])[0])


# --- Settings -------------------------------------------------------------------


def test_visibility_timeout_is_minutes_and_outlasts_every_task(settings):
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    # The longest hard limit, the longest retry countdown, a minute: minutes, not Redis's hour.
    assert visibility == settings.FACTCHECK_LONGEST_TASK_SECONDS + settings.FACTCHECK_RETRY_COUNTDOWN_MAX + 60
    assert visibility <= 10 * 60
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    from factcheck.celery import app

    ours = {name: task for name, task in app.tasks.items() if name.startswith("claims.")}
    assert "claims.tasks.requeue_stuck_work" in ours
    for name, task in ours.items():
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        # A running task (or one waiting out its retry countdown) is never handed to a second worker.
        assert limit <= settings.FACTCHECK_LONGEST_TASK_SECONDS, name
        assert limit + settings.FACTCHECK_RETRY_COUNTDOWN_MAX < visibility, name
    assert settings.FACTCHECK_STUCK_AFTER_SECONDS >= settings.FACTCHECK_LONGEST_TASK_SECONDS


@pytest.mark.parametrize(
    ("env", "visibility", "stuck_after"),
    [
        ({}, 300, 300),
        ({"CELERY_TASK_TIME_LIMIT": "600"}, 720, 720),
        # The fetch and extraction tasks keep their own 150 s limit.
        ({"CELERY_TASK_TIME_LIMIT": "30"}, 270, 270),
        ({"FACTCHECK_STUCK_AFTER_SECONDS": "2"}, 300, 2),
    ],
)
def test_visibility_timeout_and_stuck_threshold_follow_the_time_limits(monkeypatch, env, visibility, stuck_after):
    loaded = load_settings(monkeypatch, DJANGO_DEBUG="1", **env)
    assert loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] == visibility
    assert loaded["FACTCHECK_STUCK_AFTER_SECONDS"] == stuck_after


@pytest.mark.parametrize(("value", "message"), [("soon", "whole number"), ("0", "at least 1")])
def test_a_bad_stuck_threshold_is_refused_naming_the_variable(monkeypatch, value, message):
    with pytest.raises(ImproperlyConfigured, match=f"FACTCHECK_STUCK_AFTER_SECONDS must be .*{message}"):
        load_settings(monkeypatch, DJANGO_DEBUG="1", FACTCHECK_STUCK_AFTER_SECONDS=value)


def test_beat_runs_the_sweep_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["requeue-stuck-work"]
    assert (entry["task"], entry["schedule"]) == ("claims.tasks.requeue_stuck_work", 60.0)


def test_no_retry_countdown_outlasts_what_the_visibility_timeout_allows(settings, monkeypatch):
    cap = settings.FACTCHECK_RETRY_COUNTDOWN_MAX
    assert all(1 <= tasks._backoff(retries) <= cap for retries in range(tasks.FETCH_MAX_RETRIES + 1) for _ in range(50))

    countdowns = []

    def retry(*args, countdown, **kwargs):
        countdowns.append(countdown)
        return RuntimeError("retried")

    def host_busy(evidence_id, requested_at=None):
        raise HostBusy("slow.example", wait=3000.0)

    monkeypatch.setattr("claims.evidence.snapshots.check_link", host_busy)
    monkeypatch.setattr(tasks.check_evidence_link, "retry", retry)
    with pytest.raises(RuntimeError, match="retried"):
        tasks.check_evidence_link(1)
    assert countdowns == [cap]


# --- Articles ---------------------------------------------------------------------


def aged(article: Article, seconds: float) -> Article:
    """The article as if its last change was ``seconds`` ago."""
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now() - dt.timedelta(seconds=seconds))
    return article


def test_article_stuck_fetching_goes_back_to_pending_with_its_fetch_queued_once(broker_configured):
    stuck = aged(ArticleFactory(status=A.FETCHING, text="", fetch_attempts=1), STUCK_AFTER + 1)
    # Within the threshold a fetch may still be running, or waiting out a retry's countdown.
    running = aged(ArticleFactory(status=A.FETCHING, text="", fetch_attempts=2), STUCK_AFTER - 10)

    assert recovery.requeue_stuck_work().fetches == [stuck.pk]
    stuck.refresh_from_db()
    assert stuck.status == A.PENDING
    assert stuck.error.startswith("No result 60 s after it started or was queued")
    assert len(rows(ingestion.INGEST_TASK, article_id=stuck.pk)) == 1
    running.refresh_from_db()
    assert (running.status, running.error) == (A.FETCHING, "")
    assert not rows(ingestion.INGEST_TASK, article_id=running.pk)

    # Twice, or while that row waits for the relay: nothing more. Pending, it is
    # the queue's again; a sweep passes over it however long it waits there.
    assert recovery.requeue_stuck_work().total == 0
    mark_outbox_sent()
    assert recovery.requeue_stuck_work(now=after(10 * STUCK_AFTER)).fetches == [running.pk]
    assert len(rows(ingestion.INGEST_TASK, article_id=stuck.pk)) == 1


def test_article_fetch_lost_a_second_time_is_left_with_the_note(broker_configured):
    article = aged(ArticleFactory(status=A.FETCHING, text=""), STUCK_AFTER + 1)
    assert recovery.requeue_stuck_work().fetches == [article.pk]
    mark_outbox_sent()
    # The copy is delivered, claims the article, and its worker is lost too.
    Article.objects.filter(pk=article.pk).update(status=A.FETCHING)
    assert recovery.requeue_stuck_work(now=after(10 * STUCK_AFTER)).total == 0
    article.refresh_from_db()
    assert article.status == A.FETCHING and "queued again" in article.error


def test_article_stuck_extracting_is_queued_again_once(broker_configured):
    stuck = ingestion.submit_article(text=PASTED).article
    mark_outbox_sent()  # handed to the broker, then the worker was lost
    assert recovery.requeue_stuck_work(now=after(STUCK_AFTER - 5)).total == 0

    later = after(STUCK_AFTER + 1)
    assert recovery.requeue_stuck_work(now=later).extractions == [stuck.pk]
    assert recovery.requeue_stuck_work(now=later).total == 0
    stuck.refresh_from_db()
    assert stuck.status == A.EXTRACTING and "queued again" in stuck.error
    original, again = rows(ingestion.EXTRACT_TASK, article_id=stuck.pk)
    assert original.sent_at is not None and again.sent_at is None

    # Queued again and lost again: it waits for a person, with the note saying why.
    mark_outbox_sent()
    assert recovery.requeue_stuck_work(now=after(5 * STUCK_AFTER)).total == 0
    assert len(rows(ingestion.EXTRACT_TASK, article_id=stuck.pk)) == 2


def new_tip(text: str, seconds_ago: float) -> Tip:
    """A reader's tip stored that long ago, its processing queued (as ``tips.receive`` does)."""
    tip = Tip.objects.create(
        channel="whatsapp", text=text, received_at=timezone.now() - dt.timedelta(seconds=seconds_ago)
    )
    outbox.enqueue(tips.PROCESS_TASK, queue="extract", tip_id=tip.pk)
    return tip


def test_a_tip_whose_processing_was_lost_is_queued_again_once_and_processed(broker_configured):
    lost = new_tip("Is it true that unemployment in Riverton fell by 3.1 percent last year?", STUCK_AFTER + 1)
    recent = new_tip("Did the city spend $14 million on free buses in 2025?", STUCK_AFTER - 10)
    waiting = new_tip("Is the river bridge closing for two years?", 10 * STUCK_AFTER)
    # lost's and recent's messages went to the broker (a worker died, or the task failed:
    # a deadlock's victim, the database gone); waiting's row is still in the outbox.
    OutboxMessage.objects.filter(task=tips.PROCESS_TASK).exclude(kwargs__tip_id=waiting.pk).update(
        sent_at=timezone.now()
    )

    assert recovery.requeue_stuck_work().tips == [lost.pk]
    assert recovery.requeue_stuck_work().total == 0  # once, and not while its copy waits
    lost.refresh_from_db()
    assert lost.status == Tip.Status.NEW and lost.processing_error.startswith("No result 60 s after")
    assert len(rows(tips.PROCESS_TASK, tip_id=lost.pk)) == 2
    assert len(rows(tips.PROCESS_TASK, tip_id=waiting.pk)) == 1

    # The copy runs: the tip is processed, once, and the note goes.
    assert tasks.process_tip(lost.pk) == Tip.Status.QUEUED
    assert tasks.process_tip(lost.pk) == Tip.Status.QUEUED
    lost.refresh_from_db()
    assert lost.processing_error == "" and lost.claim is not None
    assert Claim.objects.filter(text__contains="3.1 percent").count() == 1

    # Lost a second time, a tip waits for a person, the note saying why (the tips inbox shows it).
    recent_row = rows(tips.PROCESS_TASK, tip_id=recent.pk)
    assert recovery.requeue_stuck_work(now=after(STUCK_AFTER)).tips == [recent.pk]
    mark_outbox_sent()  # waiting's first message too: now it is lost as well, recent is not queued again
    assert recovery.requeue_stuck_work(now=after(10 * STUCK_AFTER)).tips == [waiting.pk]
    assert len(rows(tips.PROCESS_TASK, tip_id=recent.pk)) == len(recent_row) + 1
    recent.refresh_from_db()
    assert recent.status == Tip.Status.NEW and "queued again" in recent.processing_error


def test_work_waiting_in_the_outbox_is_not_queued_twice(broker_configured):
    """A broker outage: the rows are unsent, nothing is lost, nothing to add."""
    waiting = ingestion.submit_article(text=PASTED).article
    fetching = ArticleFactory(status=A.FETCHING, text="")
    outbox.enqueue(ingestion.INGEST_TASK, queue="fetch", article_id=fetching.pk)
    before = OutboxMessage.objects.count()

    assert recovery.requeue_stuck_work(now=after(10 * STUCK_AFTER)).total == 0
    assert OutboxMessage.objects.count() == before
    waiting.refresh_from_db()
    assert waiting.error == ""


@pytest.mark.parametrize("status", [A.PENDING, A.DONE, A.FAILED, A.SAME_TEXT])
def test_articles_at_rest_are_left_alone(broker_configured, status):
    extra = {"error": "The page answered 404 Not Found."} if status == A.FAILED else {}
    if status == A.SAME_TEXT:
        extra = {"same_text_as": ArticleFactory(), "text": ""}
    ArticleFactory(status=status, **extra)
    assert recovery.requeue_stuck_work(now=after(10 * STUCK_AFTER)).total == 0


def test_requeued_fetch_and_the_redelivered_original_fetch_and_extract_once(broker_configured, site):
    article = ingestion.submit_article(url=site.url("/story")).article
    mark_outbox_sent()
    # The worker claimed it (fetching), then was killed before answering.
    Article.objects.filter(pk=article.pk).update(status=A.FETCHING, fetch_attempts=1)

    assert recovery.requeue_stuck_work(now=after(STUCK_AFTER + 1)).fetches == [article.pk]
    # The broker hands the original message back after its visibility timeout,
    # and the sweep's copy is delivered too: both run, in either order.
    assert tasks.ingest_article.apply(kwargs={"article_id": article.pk}).get() == "fetched"
    assert tasks.ingest_article.apply(kwargs={"article_id": article.pk}).get() == "already ingested"
    assert len(site.requests) == 1

    [extraction] = rows(ingestion.EXTRACT_TASK, article_id=article.pk)
    created = tasks.extract_article_claims.apply(kwargs=extraction.kwargs).get()
    assert tasks.extract_article_claims.apply(kwargs=extraction.kwargs).get() == 0
    article.refresh_from_db()
    assert (article.status, article.error) == (A.DONE, "")
    assert created == article.claims.count() == expected_claims(article) > 0
    assert OutboxMessage.objects.filter(task=MATCH_TASK).count() == 1


def test_requeued_extraction_runs_once_and_clears_the_note(broker_configured):
    article = ingestion.submit_article(text=PASTED).article
    mark_outbox_sent()
    assert recovery.requeue_stuck_work(now=after(STUCK_AFTER + 1)).extractions == [article.pk]

    # The original (redelivered) and the sweep's copy.
    created = tasks.extract_article_claims.apply(kwargs={"article_id": article.pk}).get()
    assert tasks.extract_article_claims.apply(kwargs={"article_id": article.pk}).get() == 0
    article.refresh_from_db()
    assert (article.status, article.error) == (A.DONE, "")
    spans = list(article.claims.values_list("span_start", "span_end"))
    assert created == len(spans) == len(set(spans)) == expected_claims(article) > 0
    assert OutboxMessage.objects.filter(task=MATCH_TASK).count() == 1


# --- Evidence snapshots -----------------------------------------------------------


def added_earlier(evidence: Evidence, seconds: float) -> Evidence:
    Evidence.objects.filter(pk=evidence.pk).update(added_at=timezone.now() - dt.timedelta(seconds=seconds))
    return evidence


def test_snapshot_never_taken_is_queued_again_once(broker_configured):
    stuck = added_earlier(EvidenceFactory(), STUCK_AFTER + 1)
    fresh = added_earlier(EvidenceFactory(), STUCK_AFTER - 10)
    mark_outbox_sent()  # both handed to the broker; the worker with the first was lost

    assert recovery.requeue_stuck_work().snapshots == [stuck.pk]
    assert recovery.requeue_stuck_work().total == 0
    assert len(rows(SNAPSHOT_TASK, evidence_id=stuck.pk)) == 2
    assert len(rows(SNAPSHOT_TASK, evidence_id=fresh.pk)) == 1
    stuck.refresh_from_db()
    assert stuck.link_status == Evidence.LinkStatus.UNCHECKED and "queued again" in stuck.snapshot_error

    # Lost a second time: the note stays, nothing loops.
    mark_outbox_sent()
    assert recovery.requeue_stuck_work(now=after(10 * STUCK_AFTER)).snapshots == [fresh.pk]
    assert len(rows(SNAPSHOT_TASK, evidence_id=stuck.pk)) == 2


def test_snapshots_waiting_retrying_or_taken_are_left_alone(broker_configured):
    waiting = added_earlier(EvidenceFactory(), 10 * STUCK_AFTER)  # its row is unsent: a broker outage
    retrying = added_earlier(EvidenceFactory(), 10 * STUCK_AFTER)
    taken = added_earlier(EvidenceFactory(), 10 * STUCK_AFTER)
    OutboxMessage.objects.exclude(kwargs__evidence_id=waiting.pk).update(sent_at=timezone.now())
    # A transient failure: its retry is on its way, the error shown meanwhile.
    Evidence.objects.filter(pk=retrying.pk).update(snapshot_error="The site answered 503 Service Unavailable.")
    Evidence.objects.filter(pk=taken.pk).update(
        link_status=Evidence.LinkStatus.OK, snapshot_fetched_at=timezone.now(), snapshot_sha256="0" * 64
    )
    before = OutboxMessage.objects.count()
    assert recovery.requeue_stuck_work().total == 0
    assert OutboxMessage.objects.count() == before


def test_requeued_snapshot_is_taken_once_and_clears_the_note(broker_configured, site, settings):
    evidence = added_earlier(EvidenceFactory(url=site.url("/story")), STUCK_AFTER + 1)
    mark_outbox_sent()
    assert recovery.requeue_stuck_work().snapshots == [evidence.pk]

    assert tasks.snapshot_evidence.apply(kwargs={"evidence_id": evidence.pk}).get() == "archived"
    assert tasks.snapshot_evidence.apply(kwargs={"evidence_id": evidence.pk}).get() == "already done"
    evidence.refresh_from_db()
    assert (evidence.link_status, evidence.snapshot_error) == (Evidence.LinkStatus.OK, "")
    assert evidence.checks.count() == 1
    assert len(site.requests) == 1


# --- Webhook deliveries: the lease does it -----------------------------------------


class WorkerLost(BaseException):
    """The process is gone: nothing after this point runs, no handler records anything."""


@pytest.fixture
def staff(roles):
    return {"editor": member_of(EDITORS, "desk-editor-c9"), "reviewer": member_of(REVIEWERS, "desk-reviewer-c9")}


def test_webhook_attempt_lost_mid_request_is_made_again_when_its_lease_runs_out(
    broker_configured, settings, staff, default_scale, urllib3_connections, monkeypatch
):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    with LocalHTTPServer() as server:
        receiver = Receiver(server)
        subscribe(receiver)
        publish(staff)
        delivery = WebhookDelivery.objects.get()
        started = timezone.now()

        def lost(*args, **kwargs):
            raise WorkerLost

        # The attempt is claimed (committed), then the worker dies before any outcome is recorded.
        with monkeypatch.context() as patch:
            patch.setattr(webhooks, "_send", lost)
            with pytest.raises(WorkerLost):
                webhooks.deliver(delivery.pk, attempt=1, now=started)
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.status) == (1, WebhookDelivery.Status.PENDING)
        lease_ends = started + webhooks.lease()
        assert delivery.next_attempt_at == lease_ends

        # The sweep has nothing to do with it.
        assert recovery.requeue_stuck_work(now=lease_ends + dt.timedelta(hours=1)).total == 0
        # While the lease runs, nobody takes it; the lost message, redelivered, sends nothing.
        assert webhooks.deliver_due(now=lease_ends - dt.timedelta(seconds=1)) == 0
        assert tasks.deliver_webhook.apply(kwargs={"delivery_id": delivery.pk, "attempt": 1}).get() is None
        assert receiver.received == []

        # Once it has run out, the beat's deliver_due_webhooks makes the next attempt, once.
        assert webhooks.deliver_due(now=lease_ends + dt.timedelta(seconds=1)) == 1
        assert webhooks.deliver_due(now=lease_ends + dt.timedelta(seconds=2)) == 0
        assert tasks.deliver_webhook.apply(kwargs={"delivery_id": delivery.pk, "attempt": 1}).get() is None
    assert receiver.ids() == [delivery.message_id]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.DELIVERED, 2)
    lost_attempt, made = WebhookAttempt.objects.filter(delivery=delivery).order_by("number")
    assert (lost_attempt.number, lost_attempt.finished_at, lost_attempt.status_code) == (1, None, None)
    assert (made.number, made.status_code) == (2, 200)


# --- The beat task ------------------------------------------------------------------


def test_beat_task_reports_and_logs_what_it_queued(broker_configured, settings, caplog):
    settings.FACTCHECK_STUCK_AFTER_SECONDS = 1
    fetching = ArticleFactory(status=A.FETCHING, text="")
    extracting = ingestion.submit_article(text=PASTED).article
    evidence = EvidenceFactory()
    tip = new_tip("Is the river bridge closing for two years?", 5)
    mark_outbox_sent()
    Article.objects.update(updated_at=timezone.now() - dt.timedelta(seconds=5))
    added_earlier(evidence, 5)

    with caplog.at_level(logging.WARNING, logger="claims.recovery"):
        counts = tasks.requeue_stuck_work.apply().get()
    assert counts == {"fetches": 1, "extractions": 1, "snapshots": 1, "tips": 1}
    [record] = [r for r in caplog.records if r.name == "claims.recovery"]
    message = record.getMessage()
    assert f"1 article fetches [{fetching.pk}]" in message
    assert f"1 extractions [{extracting.pk}]" in message
    assert f"1 evidence snapshots [{evidence.pk}]" in message
    assert f"1 tips [{tip.pk}]" in message
    assert tasks.requeue_stuck_work.apply().get() == {"fetches": 0, "extractions": 0, "snapshots": 0, "tips": 0}


# --- A real worker killed mid-fetch -------------------------------------------------


def redis_client():
    import redis

    return redis.Redis.from_url(require_broker())


def unacked_for(queues: list[str]) -> dict[bytes, list]:
    """The broker's unacknowledged messages routed to ``queues`` (by delivery tag)."""
    found = {}
    for tag, raw in redis_client().hgetall("unacked").items():
        payload, exchange, routing_key = json.loads(raw)
        if routing_key in queues:
            found[tag] = payload
    return found


def redeliver_unacked_now(queues: list[str]) -> int:
    """What Redis does with a message unacknowledged past the visibility timeout,
    done now and only for this test's queues (other runs share the broker)."""
    from kombu import Connection

    tags = list(unacked_for(queues))
    with Connection(require_broker()) as connection:
        qos = connection.default_channel.qos
        for tag in tags:
            qos.restore_by_tag(tag)
    return len(tags)


def broker_idle(queues: list[str]) -> bool:
    client = redis_client()
    return not any(client.llen(queue) for queue in queues) and not unacked_for(queues)


def forget_queues(queues: list[str]) -> None:
    client = redis_client()
    client.delete(*queues)
    for tag in unacked_for(queues):
        client.hdel("unacked", tag)
        client.zrem("unacked_index", tag)


def wait_for(condition, *, timeout: float, what: str, worker=None) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker died while waiting for {what}:\n{worker.communicate()[0][-4000:]}")
        outbox.relay()
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"not within {timeout} s: {what}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_fetch_is_recovered_and_the_article_extracted_exactly_once(settings):
    require_broker()
    prefix = unique_prefix()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_FETCH_QUEUE = fetch_queue = prefix + "fetch"
    settings.FACTCHECK_EXTRACT_QUEUE = extract_queue = prefix + "extract"
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    # The sweep runs here; the workers keep the broker's visibility timeout as
    # deployed (minutes): a shorter one would hand other runs' messages on this
    # shared broker to our workers.
    settings.FACTCHECK_STUCK_AFTER_SECONDS = 2
    env = {"FACTCHECK_QUEUE_PREFIX": prefix, "FACTCHECK_FETCH_TEST_HOSTS": "localhost", "DJANGO_LOG_LEVEL": "INFO"}
    queues = [fetch_queue, extract_queue]

    hanging = threading.Event()
    release = threading.Event()
    answering = threading.Event()
    with LocalHTTPServer() as site:

        @site.route("/story")
        def story(request):
            if answering.is_set():
                request.reply(200, PAGE)
                return
            # Headers and half the page, then nothing: the fetch waits mid-response.
            request.send_response(200)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(PAGE)))
            request.end_headers()
            request.wfile.write(PAGE[: len(PAGE) // 2])
            request.wfile.flush()
            hanging.set()
            release.wait(60)

        try:
            with celery_worker(
                [fetch_queue], env=env, name=prefix + "doomed", pool="prefork", own_process_group=True
            ) as doomed:
                article = ingestion.submit_article(url=site.url("/story")).article
                wait_for(
                    lambda: hanging.is_set() and Article.objects.get(pk=article.pk).status == A.FETCHING,
                    timeout=60,
                    what="the worker to start fetching",
                    worker=doomed,
                )
                kill_worker(doomed)
            release.set()
            article.refresh_from_db()
            assert article.status == A.FETCHING
            assert len(unacked_for(queues)) == 1, "the killed worker's message is left unacknowledged"

            # The sweep, once the article has been fetching longer than the threshold.
            swept = {}

            def sweep() -> bool:
                swept["result"] = recovery.requeue_stuck_work()
                return swept["result"].total > 0

            wait_for(sweep, timeout=10, what="the sweep to find the article")
            requeued_at = time.monotonic()
            assert swept["result"].fetches == [article.pk]
            assert recovery.requeue_stuck_work().total == 0
            # And the broker's own redelivery of the original, as after its visibility timeout.
            assert redeliver_unacked_now(queues) == 1

            answering.set()
            with celery_worker(queues, env=env, name=prefix + "fresh") as fresh:
                wait_for(
                    lambda: (
                        Article.objects.get(pk=article.pk).status == A.DONE
                        and not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
                        and broker_idle(queues)
                    ),
                    timeout=50,
                    what="the article to be extracted and every message consumed",
                    worker=fresh,
                )
                took = time.monotonic() - requeued_at
            output = fresh.communicate(timeout=30)[0]
        finally:
            release.set()
            forget_queues(queues)

    assert took < 60, f"recovered in {took:.1f} s, more than the sweep's interval"
    article.refresh_from_db()
    assert (article.status, article.error) == (A.DONE, "")
    # Fetched once more (the hung request, then one of the two deliveries); the other did nothing.
    assert [path for path, _ in site.requests] == ["/story", "/story"]
    # The fresh worker ran both deliveries of the fetch: one fetched, one found it done.
    ingest_results = [
        line.rsplit(": ", 1)[-1] for line in output.splitlines() if "ingest_article[" in line and " succeeded " in line
    ]
    assert sorted(ingest_results) == ["'already ingested'", "'fetched'"], output[-4000:]
    # One extraction's worth of claims, queued once and matched once.
    spans = list(Claim.objects.filter(article=article).values_list("span_start", "span_end"))
    assert len(spans) == len(set(spans)) == expected_claims(article) > 0
    assert len(rows(ingestion.INGEST_TASK, article_id=article.pk)) == 2  # submitted, and the sweep's
    assert len(rows(ingestion.EXTRACT_TASK, article_id=article.pk)) == 1
    assert OutboxMessage.objects.filter(task=MATCH_TASK).count() == 1
    assert Claim.objects.count() == len(spans)

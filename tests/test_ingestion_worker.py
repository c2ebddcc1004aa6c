"""The ingestion pipeline through real Celery workers on the real broker,
and what happens when the broker is down or hung."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db.models import Q
from django.utils import timezone

from claims import outbox
from claims.intake import ingestion
from claims.models import Article, Claim, OutboxMessage

from .httpserver import LocalHTTPServer
from .workers import celery_worker, output_of, require_broker, unique_prefix

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "seed"
EXAMPLE_CLAIM = "continued US military aid to Ukraine is to no avail"

STORIES = [
    "The city spent {n} million dollars on bus subsidies in 2025, the transit authority said in its annual report.\n\n"
    "Unemployment in district {n} fell by 3.{n} percent last year, the lowest rate since 1969, officials said.\n\n"
    "Thank you for reading."
]


@pytest.fixture
def pipeline(settings):
    """Queues of this test only, so test runs sharing the broker never meet."""
    require_broker()
    prefix = unique_prefix()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_FETCH_QUEUE = prefix + "fetch"
    settings.FACTCHECK_EXTRACT_QUEUE = prefix + "extract"
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    env = {"FACTCHECK_QUEUE_PREFIX": prefix, "FACTCHECK_FETCH_TEST_HOSTS": "localhost", "DJANGO_LOG_LEVEL": "INFO"}
    return [settings.FACTCHECK_FETCH_QUEUE, settings.FACTCHECK_EXTRACT_QUEUE], env


def relay_until_done(article_ids: list[int], proc, *, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the worker died:\n{output_of(proc)}")
        # Messages waiting for a backoff after a failed pass are due now: the broker is back.
        OutboxMessage.objects.filter(sent_at__isnull=True).update(available_at=timezone.now())
        outbox.relay()
        pending = Article.objects.filter(pk__in=article_ids).exclude(
            status__in=[Article.Status.DONE, Article.Status.FAILED, Article.Status.SAME_TEXT]
        )
        if not pending.exists() and not OutboxMessage.objects.filter(sent_at__isnull=True).exists():
            return
        time.sleep(0.2)
    states = list(Article.objects.filter(pk__in=article_ids).values_list("pk", "status", "error"))
    pytest.fail(f"articles not done within {timeout} s: {states}\nworker output:\n{output_of(proc)}")


@pytest.fixture
def seed_site(shared_data, settings):
    html = (shared_data / "seed" / "000_421e45027504a804.html").read_bytes()
    with LocalHTTPServer() as server:

        @server.route("/Detail/2024/05/28/nato-ukraine")
        def seed(request):
            request.reply(200, html)

        yield server


def test_seed_article_ingests_end_to_end_through_a_real_worker(pipeline, seed_site):
    queues, env = pipeline
    with celery_worker(queues, env=env) as proc:
        article = ingestion.submit_article(url=seed_site.url("/Detail/2024/05/28/nato-ukraine")).article
        relay_until_done([article.pk], proc)
        article.refresh_from_db()
        assert article.status == Article.Status.DONE, article.error
        assert article.title.startswith("NATO: Ukraine")
        assert article.outlet.name == "Press TV"
        claims = list(article.claims.order_by("-checkworthiness"))
        assert claims, "no claims extracted"
        top = [c.sentence for c in claims[:3]]
        assert any(EXAMPLE_CLAIM in sentence for sentence in top), top
        for boilerplate in ["Read more", "alternate addresses", "Roku", "(AFP)", "Russia / More"]:
            assert not any(boilerplate in c.sentence for c in claims), boilerplate
        for claim in claims:
            assert article.text[claim.span_start : claim.span_end] == claim.sentence
        stoltenberg = [c for c in claims if c.sentence.startswith(("“If (Ukraine)", "“Self-defense"))]
        assert all(c.claimant.name == "Jens Stoltenberg" for c in stoltenberg)
        example = next(c for c in claims if EXAMPLE_CLAIM in c.sentence)
        assert example.claimant.name == "Press TV"  # the outlet's own statement

        # Everything again: a duplicate delivery of every message, and a re-run.
        before = sorted(Claim.objects.values_list("pk", "span_start", "span_end", "checkworthiness"))
        OutboxMessage.objects.update(sent_at=None)
        assert ingestion.rerun_extraction(article.pk)
        relay_until_done([article.pk], proc)
        assert sorted(Claim.objects.values_list("pk", "span_start", "span_end", "checkworthiness")) == before
        assert len(seed_site.requests) == 1, "the article was fetched twice"


def submit_stories(n: int) -> tuple[list[int], float]:
    started = time.monotonic()
    ids = [ingestion.submit_article(text=STORIES[0].format(n=i)).article.pk for i in range(n)]
    return ids, time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_extracted_exactly_once(ids: list[int]) -> None:
    for article in Article.objects.filter(pk__in=ids):
        assert article.status == Article.Status.DONE, (article.pk, article.status, article.error)
        spans = list(article.claims.values_list("span_start", "span_end"))
        assert spans and len(spans) == len(set(spans))
    assert Claim.objects.filter(article_id__in=ids).filter(Q(sentence__contains="Thank you")).count() == 0


def test_broker_on_a_closed_port_delays_work_but_drops_none(pipeline):
    queues, env = pipeline
    ids, took = submit_stories(5)
    assert took < 5, f"submitting 5 articles took {took:.1f} s with the broker down"
    # Saved and waiting: text submissions wait for extraction.
    assert set(Article.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Article.Status.EXTRACTING}

    down = outbox.BrokerPublisher(f"redis://127.0.0.1:{free_port()}/0", timeout=2)
    started = time.monotonic()
    result = outbox.relay(publish=down)
    down.close()
    assert result.failed == 1 and result.sent == 0
    assert time.monotonic() - started < 30
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 5

    with celery_worker(queues, env=env) as proc:
        relay_until_done(ids, proc)
        assert_extracted_exactly_once(ids)


def test_broker_that_accepts_connections_but_never_answers_delays_work_but_drops_none(pipeline, tmp_path):
    queues, env = pipeline
    port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        os.kill(redis.pid, signal.SIGSTOP)  # a paused process: the kernel still accepts connections

        ids, took = submit_stories(3)
        assert took < 5, f"submitting took {took:.1f} s with the broker hung"
        hung = outbox.BrokerPublisher(f"redis://127.0.0.1:{port}/0", timeout=2)
        started = time.monotonic()
        result = outbox.relay(publish=hung)
        elapsed = time.monotonic() - started
        assert result.failed == 1 and result.sent == 0
        assert elapsed < 30, f"the relay waited {elapsed:.1f} s on a hung broker"
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3
    finally:
        os.kill(redis.pid, signal.SIGCONT)
        redis.terminate()
        redis.wait(timeout=10)

    with celery_worker(queues, env=env) as proc:
        relay_until_done(ids, proc)
        assert_extracted_exactly_once(ids)


def test_transient_fetch_failures_are_retried_by_the_worker_with_backoff(pipeline):
    queues, env = pipeline
    with LocalHTTPServer() as site:
        answers = iter([503, 503])

        @site.route("/flaky")
        def flaky(request):
            status = next(answers, 200)
            if status != 200:
                request.reply(status, b"busy", content_type="text/plain")
            else:
                request.reply(
                    200,
                    b"<html><body><article><p>" + STORIES[0].format(n=99).encode() + b"</p></article></body></html>",
                )

        with celery_worker(queues, env=env) as proc:
            article = ingestion.submit_article(url=site.url("/flaky")).article
            relay_until_done([article.pk], proc)
        article.refresh_from_db()
        assert article.status == Article.Status.DONE, article.error
        assert article.fetch_attempts == 3
        assert len(site.requests) == 3
        assert article.claims.exists()

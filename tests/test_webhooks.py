"""Signed webhooks (Standard Webhooks) for published, corrected and retracted
fact-checks, delivered to a real HTTP receiver on 127.0.0.1 that verifies every
signature with the subscription's secret.

Retries are driven with an explicit clock (``now=``) instead of sleeping. No
test connects anywhere but 127.0.0.1 (the ``connections`` fixture fails it).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import socket
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from claims import outbox
from claims.models import (
    Claim,
    OutboxMessage,
    ServiceHeartbeat,
    Verdict,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from claims.publishing import webhooks
from claims.review import workflow
from claims.review.roles import EDITORS, REVIEWERS
from claims.tasks import deliver_due_webhooks, deliver_webhook, record_worker_heartbeat

from .factories import ClaimFactory, EvidenceFactory, add_verdict_draft, advance, member_of
from .httpserver import LocalHTTPServer
from .workers import celery_worker, output_of, require_broker

pytestmark = pytest.mark.django_db

S = Claim.Status
E = WebhookSubscription.Event
D = WebhookDelivery.Status
ALL_EVENTS = [E.PUBLISHED, E.CORRECTED, E.RETRACTED]
_real_getaddrinfo = socket.getaddrinfo


# --- Fixtures and helpers -----------------------------------------------------


@pytest.fixture(autouse=True)
def connections(urllib3_connections) -> list[tuple[str, int]]:
    return urllib3_connections


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings) -> None:
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    # Outbox rows are run by the tests themselves (run_outbox), as a worker would,
    # whether or not a broker is configured.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_WEBHOOK_TIMEOUT = 5


class Receiver:
    """A webhook endpoint that verifies each delivery with the subscription's secret(s).

    ``answers`` queues (status, headers, body) for the next requests; after
    that it answers 200. Deliveries whose signature fails are answered 401 and
    kept in ``rejected``.
    """

    def __init__(self, server: LocalHTTPServer, path: str = "/hooks") -> None:
        self.server = server
        self.path = path
        self.secrets: list[str] = []
        self.answers: list[tuple[int, dict[str, str], bytes]] = []
        self.received: list[dict] = []
        self.rejected: list[dict] = []
        self._lock = threading.Lock()
        server.route(path)(self._handle)

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    def _handle(self, request) -> None:
        headers = dict(request.headers.items())
        entry = {"id": headers.get("webhook-id"), "headers": headers, "body": request.body}
        for secret in self.secrets:
            try:
                entry["payload"] = Webhook(secret).verify(request.body, headers)
                break
            except WebhookVerificationError:
                continue
        with self._lock:
            if "payload" not in entry:
                self.rejected.append(entry)
                request.reply(401, b"bad signature", content_type="text/plain")
                return
            self.received.append(entry)
            status, extra, body = self.answers.pop(0) if self.answers else (200, {}, b"thanks")
        request.reply(status, body, content_type="text/plain", headers=extra)

    def ids(self) -> list[str]:
        return [entry["id"] for entry in self.received]


@pytest.fixture
def server():
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def receiver(server) -> Receiver:
    return Receiver(server)


def subscribe(receiver: Receiver | str, events=ALL_EVENTS, **fields) -> WebhookSubscription:
    url = receiver if isinstance(receiver, str) else receiver.url
    subscription = WebhookSubscription.objects.create(url=url, events=[str(e) for e in events], **fields)
    if isinstance(receiver, Receiver):
        receiver.secrets.append(subscription.secret)
    return subscription


def run_outbox() -> int:
    """Run the queued webhook tasks here, as a worker would once the relay published them."""
    done = 0
    for message in OutboxMessage.objects.filter(sent_at__isnull=True, task=webhooks.DELIVER_TASK).order_by("pk"):
        message.sent_at = timezone.now()
        message.save(update_fields=["sent_at"])
        outbox.run_in_process(message)
        done += 1
    return done


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self.now += delta
        return self.now


def latest_step(n: int) -> dt.timedelta:
    """Long enough for the n-th retry to be due, whatever its jitter."""
    return webhooks.SCHEDULE[n] * (1 + webhooks.JITTER) + dt.timedelta(seconds=1)


@pytest.fixture
def staff(roles):
    return {
        "editor": member_of(EDITORS, "desk-editor-x7"),
        "reviewer": member_of(REVIEWERS, "desk-reviewer-q2"),
    }


def publish(staff, **claim_fields) -> Claim:
    return advance(ClaimFactory(**claim_fields), S.PUBLISHED, staff["editor"], staff["reviewer"])


def publish_correction(claim: Claim, staff, *, headline: str, note: str) -> Claim:
    workflow.correct(claim.pk, by=staff["editor"], note="Internal: the statistics office revised the figure.")
    Verdict.objects.filter(claim=claim, status=Verdict.Status.DRAFT).update(headline=headline, correction_note=note)
    workflow.submit(claim.pk, by=staff["reviewer"])
    workflow.approve(claim.pk, by=staff["editor"])
    claim.refresh_from_db()
    return claim


# --- Events -------------------------------------------------------------------


def test_publishing_sends_one_signed_delivery_with_the_public_fact_check(receiver, staff, default_scale, client):
    subscription = subscribe(receiver)

    claim = publish(staff)
    assert run_outbox() == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.subscription, delivery.claim, delivery.event) == (subscription, claim, E.PUBLISHED)
    assert delivery.status == D.DELIVERED and delivery.attempts == 1 and delivery.next_attempt_at is None
    assert receiver.rejected == []
    [entry] = receiver.received
    assert entry["id"] == delivery.message_id
    headers = {name.lower(): value for name, value in entry["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-signature"].startswith("v1,")
    payload = entry["payload"]
    assert payload["type"] == "fact_check.published"
    assert payload["timestamp"] == Verdict.objects.published().get(claim=claim).published_at.isoformat()
    # The public API's representation, exactly.
    assert payload["data"] == client.get(f"/api/v1/fact-checks/{claim.pk}/").json()
    assert entry["body"].decode() == delivery.payload

    [attempt] = delivery.attempt_log.all()
    assert (attempt.number, attempt.status_code, attempt.response_excerpt, attempt.error) == (1, 200, "thanks", "")
    assert attempt.duration_ms is not None and attempt.finished_at is not None


def test_each_subscription_gets_only_the_events_it_chose(server, staff, default_scale):
    everything, retractions = Receiver(server, "/all"), Receiver(server, "/retractions")
    subscribe(everything)
    subscribe(retractions, events=[E.RETRACTED])
    subscribe(Receiver(server, "/off"), active=False)

    claim = publish(staff)
    run_outbox()
    workflow.retract(claim.pk, by=staff["editor"], note="The source document was forged.")
    run_outbox()

    assert [e["payload"]["type"] for e in everything.received] == ["fact_check.published", "fact_check.retracted"]
    assert [e["payload"]["type"] for e in retractions.received] == ["fact_check.retracted"]
    assert len(server.requests) == 3
    assert WebhookDelivery.objects.count() == 3


def test_correction_is_announced_when_it_is_published_not_when_it_is_started(receiver, staff, default_scale, client):
    subscribe(receiver)
    claim = publish(staff)
    run_outbox()

    workflow.correct(claim.pk, by=staff["editor"], note="The statistics office revised the figure.")
    Verdict.objects.filter(claim=claim, status=Verdict.Status.DRAFT).update(
        headline="Unemployment fell by 2 percent", correction_note="We said 3 percent; the revised figure is 2."
    )
    workflow.submit(claim.pk, by=staff["reviewer"])
    assert WebhookDelivery.objects.count() == 1, "starting or submitting a correction is not public"

    workflow.approve(claim.pk, by=staff["editor"])
    run_outbox()

    corrected = WebhookDelivery.objects.get(event=E.CORRECTED)
    assert corrected.status == D.DELIVERED
    payload = receiver.received[-1]["payload"]
    assert payload["type"] == "fact_check.corrected"
    assert payload["data"] == client.get(f"/api/v1/fact-checks/{claim.pk}/").json()
    assert payload["data"]["revision"] == 2
    assert payload["data"]["headline"] == "Unemployment fell by 2 percent"
    assert [c["note"] for c in payload["data"]["corrections"]] == ["We said 3 percent; the revised figure is 2."]


def test_retraction_sends_only_id_public_url_note_and_time(receiver, staff, default_scale):
    subscribe(receiver, events=[E.RETRACTED])
    claim = publish(staff)

    workflow.retract(claim.pk, by=staff["editor"], note="The source document was forged.")
    run_outbox()

    [entry] = receiver.received
    claim.refresh_from_db()
    verdict = claim.verdicts.get(status=Verdict.Status.RETRACTED)
    assert entry["payload"] == {
        "type": "fact_check.retracted",
        "timestamp": verdict.retracted_at.isoformat(),
        "data": {
            "id": claim.pk,
            "url": claim.public_url,
            "retraction_note": "The source document was forged.",
            "retracted_at": verdict.retracted_at.isoformat(),
        },
    }


def test_scheduled_publication_sends_its_event_when_the_embargo_lifts(receiver, staff, default_scale):
    subscribe(receiver)
    publish_at = timezone.now() + dt.timedelta(hours=2)
    claim = advance(ClaimFactory(), S.SCHEDULED, staff["editor"], staff["reviewer"], publish_at=publish_at)
    assert WebhookDelivery.objects.count() == 0, "an embargoed fact-check is not public yet"

    workflow.publish_scheduled(claim.pk, now=publish_at + dt.timedelta(minutes=1))
    run_outbox()

    assert [e["payload"]["type"] for e in receiver.received] == ["fact_check.published"]
    assert receiver.received[0]["payload"]["data"]["id"] == claim.pk


def test_event_is_recorded_with_the_publication_and_survives_a_broker_outage(receiver, staff, default_scale):
    subscribe(receiver)
    claim = advance(ClaimFactory(), S.IN_REVIEW, staff["editor"], staff["reviewer"])
    Verdict.objects.filter(claim=claim).update(headline="")

    with pytest.raises(workflow.GuardFailed):
        workflow.approve(claim.pk, by=staff["editor"])
    assert WebhookDelivery.objects.count() == 0
    assert not OutboxMessage.objects.filter(task=webhooks.DELIVER_TASK).exists()

    Verdict.objects.filter(claim=claim).update(headline="Unemployment fell by 3 percent")
    workflow.approve(claim.pk, by=staff["editor"])
    delivery = WebhookDelivery.objects.get()
    message = OutboxMessage.objects.get(task=webhooks.DELIVER_TASK)
    assert message.kwargs == {"delivery_id": delivery.pk, "attempt": 1}

    def broker_down(message):
        raise ConnectionRefusedError("Connection refused (the broker)")

    result = outbox.relay(publish=broker_down)
    assert (result.sent, result.failed) == (0, 1)
    message.refresh_from_db()
    assert message.sent_at is None
    assert receiver.received == []

    # The broker is back: the relay publishes the row, a worker runs it.
    run_outbox()
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED


# --- Retries, backoff and giving up --------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_receiver_that_is_down_then_back_gets_every_event_exactly_once(staff, default_scale):
    port = free_port()
    url = f"http://localhost:{port}/hooks"
    retracted_later = publish(staff)  # published before anyone subscribed
    subscription = subscribe(url)

    first, second = publish(staff), publish(staff)
    workflow.retract(retracted_later.pk, by=staff["editor"], note="The source document was forged.")
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.event for d in deliveries] == [E.PUBLISHED, E.PUBLISHED, E.RETRACTED]

    # Nothing listens on the port: the immediate attempts and the first retries fail.
    run_outbox()
    clock = Clock()
    for step in (1, 2, 3):
        assert webhooks.deliver_due(now=clock.advance(latest_step(step))) == 3
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (D.FAILED, 4)
        errors = list(delivery.attempt_log.values_list("error", flat=True))
        assert len(errors) == 4 and all("Connection refused" in e for e in errors), errors
        assert set(delivery.attempt_log.values_list("status_code", flat=True)) == {None}

    with LocalHTTPServer(port=port) as server:
        receiver = Receiver(server)
        receiver.secrets.append(subscription.secret)
        assert webhooks.deliver_due(now=clock.now) == 0, "not due before the next step of the schedule"
        assert webhooks.deliver_due(now=clock.advance(latest_step(4))) == 3
        # Days later, and the queued messages run again: nothing is sent twice.
        for step in range(5, len(webhooks.SCHEDULE)):
            assert webhooks.deliver_due(now=clock.advance(latest_step(step))) == 0
        OutboxMessage.objects.filter(task=webhooks.DELIVER_TASK).update(sent_at=None)
        run_outbox()

    assert receiver.rejected == []
    assert sorted(receiver.ids()) == sorted(d.message_id for d in deliveries)
    assert {e["payload"]["data"]["id"] for e in receiver.received} == {first.pk, second.pk, retracted_later.pk}
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(D.DELIVERED, 5)}
    subscription.refresh_from_db()
    assert subscription.active


def test_server_errors_are_retried_on_the_schedule_with_jitter(receiver, staff, default_scale):
    subscribe(receiver)
    receiver.answers = [(500, {}, b"database down"), (502, {}, b"bad gateway")]
    publish(staff)
    delivery = WebhookDelivery.objects.get()
    clock = Clock()

    assert webhooks.deliver(delivery.pk, attempt=1, now=clock.now) == D.FAILED
    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - clock.now
    assert dt.timedelta(seconds=4.5) <= wait <= dt.timedelta(seconds=5.5)
    assert webhooks.deliver_due(now=clock.now + wait - dt.timedelta(milliseconds=1)) == 0

    assert webhooks.deliver_due(now=clock.advance(wait)) == 1
    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - clock.now
    assert dt.timedelta(minutes=4.5) <= wait <= dt.timedelta(minutes=5.5)

    assert webhooks.deliver_due(now=clock.advance(wait)) == 1
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED
    log = list(delivery.attempt_log.values_list("number", "status_code", "response_excerpt"))
    assert log == [(1, 500, "database down"), (2, 502, "bad gateway"), (3, 200, "thanks")]
    assert [e["id"] for e in receiver.received] == [delivery.message_id] * 3


def test_exhausted_schedule_gives_up_and_disables_the_subscription(receiver, staff, default_scale):
    subscription = subscribe(receiver)
    receiver.answers = [(500, {}, b"still broken")] * len(webhooks.SCHEDULE)
    publish(staff)
    delivery = WebhookDelivery.objects.get()
    clock = Clock()
    started = clock.now

    webhooks.deliver(delivery.pk, attempt=1, now=clock.now)
    for n in range(1, len(webhooks.SCHEDULE)):
        delivery.refresh_from_db()
        wait = delivery.next_attempt_at - clock.now
        low, high = webhooks.SCHEDULE[n] * (1 - webhooks.JITTER), webhooks.SCHEDULE[n] * (1 + webhooks.JITTER)
        assert low <= wait <= high, f"retry {n}: waited {wait}"
        assert webhooks.deliver_due(now=clock.advance(wait)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (D.GIVEN_UP, 10, None)
    assert dt.timedelta(hours=68) <= clock.now - started <= dt.timedelta(hours=83), "about three days"
    subscription.refresh_from_db()
    assert not subscription.active
    assert subscription.disabled_at == clock.now
    assert "after 10 failed attempts" in subscription.disabled_reason
    assert "500 Internal Server Error" in subscription.disabled_reason

    # A disabled subscription gets no new events and no more attempts.
    publish(staff)
    assert WebhookDelivery.objects.count() == 1
    assert webhooks.deliver_due(now=clock.advance(dt.timedelta(days=30))) == 0
    assert len(receiver.received) == 10


def test_410_gone_disables_the_subscription(receiver, staff, default_scale):
    subscription = subscribe(receiver)
    receiver.answers = [(410, {}, b"we stopped listening")]
    publish(staff)
    publish(staff)

    run_outbox()

    # The first delivery was given up; the second is kept, unsent, in case the subscription is turned back on.
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [D.GIVEN_UP, D.PENDING]
    subscription.refresh_from_db()
    assert not subscription.active
    assert "410 Gone" in subscription.disabled_reason
    # The second event was not sent once the subscription was disabled.
    assert len(receiver.received) == 1
    assert webhooks.deliver_due(now=timezone.now() + dt.timedelta(days=5)) == 0
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("120", dt.timedelta(seconds=120)),
        ("http-date", dt.timedelta(minutes=10)),
        ("99999999", webhooks.RETRY_AFTER_MAX),
    ],
    ids=["seconds", "http_date", "bounded"],
)
def test_429_with_retry_after_delays_the_next_attempt(receiver, staff, default_scale, retry_after, expected):
    subscribe(receiver)
    if retry_after == "http-date":
        retry_after = email.utils.format_datetime(dt.datetime.now(dt.UTC) + expected, usegmt=True)
    receiver.answers = [(429, {"Retry-After": retry_after}, b"slow down")]
    publish(staff)
    delivery = WebhookDelivery.objects.get()
    clock = Clock()

    webhooks.deliver(delivery.pk, attempt=1, now=clock.now)

    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - clock.now
    assert expected - dt.timedelta(seconds=3) <= wait <= expected, wait
    assert webhooks.deliver_due(now=clock.now + wait - dt.timedelta(seconds=1)) == 0
    assert webhooks.deliver_due(now=clock.advance(wait)) == 1
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED
    assert "Retry-After" in delivery.attempt_log.get(number=1).error


def test_redirect_is_not_followed_and_counts_as_a_failure(server, staff, default_scale):
    receiver = Receiver(server)
    moved = Receiver(server, "/moved")
    subscribe(receiver)
    moved.secrets = receiver.secrets
    receiver.answers = [(307, {"Location": "/moved"}, b"")]
    publish(staff)

    run_outbox()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == D.FAILED
    attempt = delivery.attempt_log.get()
    assert attempt.status_code == 307
    assert "redirects are not followed" in attempt.error and "/moved" in attempt.error
    assert [path for path, _ in server.requests] == ["/hooks"]
    assert moved.received == []


def test_private_address_is_refused_at_delivery_with_the_reason(monkeypatch, staff, default_scale, connections):
    answers = {"hooks.partner.example": ["93.184.216.34"]}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0)) for ip in answers[host]]
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = "http://hooks.partner.example/receive"
    assert webhooks.validate_url(url) == url, "a public address when the subscription is saved"
    subscribe(url)

    answers["hooks.partner.example"] = ["10.0.0.5"]  # DNS changes afterwards
    publish(staff)
    run_outbox()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == D.FAILED
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None
    assert "hooks.partner.example resolves to 10.0.0.5, a private address" in attempt.error
    assert connections == []


# --- Redelivery and idempotency ----------------------------------------------


def redeliver_in_admin(client, delivery: WebhookDelivery):
    return client.post(
        reverse("admin:claims_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
        follow=True,
    )


def test_redeliver_sends_a_fresh_attempt_with_the_same_webhook_id(receiver, staff, default_scale, client, superuser):
    subscribe(receiver)
    publish(staff)
    run_outbox()
    delivery = WebhookDelivery.objects.get()

    client.force_login(superuser)
    response = redeliver_in_admin(client, delivery)
    assert "Redelivery queued for 1" in response.content.decode()
    run_outbox()

    assert receiver.ids() == [delivery.message_id, delivery.message_id]
    assert receiver.received[0]["body"] == receiver.received[1]["body"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (D.DELIVERED, 2)
    assert list(delivery.attempt_log.values_list("number", "manual", "status_code")) == [
        (1, False, 200),
        (2, True, 200),
    ]


def test_redeliver_is_refused_while_the_subscription_is_off(receiver, staff, default_scale, client, superuser):
    subscription = subscribe(receiver)
    receiver.answers = [(410, {}, b"")]
    publish(staff)
    run_outbox()
    subscription.refresh_from_db()
    assert not subscription.active

    client.force_login(superuser)
    response = redeliver_in_admin(client, WebhookDelivery.objects.get())

    assert "is turned off" in response.content.decode()
    assert run_outbox() == 0
    assert len(receiver.received) == 1


def test_editors_see_the_delivery_log_but_cannot_redeliver_or_manage(receiver, staff, default_scale, client):
    subscription = subscribe(receiver)
    publish(staff)
    run_outbox()
    delivery = WebhookDelivery.objects.get()
    client.force_login(staff["editor"])

    assert client.get(reverse("admin:claims_webhookdelivery_changelist")).status_code == 200
    page = client.get(reverse("admin:claims_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert delivery.message_id in page and "thanks" in page
    sub_page = client.get(reverse("admin:claims_webhooksubscription_change", args=[subscription.pk]))
    assert sub_page.status_code == 200
    assert subscription.secret not in sub_page.content.decode()
    assert client.get(reverse("admin:claims_webhooksubscription_add")).status_code == 403

    redeliver_in_admin(client, delivery)
    assert not OutboxMessage.objects.filter(task=webhooks.DELIVER_TASK, sent_at__isnull=True).exists()


def test_delivery_task_run_twice_sends_once(receiver, staff, default_scale):
    subscribe(receiver)
    publish(staff)
    delivery = WebhookDelivery.objects.get()

    assert deliver_webhook.apply(kwargs={"delivery_id": delivery.pk, "attempt": 1}).get() == D.DELIVERED
    assert deliver_webhook.apply(kwargs={"delivery_id": delivery.pk, "attempt": 1}).get() is None
    assert deliver_due_webhooks.apply().get() == 0
    run_outbox()  # the outbox's own copy of the message

    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_an_attempt_under_way_is_not_sent_again_by_another_worker(server, staff, default_scale):
    """While one worker waits on a slow receiver, another finds nothing due (the lease)."""
    receiver = Receiver(server)
    subscribe(receiver)
    release = threading.Event()
    answered = receiver._handle

    def slow(request):
        release.wait(10)
        answered(request)

    server.route("/hooks")(slow)
    publish(staff)
    delivery = WebhookDelivery.objects.get()
    result: dict[str, object] = {}

    def other_worker():
        try:
            result["first"] = webhooks.deliver(delivery.pk)
        finally:
            connection.close()

    first = threading.Thread(target=other_worker)
    first.start()
    try:
        deadline = time.monotonic() + 10
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.requests, "the first worker never reached the receiver"
        assert webhooks.deliver_due() == 0
        assert webhooks.deliver(delivery.pk) is None
        assert webhooks.deliver(delivery.pk, attempt=1) is None
    finally:
        release.set()
        first.join(10)
    assert result["first"] == D.DELIVERED
    assert len(server.requests) == 1


# --- What a payload may contain -----------------------------------------------


def test_payloads_never_contain_unpublished_data(receiver, staff, default_scale, roles):
    subscribe(receiver)
    claim = ClaimFactory(text="Unemployment fell by 3 percent in 2025.")
    workflow.accept(claim.pk, by=staff["editor"], note="INTERNAL-TRIAGE-NOTE")
    claim = advance(claim, S.IN_RESEARCH, staff["editor"], staff["reviewer"])
    add_verdict_draft(claim, staff["reviewer"])
    advance(claim, S.PUBLISHED, staff["editor"], staff["reviewer"])
    run_outbox()
    # Researched for a correction: a source and a headline the public has not seen yet.
    workflow.correct(claim.pk, by=staff["editor"], note="INTERNAL-CORRECTION-REASON")
    EvidenceFactory(claim=claim, url="https://late.example/UNPUBLISHED-SOURCE", excerpt="UNPUBLISHED-EXCERPT")
    Verdict.objects.filter(claim=claim, status=Verdict.Status.DRAFT).update(
        headline="UNPUBLISHED-HEADLINE", correction_note="UNPUBLISHED-CORRECTION-NOTE"
    )
    other = ClaimFactory(text="A CANDIDATE-CLAIM never published.")
    workflow.accept(other.pk, by=staff["editor"])
    retracted = publish(staff)
    run_outbox()
    workflow.retract(retracted.pk, by=staff["editor"], note="Public reason for the retraction.")
    run_outbox()

    bodies = [d.payload for d in WebhookDelivery.objects.all()] + [e["body"].decode() for e in receiver.received]
    assert len(receiver.received) == 3
    for secret in (
        "INTERNAL-TRIAGE-NOTE",
        "INTERNAL-CORRECTION-REASON",
        "UNPUBLISHED",
        "CANDIDATE-CLAIM",
        "desk-editor-x7",
        "desk-reviewer-q2",
        "@example.org",
    ):
        assert not any(secret in body for body in bodies), secret


def test_published_event_is_not_sent_once_the_fact_check_is_retracted(receiver, staff, default_scale):
    """The payload was public when recorded; after a retraction it is not, so it stays unsent."""
    port = free_port()
    subscription = subscribe(f"http://localhost:{port}/hooks")
    claim = publish(staff)
    run_outbox()  # nobody listening yet
    workflow.retract(claim.pk, by=staff["editor"], note="The source document was forged.")

    with LocalHTTPServer(port=port) as server:
        late = Receiver(server)
        late.secrets.append(subscription.secret)
        run_outbox()
        webhooks.deliver_due(now=timezone.now() + dt.timedelta(minutes=1))

    assert [e["payload"]["type"] for e in late.received] == ["fact_check.retracted"]
    published = WebhookDelivery.objects.get(event=E.PUBLISHED)
    assert published.status == D.GIVEN_UP
    assert published.attempt_log.latest("number").error == "Not sent: the fact-check is no longer published."
    subscription.refresh_from_db()
    assert subscription.active


# --- Subscriptions in the admin -------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1/hooks", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data", "the cloud metadata address"),
        ("http://127.0.0.1:9/hooks", "127.0.0.1 is a loopback address"),
        ("ftp://partner.example/hooks", "only http and https addresses"),
        ("http://[::1/hooks", "Enter a valid URL"),
    ],
    ids=["private", "metadata", "loopback", "not_http", "malformed"],
)
def test_subscription_url_is_checked_when_saved(client, superuser, url, message):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:claims_webhooksubscription_add"),
        {"url": url, "description": "Partner", "events": [E.PUBLISHED], "active": "on"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_subscription_url_refusals_say_why():
    with pytest.raises(ValidationError, match="only http and https"):
        webhooks.validate_url("ftp://partner.example/hooks")
    with pytest.raises(ValidationError, match="not a full http"):
        webhooks.validate_url("partner.example/hooks")
    with pytest.raises(ValidationError, match="the host name no-such-host.invalid was not found"):
        webhooks.validate_url("https://no-such-host.invalid/hooks")


def test_superuser_creates_a_subscription_and_sees_its_secret(client, superuser, receiver):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:claims_webhooksubscription_add"),
        {"url": receiver.url, "description": "Partner desk", "events": [E.PUBLISHED, E.RETRACTED], "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["fact_check.published", "fact_check.retracted"]
    assert subscription.created_by == superuser
    assert subscription.secret.startswith("whsec_")
    page = client.get(reverse("admin:claims_webhooksubscription_change", args=[subscription.pk]))
    assert subscription.secret in page.content.decode()

    # Turned off by hand: the reason says who.
    client.post(
        reverse("admin:claims_webhooksubscription_change", args=[subscription.pk]),
        {"url": receiver.url, "description": "Partner desk", "events": [E.PUBLISHED]},
    )
    subscription.refresh_from_db()
    assert not subscription.active
    assert subscription.disabled_reason == "Turned off in the admin by root."


def test_rotated_secret_signs_next_to_the_old_one_for_a_day(receiver, staff, default_scale, client, superuser):
    subscription = subscribe(receiver)
    old_secret = subscription.secret
    client.force_login(superuser)
    client.post(
        reverse("admin:claims_webhooksubscription_changelist"),
        {"action": "rotate_secrets", "_selected_action": [subscription.pk]},
    )
    subscription.refresh_from_db()
    assert subscription.secret != old_secret and subscription.previous_secret == old_secret

    receiver.secrets = [old_secret]  # a receiver that has not switched yet
    publish(staff)
    run_outbox()
    assert len(receiver.received) == 1 and receiver.rejected == []
    entry = receiver.received[0]
    assert Webhook(subscription.secret).verify(entry["body"], entry["headers"]) == entry["payload"]
    assert len(entry["headers"]["webhook-signature"].split(" ")) == 2

    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    publish(staff)
    run_outbox()
    assert len(receiver.rejected) == 1, "the old secret no longer signs"


# --- With a real worker on the real broker ------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_delivers_every_event_once_after_the_receiver_comes_back(settings, staff, default_scale):
    require_broker()
    prefix = f"hooks-{time.monotonic_ns()}-"
    settings.FACTCHECK_FETCH_QUEUE = prefix + "fetch"
    env = {"FACTCHECK_QUEUE_PREFIX": prefix, "FACTCHECK_FETCH_TEST_HOSTS": "localhost"}
    port = free_port()
    subscription = subscribe(f"http://localhost:{port}/hooks")
    claims = [publish(staff), publish(staff)]
    deliveries = list(WebhookDelivery.objects.order_by("pk"))

    def wait_for(condition, what: str, proc, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the worker died:\n{output_of(proc)}")
            # Only this test's messages go to the worker (publishing also queues evidence snapshots).
            OutboxMessage.objects.exclude(task=webhooks.DELIVER_TASK).update(sent_at=timezone.now())
            OutboxMessage.objects.filter(sent_at__isnull=True).update(available_at=timezone.now())
            outbox.relay()
            if condition():
                return
            time.sleep(0.2)
        pytest.fail(f"{what} within {timeout} s; worker output:\n{output_of(proc)}")

    with celery_worker([settings.FACTCHECK_FETCH_QUEUE], env=env) as proc:
        # The receiver is down: the worker's immediate attempts fail.
        wait_for(
            lambda: WebhookAttempt.objects.filter(finished_at__isnull=False).count() == 2,
            "the first attempts did not fail",
            proc,
        )
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {D.FAILED}

        with LocalHTTPServer(port=port) as server:
            receiver = Receiver(server)
            receiver.secrets.append(subscription.secret)
            # The retries are due (the clock moves on), and beat sends its task twice.
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
            deliver_due_webhooks.apply_async(queue=settings.FACTCHECK_FETCH_QUEUE)
            deliver_due_webhooks.apply_async(queue=settings.FACTCHECK_FETCH_QUEUE)
            wait_for(
                lambda: set(WebhookDelivery.objects.values_list("status", flat=True)) == {D.DELIVERED},
                "the deliveries were not delivered",
                proc,
            )
            # Every queued message again, as after a relay that died before marking them
            # sent, and beat once more; then a heartbeat, which the worker (one process,
            # one task at a time) runs only after all of them.
            OutboxMessage.objects.filter(task=webhooks.DELIVER_TASK).update(sent_at=None)
            deliver_due_webhooks.apply_async(queue=settings.FACTCHECK_FETCH_QUEUE)
            wait_for(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), "relay", proc)
            record_worker_heartbeat.apply_async(queue=settings.FACTCHECK_FETCH_QUEUE)
            wait_for(lambda: ServiceHeartbeat.objects.exists(), "the heartbeat did not run", proc)

    assert receiver.rejected == []
    assert sorted(receiver.ids()) == sorted(d.message_id for d in deliveries)
    assert {e["payload"]["data"]["id"] for e in receiver.received} == {c.pk for c in claims}


def test_delivery_log_query_budget(receiver, staff, default_scale, client, superuser, django_assert_num_queries):
    subscribe(receiver)
    subscribe(Receiver(receiver.server, "/second"))
    for _ in range(5):
        publish(staff)
    run_outbox()
    assert WebhookDelivery.objects.count() == 10
    client.force_login(superuser)
    # 1 session, 2 the logged-in user, 3 the subscriptions (for the "subscription"
    # filter), 4 count of the filtered deliveries (no full count), 5 the page of
    # deliveries joined to subscription and claim, 6 the header's unread-notification count.
    with django_assert_num_queries(6):
        response = client.get(reverse("admin:claims_webhookdelivery_changelist"))
    assert response.content.count(b'class="field-event"') == 10


def test_without_a_broker_the_delivery_runs_in_process_after_the_commit(
    receiver, staff, default_scale, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    subscribe(receiver)
    claim = advance(ClaimFactory(), S.IN_REVIEW, staff["editor"], staff["reviewer"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.approve(claim.pk, by=staff["editor"])
    assert receiver.received == [], "nothing is sent before the publication commits"

    # Other work queued on the way (evidence snapshots) is not this test's business.
    OutboxMessage.objects.exclude(task=webhooks.DELIVER_TASK).update(sent_at=timezone.now())
    for callback in callbacks:
        callback()
    assert [e["payload"]["type"] for e in receiver.received] == ["fact_check.published"]
    assert WebhookDelivery.objects.get().status == D.DELIVERED


def test_editors_read_the_delivery_log_but_neither_the_secret_nor_the_controls(client, staff):
    claim = publish(staff)
    subscription = WebhookSubscription.objects.create(
        url="https://partner.example/hooks", events=[WebhookSubscription.Event.PUBLISHED]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        claim=claim,
        event="fact_check.published",
        payload="{}",
        next_attempt_at=timezone.now(),
    )
    client.force_login(staff["editor"])
    page = client.get(reverse("admin:claims_webhooksubscription_change", args=[subscription.pk]))
    assert page.status_code == 200
    assert subscription.secret not in page.content.decode()
    assert b"Hidden: shown to those who manage webhook subscriptions." in page.content
    log = client.get(reverse("admin:claims_webhookdelivery_change", args=[delivery.pk]))
    assert log.status_code == 200 and delivery.message_id in log.content.decode()
    assert b"redeliver" not in client.get(reverse("admin:claims_webhookdelivery_changelist")).content
    assert client.get(reverse("admin:claims_webhooksubscription_add")).status_code == 403

    client.force_login(staff["reviewer"])
    assert client.get(reverse("admin:claims_webhookdelivery_changelist")).status_code == 403

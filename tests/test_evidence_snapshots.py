"""Evidence snapshots, link rot and drift (claims.evidence.snapshots), against a real
HTTP server on 127.0.0.1.

No test sends traffic anywhere else: ``connections`` refuses any connection to
another address, and the host names the tests use (site-a.test, site-b.test,
intranet.test) are answered by a fake resolver.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import time

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from claims import outbox, tasks
from claims.evidence import snapshots
from claims.evidence.sources import save_source
from claims.models import APIKey, Claim, Evidence, EvidenceCheck, LinkCheckHost, Notification, OutboxMessage
from claims.review import editing, workflow

from .factories import ClaimFactory, EvidenceFactory, add_verdict_draft, advance
from .httpserver import LocalHTTPServer
from .workers import celery_worker, output_of, require_broker, unique_prefix

pytestmark = pytest.mark.django_db

S = Evidence.LinkStatus
SNAPSHOT_TASK = "claims.tasks.snapshot_evidence"
CHECK_TASK = "claims.tasks.check_evidence_link"

REPORT = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Labour force survey 2025</title></head>'
    "<body><nav>Home / Statistics / Labour</nav><article><h1>Labour force survey 2025</h1>"
    "<p>Unemployment fell by 1.1 percent in 2025, according to the labour force survey published by the "
    "statistics office on 12 March 2026.</p>"
    "<p>The survey covers 48,000 households in every region and is the official measure of unemployment "
    "in the country, the office said.</p></article>"
    "<footer>© Statistics Office. All rights reserved.</footer></body></html>"
).encode()
REPORT_REVISED = REPORT.replace(b"fell by 1.1 percent", b"fell by 0.4 percent")
REPORT_REVISED_AGAIN = REPORT.replace(b"fell by 1.1 percent", b"rose by 0.2 percent")
OTHER = (
    b"<!doctype html><html><head><title>Budget</title></head><body><article><p>The transit budget for 2026 "
    b"sets aside 14.2 million dollars for the fare replacement subsidy, the city council decided.</p>"
    b"</article></body></html>"
)

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture(autouse=True)
def connections(urllib3_connections) -> list[tuple[str, int]]:
    return urllib3_connections


@pytest.fixture
def dns(monkeypatch) -> dict[str, str]:
    """The fake resolver's answers; a *.test name missing from it does not resolve."""
    answers = {"site-a.test": "127.0.0.1", "site-b.test": "127.0.0.1", "intranet.test": "10.0.0.5"}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        if host.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


class Site:
    """A local web server whose pages a test can change, stop, or redirect."""

    def __init__(self, server: LocalHTTPServer) -> None:
        self.server = server
        self.pages: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.hits: list[tuple[str, str, float]] = []  # (host header, path, time)

    def serve(self, path: str, body: bytes = REPORT, *, status: int = 200, headers: dict | None = None) -> str:
        self.pages[path] = (status, body, headers or {})

        @self.server.route(path)
        def page(request, path=path):
            self.hits.append((request.headers.get("Host", "").split(":")[0], path, time.monotonic()))
            status, body, headers = self.pages[path]
            request.reply(status, body, headers=headers)

        return self.url(path)

    def url(self, path: str, host: str = "site-a.test") -> str:
        return self.server.url(path, host=host)

    def requests_for(self, path: str) -> int:
        return sum(1 for _, p, _ in self.hits if p == path)


@pytest.fixture
def site(settings, dns):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost", "site-a.test", "site-b.test"]
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 0
    settings.FACTCHECK_LINK_GONE_AFTER = 3
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with LocalHTTPServer() as server:
        yield Site(server)


def attach(claim: Claim, url: str, capture, **fields) -> Evidence:
    """Attach a source, committing, so that the in-process relay takes its snapshot as a worker would."""
    with capture(execute=True):
        evidence = EvidenceFactory(claim=claim, url=url, **fields)
    evidence.refresh_from_db()
    return evidence


def published_claim(editor, reviewer, site: Site, capture, paths=("/report", "/budget")) -> list[Evidence]:
    """A published fact-check whose sources (on site-a.test, then site-b.test, ...) were archived while researched."""
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, reviewer)
    hosts = ["site-a.test", "site-b.test", "localhost"]
    evidence = []
    for i, path in enumerate(paths):
        if path not in site.pages:
            site.serve(path, REPORT if i == 0 else OTHER)
        stance = Evidence.Stance.REFUTES if i == 0 else Evidence.Stance.CONTEXT
        evidence.append(attach(claim, site.url(path, host=hosts[i % len(hosts)]), capture, stance=stance))
    advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    return evidence


def age(evidence: Evidence, hours: float = 25) -> None:
    """Pretend the last check was `hours` ago (past FACTCHECK_LINK_CHECK_HOURS = 24)."""
    Evidence.objects.filter(pk=evidence.pk).update(link_checked_at=F("link_checked_at") - dt.timedelta(hours=hours))


def api_client(user) -> APIClient:
    _, key = APIKey.objects.create_key(name=f"{user.username}-write", user=user, scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


# --- Snapshots ----------------------------------------------------------------------


def test_attached_page_gets_its_snapshot_with_the_sha256_of_body_and_text(
    site, editor, reviewer, django_capture_on_commit_callbacks
):
    url = site.serve("/report")
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(reviewer).post(
            f"/api/v1/claims/{claim.pk}/evidence/", {"url": url, "stance": "refutes"}, format="json"
        )
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get(pk=response.json()["id"])

    assert evidence.snapshot_sha256 == hashlib.sha256(REPORT).hexdigest()
    assert "Unemployment fell by 1.1 percent in 2025" in evidence.snapshot_text
    assert "48,000 households" in evidence.snapshot_text
    assert "All rights reserved" not in evidence.snapshot_text  # the main text, not the page's furniture
    normalised = " ".join(evidence.snapshot_text.split()).casefold()
    assert evidence.snapshot_text_sha256 == hashlib.sha256(normalised.encode()).hexdigest()
    assert evidence.snapshot_http_status == 200
    assert evidence.snapshot_final_url == url
    assert before <= evidence.snapshot_fetched_at <= timezone.now()
    assert evidence.snapshot_error == ""
    assert (evidence.link_status, evidence.link_failures) == (S.OK, 0)
    check = evidence.checks.get()
    assert (check.kind, check.link_status, check.http_status) == (EvidenceCheck.Kind.SNAPSHOT, S.OK, 200)
    assert (check.body_sha256, check.text_sha256) == (evidence.snapshot_sha256, evidence.snapshot_text_sha256)
    assert site.requests_for("/report") == 1
    # The internal API shows the hash once it is there.
    listed = api_client(reviewer).get(f"/api/v1/claims/{claim.pk}/evidence/").json()
    assert listed[0]["snapshot_sha256"] == hashlib.sha256(REPORT).hexdigest()


def admin_post_data(response) -> dict:
    """The change form's current values, as the browser would post them back (with every inline's management form)."""

    def put(data, name, value):
        if value is None or value is False:
            return
        if value is True:
            data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        elif isinstance(value, (dt.date, dt.datetime)):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)

    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        put(data, name, form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            put(data, f"{formset.prefix}-{name}", formset.management_form[name].value())
        for sub in formset.forms:
            for name in sub.fields:
                put(data, sub.add_prefix(name), sub[name].value())
    return data


def test_every_way_of_attaching_a_source_queues_its_snapshot_in_the_same_transaction(
    client, superuser, reviewer, editor, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in production: queued, nothing fetched here
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    client.force_login(superuser)

    # 1. The evidence inline on the claim's page.
    change_url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = admin_post_data(client.get(change_url))
    data.update(
        {
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-url": "https://stats.example.org/inline",
            "evidence-0-stance": "refutes",
            "evidence-0-source_type": "dataset",
            "evidence-0-claim": str(claim.pk),
            "_continue": "1",
        }
    )
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context and [
        f.errors for f in response.context["inline_admin_formsets"][0].formset.forms
    ]
    # 2. The evidence changelist's add form.
    response = client.post(
        reverse("admin:claims_evidence_add"),
        {"claim": claim.pk, "url": "https://stats.example.org/added", "stance": "supports", "source_type": "other"},
    )
    assert response.status_code == 302
    # 3. The internal API.
    response = api_client(reviewer).post(
        f"/api/v1/claims/{claim.pk}/evidence/", {"url": "https://stats.example.org/api", "stance": "context"}
    )
    assert response.status_code == 201
    # 4. Code (the demo command, factories): through the evidence service, as the others.
    EvidenceFactory(claim=claim, url="https://stats.example.org/code")

    queued = {m.kwargs["evidence_id"]: m for m in OutboxMessage.objects.filter(task=SNAPSHOT_TASK)}
    evidence = {e.url.rsplit("/", 1)[1]: e.pk for e in claim.evidence.all()}
    assert set(evidence) == {"inline", "added", "api", "code"}
    assert set(queued) == set(evidence.values())
    assert all(m.queue == settings.FACTCHECK_FETCH_QUEUE for m in queued.values())

    # A source whose transaction rolls back leaves no work behind.
    with pytest.raises(RuntimeError), transaction.atomic():
        EvidenceFactory(claim=claim, url="https://stats.example.org/rolled-back")
        raise RuntimeError
    assert OutboxMessage.objects.filter(task=SNAPSHOT_TASK).count() == 4
    # Editing a source without changing its address queues nothing.
    source = Evidence.objects.get(pk=evidence["code"])
    source.title = "Retitled"
    source.save()
    assert OutboxMessage.objects.filter(task=SNAPSHOT_TASK).count() == 4


def test_attaching_a_source_does_not_fail_when_its_fetch_fails(
    site, editor, reviewer, django_capture_on_commit_callbacks
):
    url = site.serve("/broken", b"oops", status=500)
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(reviewer).post(
            f"/api/v1/claims/{claim.pk}/evidence/", {"url": url, "stance": "refutes"}, format="json"
        )
    assert response.status_code == 201
    evidence = Evidence.objects.get(pk=response.json()["id"])
    assert evidence.snapshot_fetched_at is None and evidence.snapshot_sha256 == ""
    assert "answered 500 Internal Server Error" in evidence.snapshot_error
    assert (evidence.link_status, evidence.link_failures) == (S.ERROR, 1)
    assert evidence.checks.get().http_status == 500


def test_a_transient_failure_is_stored_and_retried_until_the_last_attempt(site, editor, reviewer):
    url = site.serve("/busy", b"try later", status=503)
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    evidence = EvidenceFactory(claim=claim, url=url)  # not committed: the snapshot is taken by hand below

    from claims.fetching import FetchError

    with pytest.raises(FetchError):
        snapshots.take_snapshot(evidence.pk, final_attempt=False)
    evidence.refresh_from_db()
    assert "503 Service Unavailable" in evidence.snapshot_error
    assert evidence.link_status == S.UNCHECKED  # still "not yet archived": another attempt follows

    site.pages["/busy"] = (200, REPORT, {})
    assert snapshots.take_snapshot(evidence.pk, final_attempt=False) == "archived"
    evidence.refresh_from_db()
    assert evidence.snapshot_sha256 == hashlib.sha256(REPORT).hexdigest()
    assert evidence.snapshot_error == ""
    assert list(evidence.checks.order_by("pk").values_list("link_status", "http_status")) == [
        (S.UNCHECKED, 503),
        (S.OK, 200),
    ]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.5/internal/report", "10.0.0.5 is a private address"),
        ("http://intranet.test/report", "intranet.test resolves to 10.0.0.5, a private address"),
        ("http://127.0.0.1:9/report", "127.0.0.1 is a loopback address"),
    ],
)
def test_a_private_address_is_refused_and_recorded(
    site, editor, reviewer, connections, django_capture_on_commit_callbacks, url, reason
):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    evidence = attach(claim, url, django_capture_on_commit_callbacks)
    assert connections == [], "a connection was attempted"
    assert evidence.link_status == S.ERROR
    assert evidence.snapshot_error.startswith("Refused to fetch")
    assert reason in evidence.snapshot_error
    check = evidence.checks.get()
    assert check.error == evidence.snapshot_error and check.http_status is None
    # A refusal is not "gone": repeated, it stays an error, counted.
    for _ in range(3):
        age(evidence)
        snapshots.check_link(evidence.pk)
    evidence.refresh_from_db()
    assert (evidence.link_status, evidence.link_failures) == (S.ERROR, 4)
    assert connections == []


def test_changing_a_sources_address_starts_its_record_afresh(
    site, editor, reviewer, django_capture_on_commit_callbacks
):
    first = site.serve("/report")
    second = site.serve("/budget", OTHER)
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    evidence = attach(claim, first, django_capture_on_commit_callbacks)
    assert evidence.snapshot_sha256 == hashlib.sha256(REPORT).hexdigest()

    # The reference snapshot is kept as taken.
    evidence.snapshot_sha256 = "0" * 64
    with pytest.raises(ValueError, match="kept as taken"):
        evidence.save()
    evidence.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        evidence.url = second
        save_source(evidence)
    evidence.refresh_from_db()
    assert evidence.snapshot_sha256 == hashlib.sha256(OTHER).hexdigest()
    assert "14.2 million dollars" in evidence.snapshot_text
    assert evidence.snapshot_final_url == second
    assert list(evidence.checks.order_by("pk").values_list("url", flat=True)) == [first, second]


# --- Link checks ---------------------------------------------------------------------


def test_a_check_after_the_page_changes_records_drift_once(site, editor, reviewer, django_capture_on_commit_callbacks):
    report, _ = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    reference = (report.snapshot_sha256, report.snapshot_text_sha256, report.snapshot_text)

    age(report)
    assert snapshots.check_link(report.pk) == S.OK  # unchanged: nothing to report
    report.refresh_from_db()
    assert report.link_changed_at is None

    site.pages["/report"] = (200, REPORT_REVISED, {})
    age(report)
    assert snapshots.check_link(report.pk) == S.CHANGED
    report.refresh_from_db()
    assert report.link_status == S.CHANGED
    first_seen = report.link_changed_at
    assert first_seen is not None
    drift = report.checks.order_by("-pk").first()
    assert drift.status_changed and drift.kind == EvidenceCheck.Kind.CHECK
    assert drift.body_sha256 == hashlib.sha256(REPORT_REVISED).hexdigest()
    assert drift.text_sha256 != reference[1]
    # The reference snapshot is untouched.
    assert (report.snapshot_sha256, report.snapshot_text_sha256, report.snapshot_text) == reference

    # The same drift seen again is not recorded again.
    age(report)
    assert snapshots.check_link(report.pk) == S.CHANGED
    report.refresh_from_db()
    assert report.link_changed_at == first_seen
    assert not report.checks.order_by("-pk").first().status_changed

    # A further change is.
    site.pages["/report"] = (200, REPORT_REVISED_AGAIN, {})
    age(report)
    assert snapshots.check_link(report.pk) == S.CHANGED
    report.refresh_from_db()
    assert report.link_changed_at > first_seen
    assert report.checks.order_by("-pk").first().status_changed
    assert list(report.checks.filter(status_changed=True).values_list("link_status", flat=True)) == [S.CHANGED] * 2


def stop_serving(site: Site, path: str, how: str, dns: dict) -> None:
    if how == "server stopped":
        site.server.__exit__(None, None, None)
    elif how == "404":
        site.pages[path] = (404, b"not found", {})
    else:
        del dns["site-a.test"]


@pytest.mark.parametrize("how", ["server stopped", "404", "no such host"])
def test_repeated_failures_mark_the_source_gone_after_the_threshold_not_before(
    site, editor, reviewer, dns, django_capture_on_commit_callbacks, how
):
    report, _ = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    stop_serving(site, "/report", how, dns)

    seen = []
    for _ in range(4):
        age(report)
        snapshots.check_link(report.pk)
        report.refresh_from_db()
        seen.append((report.link_status, report.link_failures))
    assert seen == [(S.ERROR, 1), (S.ERROR, 2), (S.GONE, 3), (S.GONE, 4)]
    assert report.link_error.startswith("Could not fetch")
    assert list(report.checks.filter(status_changed=True).order_by("pk").values_list("link_status", flat=True)) == [
        S.ERROR,
        S.GONE,
    ]
    # The reference snapshot outlives the page.
    assert report.snapshot_sha256 == hashlib.sha256(REPORT).hexdigest()


def test_the_fact_checks_author_and_approver_are_told_once_when_a_source_is_gone(
    site, editor, reviewer, django_capture_on_commit_callbacks
):
    report, _ = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    site.pages["/report"] = (404, b"not found", {})
    for _ in range(4):  # error, error, gone, still gone: one notice each, at the change to gone
        age(report)
        with django_capture_on_commit_callbacks(execute=True):
            snapshots.check_link(report.pk)
    report.refresh_from_db()
    assert report.link_status == S.GONE
    told = Notification.objects.filter(verb="source_broken")
    assert sorted(n.recipient.username for n in told) == sorted([editor.username, reviewer.username])
    assert all(n.claim_id == report.claim_id and " is gone: " in n.detail for n in told)
    # The task retried (a lost acknowledgement) tells nobody twice.
    assert tasks.notify_source_broken(evidence_id=report.pk, gone_at=report.link_changed_at.isoformat()) == 0
    assert told.count() == 2


def test_a_source_that_comes_back_is_ok_again(site, editor, reviewer, django_capture_on_commit_callbacks):
    report, _ = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    site.pages["/report"] = (503, b"down", {})
    for _ in range(3):
        age(report)
        snapshots.check_link(report.pk)
    report.refresh_from_db()
    assert report.link_status == S.GONE
    site.pages["/report"] = (200, REPORT, {})
    age(report)
    assert snapshots.check_link(report.pk) == S.OK
    report.refresh_from_db()
    assert (report.link_status, report.link_failures, report.link_error) == (S.OK, 0, "")
    assert report.checks.order_by("-pk").first().status_changed


def test_a_redirect_to_another_address_is_moved_but_one_seen_at_snapshot_time_is_not(
    site, editor, reviewer, django_capture_on_commit_callbacks
):
    site.serve("/landing", REPORT)
    site.serve("/short", b"", status=302, headers={"Location": site.url("/landing")})
    site.serve("/budget", OTHER)
    short, budget = published_claim(
        editor, reviewer, site, django_capture_on_commit_callbacks, paths=("/short", "/budget")
    )
    # Redirected when archived: the final URL at snapshot time is the reference.
    assert short.snapshot_final_url == site.url("/landing")
    age(short)
    assert snapshots.check_link(short.pk) == S.OK

    site.serve("/budget-2026", OTHER)
    site.pages["/budget"] = (301, b"", {"Location": site.url("/budget-2026", host="site-b.test")})
    age(budget)
    assert snapshots.check_link(budget.pk) == S.MOVED
    budget.refresh_from_db()
    assert budget.link_status == S.MOVED
    assert budget.link_final_url == site.url("/budget-2026", host="site-b.test")
    assert budget.link_changed_at is not None
    assert budget.snapshot_final_url == site.url("/budget", host="site-b.test")


def test_snapshot_and_link_check_tasks_run_twice_change_nothing_twice(
    site, settings, editor, reviewer, django_capture_on_commit_callbacks
):
    report, budget = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)

    def state():
        rows = Evidence.objects.order_by("pk").values_list(
            "snapshot_sha256", "snapshot_fetched_at", "link_status", "link_checked_at", "link_changed_at"
        )
        return list(rows), EvidenceCheck.objects.count(), list(site.hits)

    # A snapshot message delivered again.
    before = state()
    assert tasks.snapshot_evidence.apply(kwargs={"evidence_id": report.pk}).get() == "already done"
    assert state() == before

    # Planned while the broker is away: a second run does not plan the same checks again.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    age(report)
    age(budget)
    assert snapshots.plan_link_checks() == 2
    assert snapshots.plan_link_checks() == 0
    assert OutboxMessage.objects.filter(task=CHECK_TASK).count() == 2
    OutboxMessage.objects.filter(task=CHECK_TASK).delete()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    Evidence.objects.filter(pk__in=[report.pk, budget.pk]).update(
        link_checked_at=F("link_checked_at") + dt.timedelta(hours=25)
    )
    assert state() == before

    # The periodic run: the first checks both sources, a second straight after checks nothing.
    site.pages["/report"] = (200, REPORT_REVISED, {})
    age(report)
    age(budget)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_evidence_links.apply().get() == 2
    once = state()
    assert once[1] == before[1] + 2 and len(once[2]) == len(before[2]) + 2
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_evidence_links.apply().get() == 0
    # The same check message delivered twice.
    assert tasks.check_evidence_link.apply(kwargs={"evidence_id": report.pk}).get() == "checked recently"
    assert state() == once

    # An editor's re-check runs once, however often its message arrives.
    with django_capture_on_commit_callbacks(execute=True):
        assert snapshots.queue_link_checks([report.pk]) == 1
    rechecked = state()
    assert rechecked[1] == once[1] + 1
    message = OutboxMessage.objects.filter(task=CHECK_TASK, kwargs__has_key="requested_at").get()
    assert tasks.check_evidence_link.apply(kwargs=message.kwargs).get() == "checked recently"
    assert state() == rechecked
    report.refresh_from_db()
    assert report.link_status == S.CHANGED
    assert report.checks.filter(status_changed=True).count() == 1


# --- Rate limits and planning -----------------------------------------------------------


def test_one_request_per_host_per_interval(site, settings, editor, reviewer, django_capture_on_commit_callbacks):
    site.serve("/report")
    site.serve("/budget", OTHER)
    first, second = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 2
    # A third source on site-a.test, the host of the first.
    more = attach(first.claim, site.url("/budget", host="site-a.test"), django_capture_on_commit_callbacks)
    for evidence in (first, second, more):
        age(evidence)
    hits = len(site.hits)

    assert snapshots.check_link(first.pk) == S.OK
    with pytest.raises(snapshots.HostBusy) as busy:
        snapshots.check_link(more.pk)
    assert 0 < busy.value.wait <= 2 and busy.value.host == "site-a.test"
    # Without a broker nobody can retry later: the task says so and records nothing.
    assert tasks.check_evidence_link.apply(kwargs={"evidence_id": more.pk}).get() == "host busy"
    assert snapshots.check_link(second.pk) == S.OK  # another host is free
    assert len(site.hits) == hits + 2

    time.sleep(2.1)
    assert snapshots.check_link(more.pk) == S.OK
    a_hits = [t for host, _, t in site.hits if host == "site-a.test"]
    assert a_hits[-1] - a_hits[-2] >= 2


def test_racing_workers_get_one_slot_per_host(site, settings):
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 10
    now = timezone.now()
    assert snapshots.reserve_host("site-a.test", now=now) == 0
    assert snapshots.reserve_host("site-a.test", now=now) == 10
    assert snapshots.reserve_host("site-a.test", now=now + dt.timedelta(seconds=4)) == 6
    assert snapshots.reserve_host("site-b.test", now=now) == 0
    assert snapshots.reserve_host("site-a.test", now=now + dt.timedelta(seconds=10)) == 0
    assert LinkCheckHost.objects.get(host="site-a.test").next_request_at == now + dt.timedelta(seconds=20)


def test_the_plan_spreads_each_hosts_checks_and_interleaves_hosts(site, settings, editor, reviewer):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 20
    claim = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    for i in range(4):
        EvidenceFactory(claim=claim, url=f"https://a.example/{i}")
    for i in range(2):
        EvidenceFactory(claim=claim, url=f"https://www.b.example/{i}")
    EvidenceFactory(claim=ClaimFactory(), url="https://a.example/unpublished")
    OutboxMessage.objects.all().delete()
    now = timezone.now()

    assert snapshots.plan_link_checks(now=now) == 5  # ours: the factory's two were checked when archived
    planned = [
        (m.available_at, Evidence.objects.get(pk=m.kwargs["evidence_id"]).domain)
        for m in OutboxMessage.objects.filter(task=CHECK_TASK).order_by("pk")
    ]
    offsets = [(round((at - now).total_seconds()), host) for at, host in planned]
    a = [o for o, host in offsets if host == "a.example"]
    b = [o for o, host in offsets if host == "b.example"]
    # One a minute per 20 s: the fourth source of a.example waits for the next run.
    assert a == [0, 20, 40] and b == [0, 20]
    # Hosts interleaved: every host's first check is queued before any host's second.
    assert [o for o, _ in offsets] == sorted(o for o, _ in offsets)
    assert "a.example/unpublished" not in str([m.kwargs for m in OutboxMessage.objects.all()])


def test_the_plan_takes_the_oldest_checked_first_and_is_bounded(site, settings, editor, reviewer):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_LINK_CHECK_BATCH = 3
    claim = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    now = timezone.now()
    ages = {"recent": 1, "old": 30, "older": 40, "oldest": 50, "never": None}
    for name, hours in ages.items():
        evidence = EvidenceFactory(claim=claim, url=f"https://{name}.example/")
        checked = None if hours is None else now - dt.timedelta(hours=hours)
        Evidence.objects.filter(pk=evidence.pk).update(link_checked_at=checked)
    Evidence.objects.exclude(url__contains=".example/").update(link_checked_at=now)  # advance()'s own two
    OutboxMessage.objects.all().delete()

    assert snapshots.plan_link_checks(now=now) == 3
    hosts = [Evidence.objects.get(pk=m.kwargs["evidence_id"]).domain for m in OutboxMessage.objects.order_by("pk")]
    assert hosts == ["never.example", "oldest.example", "older.example"]


def test_a_busy_host_starts_later_in_the_plan(site, settings, editor, reviewer):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 20
    claim = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    EvidenceFactory(claim=claim, url="https://a.example/1")
    OutboxMessage.objects.all().delete()
    now = timezone.now()
    LinkCheckHost.objects.create(host="a.example", next_request_at=now + dt.timedelta(seconds=15))
    snapshots.plan_link_checks(now=now)
    message = next(
        m
        for m in OutboxMessage.objects.filter(task=CHECK_TASK)
        if Evidence.objects.get(pk=m.kwargs["evidence_id"]).domain == "a.example"
    )
    assert message.available_at == now + dt.timedelta(seconds=15)


# --- Admin and public API ------------------------------------------------------------------


def test_badges_queue_and_recheck_in_the_admin(
    client, editor, reviewer, site, settings, django_capture_on_commit_callbacks
):
    report, budget = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    healthy, _ = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    site.pages["/report"] = (200, REPORT_REVISED, {})
    age(report)
    snapshots.check_link(report.pk)
    client.force_login(editor)

    changelist = client.get(reverse("admin:claims_evidence_changelist")).content.decode()
    assert changelist.count('class="link-badge link-changed"') == 1
    assert changelist.count('class="link-badge link-ok"') == 3
    page = client.get(reverse("admin:claims_claim_change", args=[report.claim_id])).content.decode()
    assert 'class="link-badge link-changed"' in page and 'class="link-badge link-ok"' in page
    history = client.get(reverse("admin:claims_evidence_change", args=[report.pk])).content.decode()
    assert "Link check" in history and "(changed)" in history

    queue = client.get(reverse("admin:claims_claim_changelist") + "?queue=sources").content.decode()
    assert report.claim.text in queue
    assert healthy.claim.text not in queue

    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "recheck_sources_selected", "_selected_action": [report.claim_id]},
    )
    assert response.status_code == 302
    queued = OutboxMessage.objects.filter(task=CHECK_TASK, sent_at__isnull=True)
    assert sorted(m.kwargs["evidence_id"] for m in queued) == sorted([report.pk, budget.pk])
    assert all("requested_at" in m.kwargs for m in queued)


def test_the_sources_queue_costs_the_same_however_many_claims(
    client, editor, reviewer, site, django_capture_on_commit_callbacks
):
    def broken_fact_check():
        report, _ = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
        Evidence.objects.filter(pk=report.pk).update(link_status=S.GONE, link_failures=3)

    url = reverse("admin:claims_claim_changelist") + "?queue=sources"
    client.force_login(editor)
    broken_fact_check()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        broken_fact_check()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="field-short_text"') == 5
    assert len(many) == len(few)


def test_the_public_api_shows_each_sources_snapshot_hash_and_date(
    client, editor, reviewer, site, django_capture_on_commit_callbacks
):
    report, budget = published_claim(editor, reviewer, site, django_capture_on_commit_callbacks)
    body = client.get(f"/api/v1/fact-checks/{report.claim_id}/").json()
    by_url = {item["url"]: item for item in body["evidence"]}
    for evidence in (report, budget):
        item = by_url[evidence.url]
        assert item["snapshot_sha256"] == evidence.snapshot_sha256
        assert dt.datetime.fromisoformat(item["snapshot_date"]) == evidence.snapshot_fetched_at
        # The desk's link status is its own business.
        assert not any(key.startswith("link") for key in item)
    assert by_url[report.url]["snapshot_sha256"] == hashlib.sha256(REPORT).hexdigest()


# --- Through a real worker ----------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_snapshot_and_link_check_through_the_outbox_and_a_real_worker(settings, editor, reviewer, default_scale):
    require_broker()
    prefix = unique_prefix()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_FETCH_QUEUE = prefix + "fetch"
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    env = {
        "FACTCHECK_QUEUE_PREFIX": prefix,
        "FACTCHECK_FETCH_TEST_HOSTS": "localhost",
        "FACTCHECK_LINK_CHECK_HOST_SECONDS": "0",
    }
    with LocalHTTPServer() as server:
        site = Site(server)
        site.serve("/report")
        site.serve("/budget", OTHER)
        claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
        add_verdict_draft(claim, reviewer)
        report = EvidenceFactory(claim=claim, url=site.url("/report", host="localhost"), stance="refutes")
        # Refused: 127.0.0.1 is not one of the test host names allowed to be loopback.
        EvidenceFactory(claim=claim, url=site.url("/budget", host="127.0.0.1"))
        with celery_worker([settings.FACTCHECK_FETCH_QUEUE], env=env) as proc:

            def relay_until(done, what: str, timeout: float = 60) -> None:
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    if proc.poll() is not None:
                        pytest.fail(f"the worker died:\n{output_of(proc)}")
                    outbox.relay()
                    if done():
                        return
                    time.sleep(0.2)
                pytest.fail(f"{what} not done within {timeout} s\nworker output:\n{output_of(proc)}")

            relay_until(lambda: Evidence.objects.exclude(link_status=S.UNCHECKED).count() == 2, "snapshots")
            report.refresh_from_db()
            assert report.snapshot_sha256 == hashlib.sha256(REPORT).hexdigest()
            assert report.link_status == S.OK
            refused = Evidence.objects.get(url__contains="127.0.0.1")
            assert refused.link_status == S.ERROR and "loopback address" in refused.snapshot_error

            # Publication waits for it until an editor cites it without its archive.
            with pytest.raises(workflow.GuardFailed, match="not archived yet"):
                advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
            editing.override_archive(refused.pk, by=editor, reason="Our fetcher may not reach it.")
            advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
            site.pages["/report"] = (200, REPORT_REVISED, {})
            Evidence.objects.update(link_checked_at=timezone.now() - dt.timedelta(days=2))
            assert snapshots.plan_link_checks() == 2
            relay_until(
                lambda: not Evidence.objects.filter(link_checked_at__lt=timezone.now() - dt.timedelta(days=1)).exists(),
                "link checks",
            )
            report.refresh_from_db()
            assert report.link_status == S.CHANGED
            assert site.requests_for("/report") == 2

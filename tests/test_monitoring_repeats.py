"""Repeats: a monitored article that rewords a claim we already published is
flagged as a repeat, listed in the Repeats queue and linked with one action."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.matching import backends
from claims.models import Claim, ClaimRepeat, ReviewEvent, Verdict, WatchedSource
from claims.monitoring import polling, repeats

from .factories import ClaimFactory, OutletFactory, advance
from .httpserver import LocalHTTPServer
from .test_monitoring_polling import rss

pytestmark = pytest.mark.django_db

CHECKED = "Unemployment in Riverton fell by 3.1 percent last year, the lowest rate since 1969."
REWORDED_PAGE = (
    "<!doctype html><html><head><title>Council budget</title></head><body><article><h1>Council budget</h1>"
    "<p>Riverton's council met on Tuesday to discuss the budget for next year and the state of the roads.</p>"
    "<p>Last year Riverton's jobless rate dropped 3.1 percent to its lowest level since 1969, Mayor Dana Whitfield claimed.</p>"
    "<p>The meeting ended late in the evening after a long debate about bus routes.</p>"
    "</article></body></html>"
)


@pytest.fixture(autouse=True)
def fresh_matching_caches():
    backends.forget_stats()
    backends.forget_memory_indexes()
    yield
    backends.forget_stats()
    backends.forget_memory_indexes()


@pytest.fixture
def published(editor, reviewer, default_scale) -> Claim:
    return advance(ClaimFactory(text=CHECKED), Claim.Status.PUBLISHED, editor, reviewer)


def poll_reworded_article(settings, django_capture_on_commit_callbacks) -> Claim:
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    settings.FACTCHECK_LINK_CHECK_HOST_SECONDS = 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with LocalHTTPServer() as server:

        @server.route("/feed.xml")
        def feed(request):
            request.reply(200, rss(server.url(""), ["/council-budget"]), content_type="application/rss+xml")

        @server.route("/council-budget")
        def page(request):
            request.reply(200, REWORDED_PAGE.encode())

        source = WatchedSource.objects.create(
            outlet=OutletFactory(domain="localhost"), kind="feed", url=server.url("/feed.xml")
        )
        # Polling submits the article; after the commit it is fetched, its claims extracted and matched.
        with django_capture_on_commit_callbacks(execute=True):
            assert polling.poll_now(source.pk).outcome == "new"
    return Claim.objects.get(article__url=server.url("/council-budget"), sentence__contains="jobless rate")


def test_a_reworded_claim_from_a_monitored_outlet_is_a_repeat_in_the_queue_and_one_action_links_it(
    settings, django_capture_on_commit_callbacks, published, client, editor
):
    candidate = poll_reworded_article(settings, django_capture_on_commit_callbacks)
    repeat = ClaimRepeat.objects.get(claim=candidate)
    verdict = Verdict.objects.get(claim=published, status="published")
    assert repeat.original_id == published.pk and repeat.rating_label == verdict.rating.label
    rated_on = timezone.localtime(verdict.published_at)
    assert str(repeat) == f"repeated claim: already rated {verdict.rating.label} on {rated_on.day} {rated_on:%B %Y}"
    # Flagging again changes nothing.
    assert repeats.flag_repeats([candidate.pk]) == 0

    client.force_login(editor)
    queue = reverse("admin:claims_repeatqueueclaim_changelist")
    page = client.get(queue).content.decode()
    assert "jobless rate" in page and "repeated claim: already rated" in page

    events_before = ReviewEvent.objects.filter(claim=candidate).count()
    response = client.post(queue, {"action": "link_to_original", "_selected_action": [candidate.pk]}, follow=True)
    assert "1 repeat(s) linked to their fact-check." in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == Claim.Status.DUPLICATE and candidate.duplicate_of_id == published.pk
    events = ReviewEvent.objects.filter(claim=candidate)
    assert events.count() == events_before + 1
    assert events.latest("pk").action == "claims.claim.marked_duplicate"
    # Linked repeats leave the queue.
    assert "jobless rate" not in client.get(queue).content.decode()


def test_a_claim_matching_only_unpublished_work_is_not_a_repeat(
    settings, django_capture_on_commit_callbacks, editor, reviewer, default_scale
):
    advance(ClaimFactory(text=CHECKED), Claim.Status.IN_RESEARCH, editor, reviewer)
    candidate = poll_reworded_article(settings, django_capture_on_commit_callbacks)
    assert candidate.matches.exists()
    assert not ClaimRepeat.objects.filter(claim=candidate).exists()


def test_reviewers_cannot_link_repeats(settings, django_capture_on_commit_callbacks, published, client, reviewer):
    candidate = poll_reworded_article(settings, django_capture_on_commit_callbacks)
    client.force_login(reviewer)
    queue = reverse("admin:claims_repeatqueueclaim_changelist")
    client.post(queue, {"action": "link_to_original", "_selected_action": [candidate.pk]}, follow=True)
    candidate.refresh_from_db()
    assert candidate.status == Claim.Status.CANDIDATE


def test_the_dashboard_counts_repeats_per_fact_check_per_week(published, editor, client):
    now = timezone.now()
    for n, weeks_ago in enumerate((0, 0, 1)):
        claim = ClaimFactory(text=f"Riverton unemployment fell 3.1 percent, said speaker number {n}.")
        ClaimRepeat.objects.create(
            claim=claim,
            original=published,
            score=0.9,
            rating_label="False",
            rated_at=now,
            found_at=now - dt.timedelta(weeks=weeks_ago),
        )
    mondays, rows = repeats.weekly_repeats(now)
    assert len(rows) == 1 and rows[0].original_id == published.pk
    assert rows[0].counts[-2:] == [1, 2] and rows[0].total == 3
    client.force_login(editor)
    page = client.get("/admin/dashboard/").content.decode()
    assert "Repeats of our fact-checks per week" in page and published.text[:40] in page


def test_a_close_match_giving_other_figures_or_scoring_under_the_threshold_is_not_a_repeat(published, settings):
    from claims.models import ClaimMatch

    other_figures = ClaimFactory(text="Unemployment in Riverton fell by 7 percent last year, the lowest since 2001.")
    same_figures = ClaimFactory(text="Riverton's jobless rate dropped 3.1 percent last year, its lowest since 1969.")
    weak = ClaimFactory(text="Riverton's jobless rate dropped 3.1 percent, they say.")
    for claim, score in ((other_figures, 0.95), (same_figures, 0.6), (weak, 0.3)):
        ClaimMatch.objects.create(claim=claim, matched_claim=published, score=score, rank=1)
    settings.FACTCHECK_REPEAT_MIN_SCORE = 0.5
    assert repeats.flag_repeats([other_figures.pk, same_figures.pk, weak.pk]) == 1
    assert list(ClaimRepeat.objects.values_list("claim_id", flat=True)) == [same_figures.pk]

"""The admin dashboard: status counts, candidates past the triage SLA, the median
time to publication and the weekly publications chart, at a fixed query cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.admin import dashboard
from claims.models import Claim

from .factories import ClaimFactory, ReviewEventFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"
ACCEPTED = "claims.claim.accepted"
PUBLISHED = "claims.verdict.published"


def accepted(claim, at: dt.datetime, actor=None):
    return ReviewEventFactory(
        claim=claim,
        action=ACCEPTED,
        from_status=Claim.Status.CANDIDATE,
        to_status=Claim.Status.ACCEPTED,
        created_at=at,
        actor=actor,
    )


def published(claim, at: dt.datetime, actor=None):
    return ReviewEventFactory(
        claim=claim,
        action=PUBLISHED,
        from_status=Claim.Status.IN_REVIEW,
        to_status=Claim.Status.PUBLISHED,
        created_at=at,
        actor=actor,
    )


def local(*args: int) -> dt.datetime:
    """A time in the project's time zone, where the ISO weeks are counted."""
    return timezone.make_aware(dt.datetime(*args))


def waiting_since(claim, when: dt.datetime) -> None:
    Claim.objects.filter(pk=claim.pk).update(status_changed_at=when)


def test_dashboard_url_is_the_named_route():
    assert reverse("claims-dashboard") == URL


def test_status_counts_list_every_status_with_zeros_and_changelist_links(client, reviewer):
    ClaimFactory.create_batch(3, status=Claim.Status.CANDIDATE)
    ClaimFactory.create_batch(2, status=Claim.Status.PUBLISHED)
    ClaimFactory(status=Claim.Status.SCHEDULED)

    counts = {row.value: row.count for row in dashboard.status_counts()}

    assert list(counts) == list(Claim.Status.values)
    assert counts == dict.fromkeys(Claim.Status.values, 0) | {"candidate": 3, "published": 2, "scheduled": 1}
    client.force_login(reviewer)
    content = client.get(URL).content.decode()
    for value in Claim.Status.values:
        assert f'href="/admin/claims/claim/?status__exact={value}"' in content


def test_overdue_candidate_is_listed_and_fresh_one_is_not(client, reviewer, settings):
    settings.FACTCHECK_TRIAGE_SLA_HOURS = 48
    now = timezone.now()
    overdue = ClaimFactory(text="The overdue claim", checkworthiness=0.8)
    fresh = ClaimFactory(text="The fresh claim")
    old_but_accepted = ClaimFactory(status=Claim.Status.ACCEPTED)
    waiting_since(overdue, now - dt.timedelta(hours=49, minutes=30))
    waiting_since(fresh, now - dt.timedelta(hours=47))
    waiting_since(old_but_accepted, now - dt.timedelta(days=30))

    result = dashboard.overdue_candidates(now)

    assert result.count == 1
    assert [(c.pk, c.hours_waiting, c.checkworthiness) for c in result.oldest] == [(overdue.pk, 49, 0.8)]
    client.force_login(reviewer)
    content = client.get(URL).content.decode()
    assert f'href="/admin/claims/claim/{overdue.pk}/change/"' in content
    assert "The overdue claim" in content
    assert f'href="/admin/claims/claim/{fresh.pk}/change/"' not in content
    assert "The fresh claim" not in content


def test_overdue_table_shows_the_oldest_twenty_but_counts_all(settings):
    settings.FACTCHECK_TRIAGE_SLA_HOURS = 48
    now = timezone.now()
    claims = ClaimFactory.create_batch(22)
    for hours, claim in enumerate(claims, start=50):
        waiting_since(claim, now - dt.timedelta(hours=hours))

    result = dashboard.overdue_candidates(now)

    assert result.count == 22
    assert [c.pk for c in result.oldest] == [c.pk for c in reversed(claims)][:20]
    assert result.oldest[0].hours_waiting == 71


def test_median_uses_first_acceptance_and_first_publication_per_claim(client, reviewer):
    t0 = timezone.now() - dt.timedelta(days=30)
    durations = [dt.timedelta(hours=24), dt.timedelta(hours=48), dt.timedelta(hours=60), dt.timedelta(hours=102)]
    for i, duration in enumerate(durations):
        claim = ClaimFactory(status=Claim.Status.PUBLISHED)
        accepted(claim, t0)
        published(claim, t0 + duration)
        if i == 0:
            # A correction republished later: the first publication counts.
            published(claim, t0 + dt.timedelta(days=20))
    accepted(ClaimFactory(status=Claim.Status.IN_RESEARCH), t0)  # not published yet
    published(ClaimFactory(status=Claim.Status.PUBLISHED), t0)  # no acceptance recorded
    backfilled = ClaimFactory(status=Claim.Status.PUBLISHED)
    published(backfilled, t0)
    accepted(backfilled, t0 + dt.timedelta(days=1))  # history out of order: left out

    median = dashboard.median_accept_to_publish()

    # Median of 24, 48, 60 and 102 hours: 54 hours.
    assert median.seconds == 54 * 3600
    assert median.claims == 4
    assert (median.days, median.hours) == (2, 6)
    client.force_login(reviewer)
    assert "2 days, 6 hours" in client.get(URL).content.decode()


def test_median_says_no_published_claims_yet_without_publications(client, reviewer):
    accepted(ClaimFactory(status=Claim.Status.ACCEPTED), timezone.now())

    assert dashboard.median_accept_to_publish() is None
    client.force_login(reviewer)
    assert "no published claims yet" in client.get(URL).content.decode()


def test_weekly_chart_has_twelve_iso_weeks_with_counts_and_heights():
    now = local(2025, 6, 11, 12, 0)  # Wednesday of 2025-W24
    claim = ClaimFactory(status=Claim.Status.PUBLISHED)
    published(claim, local(2025, 6, 9, 0, 0))  # W24, Monday midnight
    published(claim, local(2025, 6, 11, 11, 0))  # W24
    published(claim, local(2025, 6, 8, 23, 59))  # W23, Sunday night
    published(claim, local(2025, 3, 24, 0, 0))  # W13, the first bar
    published(claim, local(2025, 3, 23, 23, 59))  # W12, too old
    published(claim, local(2025, 6, 16, 0, 0))  # W25, not yet
    accepted(claim, local(2025, 6, 10))  # not a publication

    chart = dashboard.weekly_publications(now, plot_height=160)

    assert len(chart.bars) == 12
    assert [bar.iso_label for bar in chart.bars] == [f"2025-W{week}" for week in range(13, 25)]
    assert [bar.count for bar in chart.bars] == [1] + [0] * 9 + [1, 2]
    assert [bar.height for bar in chart.bars] == [80] + [0] * 9 + [80, 160]
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert (chart.max_count, chart.total) == (2, 4)


def test_weekly_chart_renders_as_inline_svg_with_a_title_per_bar(client, reviewer):
    published(ClaimFactory(status=Claim.Status.PUBLISHED), timezone.now())
    week = dashboard.weekly_publications(timezone.now()).bars[-1].iso_label

    client.force_login(reviewer)
    content = client.get(URL).content.decode()

    assert content.count('<rect class="bar"') == 12
    assert content.count("<title>Week ") == 12
    assert 'role="img"' in content and "aria-label=" in content
    assert f'data-week="{week}" data-count="1"' in content
    assert f"<title>Week {week} (" in content
    assert "<script" not in content.split('<div id="content-main">')[1]


def test_reviewer_can_see_the_dashboard_in_the_admin_chrome(client, reviewer):
    client.force_login(reviewer)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["title"] == "Dashboard"
    assert response.context["site_header"] == "Fact-check desk"
    assert 'class="breadcrumbs"' in response.content.decode()


def test_staff_without_view_claim_gets_403(client):
    client.force_login(UserFactory(username="staff-no-perms"))

    assert client.get(URL).status_code == 403


def test_anonymous_is_redirected_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={URL}"


def make_claims(n: int) -> None:
    """n claims that touch every section: overdue candidates and published ones."""
    now = timezone.now()
    actor = UserFactory(username="actor")
    for i in range(n):
        candidate = ClaimFactory()
        waiting_since(candidate, now - dt.timedelta(days=3, hours=i))
        claim = ClaimFactory(status=Claim.Status.PUBLISHED)
        accepted(claim, now - dt.timedelta(days=10 + i), actor=actor)
        published(claim, now - dt.timedelta(days=i), actor=actor)


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_runs_a_constant_number_of_queries(client, reviewer, django_assert_max_num_queries):
    client.force_login(reviewer)
    make_claims(2)
    few = dashboard_queries(client)
    make_claims(18)

    # 1 session, 2 user, 3-4 the user's and the groups' permissions,
    # 5 claims per status, 6 count of overdue candidates, 7 the oldest 20 of them,
    # 8 first publication per claim, 9 first acceptance per published claim,
    # 10 publications per week, 11 open claims per reviewer and status,
    # 12 the status changes of claims that moved in the last 90 days (time in each stage),
    # 13 claims per tag, 14 the header's unread-notification count, 15 tips per day,
    # 16 repeats per fact-check per week (17, their texts, only when there are some).
    with django_assert_max_num_queries(16):
        response = client.get(URL)
    assert len(response.context["overdue"].oldest) == 20
    assert dashboard_queries(client) == few


def test_workload_counts_open_claims_per_reviewer_busiest_first(client, editor, reviewer, default_scale):
    from claims.review import workflow

    from .factories import advance, member_of

    other = member_of("Reviewers", "other-reviewer")
    for _ in range(2):
        advance(ClaimFactory(), Claim.Status.ASSIGNED, editor, reviewer)
    advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    advance(ClaimFactory(), Claim.Status.IN_REVIEW, editor, other)
    advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, other)  # done: not open work
    workflow.accept(ClaimFactory().pk, by=editor)  # accepted, nobody's yet

    loads = dashboard.reviewer_workload()

    assert [(load.username, load.counts, load.total) for load in loads] == [
        ("reviewer", [2, 1, 0], 3),
        ("other-reviewer", [0, 0, 1], 1),
    ]
    client.force_login(editor)
    content = client.get(URL).content.decode()
    assert f'href="/admin/claims/claim/?assignee={reviewer.pk}"' in content
    assert 'data-reviewer="other-reviewer"' in content


def test_median_time_in_stage_counts_each_visit_from_entry_to_exit(client, editor):
    now = timezone.now()
    start = now - dt.timedelta(days=5)

    def moved(claim, from_status, to_status, at):
        ReviewEventFactory(claim=claim, action="x", from_status=from_status, to_status=to_status, created_at=at)

    S = Claim.Status  # noqa: N806
    quick = ClaimFactory()
    Claim.objects.filter(pk=quick.pk).update(created_at=start)
    moved(quick, S.CANDIDATE, S.ACCEPTED, start + dt.timedelta(hours=2))
    moved(quick, S.ACCEPTED, S.ASSIGNED, start + dt.timedelta(hours=3))
    slow = ClaimFactory()
    Claim.objects.filter(pk=slow.pk).update(created_at=start)
    moved(slow, S.CANDIDATE, S.ACCEPTED, start + dt.timedelta(hours=6))
    moved(slow, S.ACCEPTED, S.ASSIGNED, start + dt.timedelta(hours=26))
    # Back to research once: two research visits of 1 h and 3 h.
    moved(slow, S.ASSIGNED, S.IN_RESEARCH, start + dt.timedelta(hours=27))
    moved(slow, S.IN_RESEARCH, S.IN_REVIEW, start + dt.timedelta(hours=28))
    moved(slow, S.IN_REVIEW, S.IN_RESEARCH, start + dt.timedelta(hours=29))
    moved(slow, S.IN_RESEARCH, S.IN_REVIEW, start + dt.timedelta(hours=32))
    # A claim whose last move is older than the window is left out.
    old = ClaimFactory()
    Claim.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=200))
    moved(old, S.CANDIDATE, S.ACCEPTED, now - dt.timedelta(days=100))

    stages = {stage.status: stage.median for stage in dashboard.median_time_in_stage(now)}

    assert stages[S.CANDIDATE].seconds == 4 * 3600 and stages[S.CANDIDATE].claims == 2
    assert stages[S.ACCEPTED].seconds == (1 + 20) / 2 * 3600
    assert stages[S.IN_RESEARCH].seconds == 2 * 3600 and stages[S.IN_RESEARCH].claims == 2
    assert stages[S.IN_REVIEW].seconds == 3600 and stages[S.IN_REVIEW].claims == 1
    assert stages[S.SCHEDULED] is None
    client.force_login(editor)
    content = client.get(URL).content.decode()
    assert "Median time in each stage" in content and "10 h" in content


def test_status_chart_draws_one_bar_per_status_scaled_to_the_largest(client, editor):
    ClaimFactory.create_batch(4)
    ClaimFactory.create_batch(2, status=Claim.Status.PUBLISHED)

    chart = dashboard.status_chart(dashboard.status_counts(), plot_width=360)

    widths = {bar.status: bar.width for bar in chart.bars}
    assert widths["candidate"] == 360 and widths["published"] == 180 and widths["retracted"] == 0
    client.force_login(editor)
    content = client.get(URL).content.decode()
    assert 'data-status="candidate" data-count="4"' in content


def test_dashboard_counts_claims_per_tag_linking_to_the_filtered_list(client, reviewer):
    from claims.models import Tag

    claims = [ClaimFactory() for _ in range(3)]
    Tag.objects.create(name="elections & votes").claims.add(*claims)
    Tag.objects.create(name="health").claims.add(claims[0])
    Tag.objects.create(name="unused")
    client.force_login(reviewer)
    response = client.get(URL)
    assert response.context["tag_counts"] == [("elections & votes", 3), ("health", 1)]
    assert "?tag=elections%20%26%20votes" in response.content.decode()

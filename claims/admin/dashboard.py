"""The editors' dashboard in the admin: the queue by status, claims waiting past
the triage SLA, how long a check takes and how many get published each week.

The stats are plain functions of the database and a ``now`` so that tests can
call them directly; each runs a fixed number of queries however many claims
there are.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min
from django.db.models.functions import TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ReviewEvent
from claims.monitoring.repeats import weekly_repeats

ACCEPTED_EVENT = "claims.claim.accepted"
PUBLISHED_EVENT = "claims.verdict.published"
OVERDUE_LIMIT = 20
CHART_WEEKS = 12


# --- Stats --------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    value: str
    label: str
    count: int
    url: str


@dataclass(frozen=True)
class OverdueClaim:
    pk: int
    text: str
    url: str
    hours_waiting: int
    checkworthiness: float | None


@dataclass(frozen=True)
class Overdue:
    count: int
    oldest: list[OverdueClaim]
    sla_hours: int


@dataclass(frozen=True)
class Median:
    seconds: float
    claims: int

    @property
    def days(self) -> int:
        return int(round(self.seconds / 3600) // 24)

    @property
    def hours(self) -> int:
        return int(round(self.seconds / 3600) % 24)


@dataclass(frozen=True)
class WeekBar:
    monday: dt.date
    count: int
    # Geometry in the chart's viewBox units, computed here so the template
    # only prints numbers.
    x: int
    y: int
    width: int
    height: int

    @property
    def iso_label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def short_label(self) -> str:
        return f"W{self.monday.isocalendar()[1]:02d}"

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def label_x(self) -> int:
        return self.x + self.width // 2


@dataclass(frozen=True)
class WeeklyChart:
    bars: list[WeekBar]
    max_count: int
    total: int
    width: int
    height: int
    baseline: int
    plot_left: int
    plot_top: int


def status_counts() -> list[StatusCount]:
    """Claims per status, every status listed (zero included), in workflow order."""
    counts = dict(Claim.objects.order_by().values_list("status").annotate(n=Count("pk")))
    changelist = reverse("admin:claims_claim_changelist")
    return [
        StatusCount(value, label, counts.get(value, 0), f"{changelist}?status__exact={value}")
        for value, label in Claim.Status.choices
    ]


def overdue_candidates(now: dt.datetime, *, sla_hours: int | None = None, limit: int = OVERDUE_LIMIT) -> Overdue:
    """Candidates untriaged for longer than the SLA: how many, and the oldest ``limit``."""
    sla_hours = settings.FACTCHECK_TRIAGE_SLA_HOURS if sla_hours is None else sla_hours
    waiting = Claim.objects.filter(
        status=Claim.Status.CANDIDATE, status_changed_at__lt=now - dt.timedelta(hours=sla_hours)
    )
    count = waiting.count()
    oldest = [
        OverdueClaim(
            pk=claim.pk,
            text=claim.text,
            url=claim.get_absolute_url(),
            hours_waiting=int((now - claim.status_changed_at).total_seconds() // 3600),
            checkworthiness=claim.checkworthiness,
        )
        for claim in waiting.order_by("status_changed_at", "pk").only(
            "pk", "text", "status_changed_at", "checkworthiness"
        )[:limit]
    ]
    return Overdue(count=count, oldest=oldest, sla_hours=sla_hours)


def median_accept_to_publish() -> Median | None:
    """Median time from a claim's first acceptance to its first publication.

    None when no claim has both events yet.
    """
    published = dict(
        ReviewEvent.objects.filter(action=PUBLISHED_EVENT)
        .order_by()
        .values_list("claim_id")
        .annotate(first=Min("created_at"))
    )
    # Only claims that were published matter, so the subquery keeps the
    # acceptance rows to those rather than every accepted claim.
    accepted = (
        ReviewEvent.objects.filter(
            action=ACCEPTED_EVENT,
            claim_id__in=ReviewEvent.objects.filter(action=PUBLISHED_EVENT).values("claim_id"),
        )
        .order_by()
        .values_list("claim_id")
        .annotate(first=Min("created_at"))
    )
    # The workflow publishes only after acceptance; a publication dated before
    # it can only come from backfilled history and is left out.
    durations = [
        (published[claim_id] - accepted_at).total_seconds()
        for claim_id, accepted_at in accepted
        if claim_id in published and published[claim_id] >= accepted_at
    ]
    if not durations:
        return None
    return Median(seconds=statistics.median(durations), claims=len(durations))


def weekly_publications(
    now: dt.datetime,
    *,
    weeks: int = CHART_WEEKS,
    bar_width: int = 36,
    gap: int = 12,
    plot_height: int = 160,
) -> WeeklyChart:
    """Published verdicts per ISO week (local time), the current week last, zeros included."""
    this_monday = timezone.localdate(now) - dt.timedelta(days=timezone.localdate(now).weekday())
    mondays = [this_monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    start = timezone.make_aware(dt.datetime.combine(mondays[0], dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(this_monday + dt.timedelta(weeks=1), dt.time.min))
    rows = (
        ReviewEvent.objects.filter(action=PUBLISHED_EVENT, created_at__gte=start, created_at__lt=end)
        .annotate(week=TruncWeek("created_at"))
        .order_by()
        .values_list("week")
        .annotate(n=Count("pk"))
    )
    counts = {timezone.localtime(week).date(): n for week, n in rows}

    plot_left, plot_top, label_space = 32, 20, 40
    max_count = max([counts.get(monday, 0) for monday in mondays] + [0])
    baseline = plot_top + plot_height
    bars = []
    for i, monday in enumerate(mondays):
        count = counts.get(monday, 0)
        height = round(plot_height * count / max_count) if max_count else 0
        x = plot_left + gap // 2 + i * (bar_width + gap)
        bars.append(WeekBar(monday=monday, count=count, x=x, y=baseline - height, width=bar_width, height=height))
    return WeeklyChart(
        bars=bars,
        max_count=max_count,
        total=sum(bar.count for bar in bars),
        width=plot_left + weeks * (bar_width + gap),
        height=baseline + label_space,
        baseline=baseline,
        plot_left=plot_left,
        plot_top=plot_top,
    )


# --- View ---------------------------------------------------------------------


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Wrapped in ``admin.site.admin_view`` in the URLconf, which requires staff."""
    if not request.user.has_perm("claims.view_claim"):
        raise PermissionDenied
    now = timezone.now()
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "status_counts": status_counts(),
        "overdue": overdue_candidates(now),
        "median": median_accept_to_publish(),
        "chart": weekly_publications(now),
        "repeats": weekly_repeats(now),
    }
    return render(request, "admin/claims/dashboard.html", context)

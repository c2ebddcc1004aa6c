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
from django.db.models import Count, F, Min, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from claims.collaboration.tags import tag_counts
from claims.models import Claim, ReviewEvent, Tip
from claims.monitoring.repeats import weekly_repeats

ACCEPTED_EVENT = "claims.claim.accepted"
PUBLISHED_EVENT = "claims.verdict.published"
OVERDUE_LIMIT = 20
CHART_WEEKS = 12
TIP_DAYS = 14


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

    @property
    def text(self) -> str:
        if self.seconds < 3600:
            return f"{round(self.seconds / 60)} min"
        return f"{self.days} d {self.hours} h" if self.days else f"{self.hours} h"


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


@dataclass(frozen=True)
class StatusBar:
    label: str
    count: int
    url: str
    status: str
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + 14


@dataclass(frozen=True)
class StatusChart:
    bars: list[StatusBar]
    width: int
    height: int
    label_width: int
    total: int


def status_chart(counts: list[StatusCount], *, plot_width: int = 360, label_width: int = 150) -> StatusChart:
    """Horizontal bars of the status counts (already read: no query of its own)."""
    row, top = 22, 4
    largest = max([c.count for c in counts] + [0])
    bars = [
        StatusBar(
            label=c.label,
            count=c.count,
            url=c.url,
            status=c.value,
            y=top + i * row,
            width=round(plot_width * c.count / largest) if largest else 0,
        )
        for i, c in enumerate(counts)
    ]
    return StatusChart(
        bars=bars,
        width=label_width + plot_width + 50,
        height=top * 2 + row * len(bars),
        label_width=label_width,
        total=sum(c.count for c in counts),
    )


# Open work a reviewer holds: assigned to them, being researched, or submitted and awaiting an editor.
OPEN_WORK_STATUSES = (Claim.Status.ASSIGNED, Claim.Status.IN_RESEARCH, Claim.Status.IN_REVIEW)


@dataclass(frozen=True)
class ReviewerLoad:
    username: str
    counts: list[int]  # in OPEN_WORK_STATUSES order
    total: int
    url: str


def reviewer_workload() -> list[ReviewerLoad]:
    """Open claims per assignee and status, busiest first: one grouped query."""
    rows = (
        Claim.objects.filter(status__in=OPEN_WORK_STATUSES, assignee__isnull=False)
        .order_by()
        .values_list("assignee_id", "assignee__username", "status")
        .annotate(n=Count("pk"))
    )
    loads: dict[int, tuple[str, dict[str, int]]] = {}
    for assignee_id, username, status, n in rows:
        loads.setdefault(assignee_id, (username, {}))[1][status] = n
    changelist = reverse("admin:claims_claim_changelist")
    result = [
        ReviewerLoad(
            username=username,
            counts=[by_status.get(s, 0) for s in OPEN_WORK_STATUSES],
            total=sum(by_status.values()),
            url=f"{changelist}?assignee={assignee_id}",
        )
        for assignee_id, (username, by_status) in loads.items()
    ]
    return sorted(result, key=lambda load: (-load.total, load.username))


STAGES = (
    Claim.Status.CANDIDATE,
    Claim.Status.ACCEPTED,
    Claim.Status.ASSIGNED,
    Claim.Status.IN_RESEARCH,
    Claim.Status.IN_REVIEW,
    Claim.Status.SCHEDULED,
)
STAGE_WINDOW_DAYS = 90


@dataclass(frozen=True)
class StageTime:
    status: str
    label: str
    median: Median | None


def median_time_in_stage(now: dt.datetime, *, days: int = STAGE_WINDOW_DAYS) -> list[StageTime]:
    """Median time claims spent in each stage, over the stages left in the last ``days`` days.

    A stage starts when the claim entered the status (a candidate: when it was
    created) and ends with the event that moved it on; each visit counts, so a
    claim sent back to research twice contributes two research times. One query:
    the status changes of the claims that changed status in the window.
    """
    since = now - dt.timedelta(days=days)
    recent = ReviewEvent.objects.filter(created_at__gte=since).exclude(from_status=F("to_status")).values("claim_id")
    events = (
        ReviewEvent.objects.filter(claim_id__in=recent)
        .exclude(from_status=F("to_status"))
        .order_by("claim_id", "created_at", "pk")
        .values_list("claim_id", "claim__created_at", "from_status", "to_status", "created_at")
    )
    durations: dict[str, list[float]] = {stage: [] for stage in STAGES}
    entered: dict[str, dt.datetime] = {}
    current = None
    for claim_id, created_at, from_status, to_status, at in events:
        if claim_id != current:
            current, entered = claim_id, {Claim.Status.CANDIDATE: created_at}
        start = entered.get(from_status)
        if start is not None and at >= since and from_status in durations and at >= start:
            durations[from_status].append((at - start).total_seconds())
        entered[to_status] = at
    return [
        StageTime(
            status=stage,
            label=Claim.Status(stage).label,
            median=Median(seconds=statistics.median(values), claims=len(values)) if values else None,
        )
        for stage, values in durations.items()
    ]


# --- View ---------------------------------------------------------------------


@dataclass(frozen=True)
class TipDay:
    day: dt.date
    count: int
    spam: int


def tips_per_day(now: dt.datetime, *, days: int = TIP_DAYS) -> list[TipDay]:
    """Readers' requests (tips from every channel) per local day, today last, zeros included."""
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    rows = (
        Tip.objects.filter(received_at__gte=start)
        .annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"), spam=Count("pk", filter=Q(status=Tip.Status.SPAM)))
    )
    counts = {day: (n, spam) for day, n, spam in rows}
    return [
        TipDay(day=day, count=counts.get(day, (0, 0))[0], spam=counts.get(day, (0, 0))[1])
        for day in (first + dt.timedelta(days=i) for i in range(days))
    ]


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Wrapped in ``admin.site.admin_view`` in the URLconf, which requires staff."""
    if not request.user.has_perm("claims.view_claim"):
        raise PermissionDenied
    now = timezone.now()
    counts = status_counts()
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "status_counts": counts,
        "status_chart": status_chart(counts),
        "workload": reviewer_workload(),
        "workload_statuses": [Claim.Status(s).label for s in OPEN_WORK_STATUSES],
        "stage_times": median_time_in_stage(now),
        "stage_window_days": STAGE_WINDOW_DAYS,
        "overdue": overdue_candidates(now),
        "median": median_accept_to_publish(),
        "chart": weekly_publications(now),
        "tag_counts": tag_counts(),
        "tip_days": tips_per_day(now),
        "tips_url": reverse("admin:claims_tip_changelist"),
        "repeats": weekly_repeats(now),
    }
    return render(request, "admin/claims/dashboard.html", context)

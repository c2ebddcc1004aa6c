"""The desk's work queues as querysets: the admin's queue filter and the counts beside each queue read them here."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from claims.evidence import snapshots
from claims.models import Claim, Evidence

RECENT_DAYS = 30

QUEUES = {
    "triage": "Triage queue",
    "mine": "My assignments",
    "approval": "Awaiting approval",
    "scheduled": "Scheduled",
    "published": f"Published in the last {RECENT_DAYS} days",
    "sources": "Published, with broken or changed sources",
}


def queue(name: str, user, queryset: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """The claims of queue ``name`` as ``user`` sees it (``mine`` is theirs); unknown names filter nothing."""
    queryset = Claim.objects.all() if queryset is None else queryset
    match name:
        case "triage":
            return queryset.awaiting_triage()
        case "mine":
            return queryset.assigned_to(user)
        case "approval":
            return queryset.awaiting_approval()
        case "scheduled":
            return queryset.scheduled()
        case "published":
            since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
            return queryset.published().filter(status_changed_at__gte=since)
        case "sources":
            # One EXISTS in the changelist's query, so the queue costs what the others do.
            broken = Evidence.objects.filter(snapshots.needs_attention(), claim=OuterRef("pk"))
            return queryset.published().filter(Exists(broken))
    return queryset


def counts(user) -> dict[str, int]:
    """How many claims wait in each queue: one COUNT per queue, each served by the queue's index."""
    return {name: queue(name, user).count() for name in QUEUES}

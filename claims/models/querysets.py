"""Named read filters. Public API and public pages read through ``.published()`` only."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce

# Unscored claims sort last. A Coalesce rather than NULLS LAST, because SQLite
# cannot index NULLS LAST; the claim_triage_queue index uses the same
# expressions, so the first page is read straight from it.
CHECKWORTHINESS_OR_LOWEST = Coalesce(F("checkworthiness"), Value(-1.0))
TRIAGE_ORDERING = [F("priority").desc(), CHECKWORTHINESS_OR_LOWEST.desc(), F("id").desc()]


class ClaimQuerySet(models.QuerySet):
    def awaiting_triage(self):
        return self.filter(status="candidate").order_by(*TRIAGE_ORDERING)

    def published(self):
        return self.filter(status="published")

    def open(self):
        return self.exclude(status__in=["dismissed", "duplicate", "published", "retracted"])

    def awaiting_approval(self):
        return self.filter(status="in_review")

    def scheduled(self):
        return self.filter(status="scheduled")

    def assigned_to(self, user):
        return self.filter(assignee=user).exclude(status__in=["published", "retracted", "dismissed", "duplicate"])


class VerdictQuerySet(models.QuerySet):
    def published(self):
        # The public revision of each claim. While a correction is being
        # researched the claim is back in research, but its last published
        # revision stays public until the correction replaces it.
        return self.filter(status="published")

    def drafts(self):
        return self.filter(status="draft")


class ReviewEventQuerySet(models.QuerySet):
    """The audit trail is append-only: bulk edits and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError("Review events are append-only; they cannot be updated.")

    def delete(self):
        raise PermissionError("Review events are append-only; they cannot be deleted.")

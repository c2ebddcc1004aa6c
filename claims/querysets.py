"""Named read filters. Public API and public pages read through ``.published()`` only."""

from __future__ import annotations

from django.db import models


class ClaimQuerySet(models.QuerySet):
    def awaiting_triage(self):
        return self.filter(status="candidate").order_by("-priority", models.F("checkworthiness").desc(nulls_last=True))

    def published(self):
        return self.filter(status="published")

    def open(self):
        return self.exclude(status__in=["dismissed", "duplicate", "published", "retracted"])


class VerdictQuerySet(models.QuerySet):
    def published(self):
        # A verdict is public while it is the claim's published revision and the
        # claim itself is published (not retracted, not back in research).
        return self.filter(status="published", claim__status="published")

    def drafts(self):
        return self.filter(status="draft")


class ReviewEventQuerySet(models.QuerySet):
    """The audit trail is append-only: bulk edits and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError("Review events are append-only; they cannot be updated.")

    def delete(self):
        raise PermissionError("Review events are append-only; they cannot be deleted.")

"""The append-only audit trail of the review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .claims import Claim
from .querysets import ReviewEventQuerySet


class ReviewEvent(models.Model):
    """The audit trail: one row per workflow step. Append-only: the ORM refuses
    edits and deletes, and on PostgreSQL a trigger refuses them too."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=64, help_text="e.g. claims.claim.accepted")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied so that deleting a user never erases who did what.
    actor_username = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "created_at", "pk"]
        indexes = [models.Index(fields=["claim", "created_at"], name="reviewevent_claim_created")]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return f"{self.action} by {who} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Review events are append-only; they cannot be edited.")
        if self.actor_id and not self.actor_username:
            self.actor_username = self.actor.get_username()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Review events are append-only; they cannot be deleted.")

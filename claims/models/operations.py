"""The desk's machinery: the transactional outbox, API keys and service heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey


class OutboxMessage(models.Model):
    """A task to send to the broker, written in the same transaction as the
    change that calls for it (the transactional outbox).

    A request never talks to the broker: ``claims.outbox.relay`` (the
    ``relay_outbox`` command) reads unsent rows with SKIP LOCKED and publishes
    them, so a broker outage delays work and drops none. A row may be published
    twice (the relay can die between publishing and marking it sent); every
    task is idempotent.
    """

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    queue = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["available_at", "id"], condition=Q(sent_at__isnull=True), name="outbox_unsent"),
        ]

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else f"pending ({self.attempts} attempts)"
        return f"{self.task}({self.kwargs}) {state}"


class APIKey(AbstractAPIKey):
    """A machine's key to the internal API: stored hashed (shown once when
    created), scoped, expiring and revocable; it acts as its user, so the
    user's role decides what the key may do."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class ServiceHeartbeat(models.Model):
    """When a background service last proved it was alive (shown by /healthz)."""

    service = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.service} on {self.hostname or '?'} at {self.seen_at:%Y-%m-%d %H:%M:%S}"

"""Signed webhooks: subscriptions, their deliveries and every attempt."""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .claims import Claim


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: 32 random bytes, base64, prefixed ``whsec_``."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_webhook_message_id() -> str:
    # The spec forbids "." in the id (it delimits the signed content); hex has none.
    return f"msg_{uuid.uuid4().hex}"


class WebhookSubscription(models.Model):
    """A receiver of signed webhooks (Standard Webhooks) for published, corrected
    and retracted fact-checks. Managed in the admin; see claims.publishing.webhooks."""

    class Event(models.TextChoices):
        PUBLISHED = "fact_check.published", "Fact-check published"
        CORRECTED = "fact_check.corrected", "Correction published"
        RETRACTED = "fact_check.retracted", "Fact-check retracted"

    url = models.URLField("URL", max_length=2000, help_text="Where deliveries are POSTed (a public http(s) address).")
    description = models.CharField(max_length=200, blank=True, help_text="Who receives it, and why.")
    secret = models.CharField(
        max_length=100, default=new_webhook_secret, editable=False, help_text="Signs every delivery (whsec_...)."
    )
    # After a rotation deliveries are signed with both secrets until this one expires,
    # so the receiver can switch without losing a delivery (the spec's zero-downtime rotation).
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(default=list, help_text="Event types sent to this URL.")
    active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook subscription"
        constraints = [
            models.CheckConstraint(
                condition=Q(active=True, disabled_at__isnull=True) | Q(active=False, disabled_at__isnull=False),
                name="webhooksubscription_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def save(self, *args, **kwargs):
        if self.active:
            self.disabled_at = None
            self.disabled_reason = ""
        elif self.disabled_at is None:
            self.disabled_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "active" in update_fields:
            kwargs["update_fields"] = {*update_fields, "disabled_at", "disabled_reason"}
        super().save(*args, **kwargs)

    def clean(self):
        known = set(self.Event.values)
        if not isinstance(self.events, list) or not self.events or not set(self.events) <= known:
            raise ValidationError({"events": f"Choose one or more of: {', '.join(self.Event.values)}."})

    def signing_secrets(self, now) -> list[str]:
        """The secrets each delivery is signed with now: the current one, then the previous one until it expires."""
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(models.Model):
    """One event for one subscription: the message (its ``webhook-id`` is the
    receiver's idempotency key and never changes across retries), where it
    stands, and when it is tried next."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GIVEN_UP = "given_up", "Given up"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="webhook_deliveries")
    message_id = models.CharField(
        "webhook-id", max_length=40, unique=True, default=new_webhook_message_id, editable=False
    )
    event = models.CharField(max_length=32, choices=WebhookSubscription.Event.choices)
    # The exact JSON text signed and sent on every attempt (a jsonb column would
    # reorder its keys).
    payload = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Attempts made before the current retry schedule began: a redelivery starts a new one.
    schedule_base = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "failed"], next_attempt_at__isnull=False)
                | Q(status__in=["delivered", "given_up"], next_attempt_at__isnull=True),
                name="webhookdelivery_due_only_while_open",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="webhookdelivery_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["pending", "failed"]),
                name="webhookdelivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id} ({self.get_status_display().lower()})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why it failed."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    manual = models.BooleanField(default=False, help_text="Asked for with the admin's redeliver action.")
    started_at = models.DateTimeField()
    # Empty until the attempt ends; stays empty if the worker died mid-attempt.
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The start of the response body.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            # Two workers can never record the same attempt of a delivery.
            models.UniqueConstraint(fields=["delivery", "number"], name="webhookattempt_unique_number"),
        ]

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:60] or "no result"
        return f"attempt {self.number}: {outcome}"

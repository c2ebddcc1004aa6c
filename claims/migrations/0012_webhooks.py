"""Webhook subscriptions and their delivery log (issue #5)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import claims.models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_api_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "url",
                    models.URLField(
                        help_text="Where deliveries are POSTed (a public http(s) address).",
                        max_length=2000,
                        verbose_name="URL",
                    ),
                ),
                ("description", models.CharField(blank=True, help_text="Who receives it, and why.", max_length=200)),
                (
                    "secret",
                    models.CharField(
                        default=claims.models.new_webhook_secret,
                        editable=False,
                        help_text="Signs every delivery (whsec_...).",
                        max_length=100,
                    ),
                ),
                ("previous_secret", models.CharField(blank=True, editable=False, max_length=100)),
                ("previous_secret_expires_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("events", models.JSONField(default=list, help_text="Event types sent to this URL.")),
                ("active", models.BooleanField(default=True)),
                ("disabled_reason", models.TextField(blank=True)),
                ("disabled_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook subscription",
                "ordering": ["-created_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("active", True), ("disabled_at__isnull", True)),
                            models.Q(("active", False), ("disabled_at__isnull", False)),
                            _connector="OR",
                        ),
                        name="webhooksubscription_disabled_has_time",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "message_id",
                    models.CharField(
                        default=claims.models.new_webhook_message_id,
                        editable=False,
                        max_length=40,
                        unique=True,
                        verbose_name="webhook-id",
                    ),
                ),
                (
                    "event",
                    models.CharField(
                        choices=[
                            ("fact_check.published", "Fact-check published"),
                            ("fact_check.corrected", "Correction published"),
                            ("fact_check.retracted", "Fact-check retracted"),
                        ],
                        max_length=32,
                    ),
                ),
                ("payload", models.TextField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("delivered", "Delivered"),
                            ("failed", "Failed, will retry"),
                            ("given_up", "Given up"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("schedule_base", models.PositiveSmallIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="webhook_deliveries",
                        to="claims.claim",
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="claims.webhooksubscription",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("status__in", ["pending", "failed"])),
                        fields=["next_attempt_at", "id"],
                        name="webhookdelivery_due",
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("next_attempt_at__isnull", False), ("status__in", ["pending", "failed"])),
                            models.Q(("next_attempt_at__isnull", True), ("status__in", ["delivered", "given_up"])),
                            _connector="OR",
                        ),
                        name="webhookdelivery_due_only_while_open",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "delivered"), _negated=True),
                            ("delivered_at__isnull", False),
                            _connector="OR",
                        ),
                        name="webhookdelivery_delivered_has_time",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="WebhookAttempt",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveSmallIntegerField()),
                (
                    "manual",
                    models.BooleanField(default=False, help_text="Asked for with the admin's redeliver action."),
                ),
                ("started_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("status_code", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="HTTP status")),
                ("duration_ms", models.PositiveIntegerField(blank=True, null=True)),
                ("response_excerpt", models.TextField(blank=True, help_text="The start of the response body.")),
                ("error", models.TextField(blank=True)),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attempt_log",
                        to="claims.webhookdelivery",
                    ),
                ),
            ],
            options={
                "ordering": ["delivery", "number"],
                "constraints": [
                    models.UniqueConstraint(fields=("delivery", "number"), name="webhookattempt_unique_number"),
                ],
            },
        ),
    ]

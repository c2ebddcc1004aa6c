import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    # Reserved for work landing in parallel, so the order of migrations is fixed up front;
    # the work it is named after fills in its operations.
    dependencies = [("claims", "0020_collaboration")]

    operations = [
        migrations.CreateModel(
            name="Requester",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "channel",
                    models.CharField(
                        choices=[("web", "Web form or API"), ("whatsapp", "WhatsApp"), ("telegram", "Telegram")],
                        max_length=16,
                    ),
                ),
                ("channel_id", models.CharField(blank=True, max_length=320)),
                ("email", models.EmailField(blank=True, max_length=320)),
                ("last_message_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("unsubscribed_at", models.DateTimeField(blank=True, null=True)),
                ("erased_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-last_message_at"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("channel_id", ""), _negated=True),
                        fields=("channel", "channel_id"),
                        name="requester_unique_channel_id",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Tip",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "channel",
                    models.CharField(
                        choices=[("web", "Web form or API"), ("whatsapp", "WhatsApp"), ("telegram", "Telegram")],
                        max_length=16,
                    ),
                ),
                ("text", models.TextField(blank=True)),
                ("url", models.URLField(blank=True, max_length=2000, verbose_name="URL")),
                ("media_id", models.CharField(blank=True, max_length=200)),
                ("media_type", models.CharField(blank=True, max_length=100)),
                ("media", models.BinaryField(blank=True, null=True)),
                ("media_error", models.TextField(blank=True)),
                ("language", models.CharField(blank=True, max_length=16)),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("message_id", models.CharField(blank=True, max_length=200)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("new", "Received, not yet matched"),
                            ("answered", "Answered at once"),
                            ("queued", "Queued for the desk"),
                            ("linked", "Linked to a claim"),
                            ("spam", "Spam"),
                        ],
                        default="new",
                        max_length=16,
                    ),
                ),
                ("match_score", models.FloatField(blank=True, null=True)),
                ("processed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "answered_claim",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="answered_tips",
                        to="claims.claim",
                    ),
                ),
                (
                    "answered_review",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="claims.externalreview",
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tips",
                        to="claims.claim",
                    ),
                ),
                (
                    "requester",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tips",
                        to="claims.requester",
                    ),
                ),
            ],
            options={
                "ordering": ["-received_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="TipReply",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("answer", "Instant answer"),
                            ("publication", "Fact-check published"),
                            ("correction", "Correction published"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("web", "Web form or API"), ("whatsapp", "WhatsApp"), ("telegram", "Telegram")],
                        max_length=16,
                    ),
                ),
                ("body", models.TextField()),
                ("template_parameters", models.JSONField(blank=True, default=list)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be sent"),
                            ("sent", "Sent"),
                            ("delivered", "Delivered"),
                            ("read", "Read"),
                            ("failed", "Failed"),
                            ("not_sent", "Not sent"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("reason", models.TextField(blank=True)),
                ("provider_message_id", models.CharField(blank=True, max_length=200)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("status_changed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "requester",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="replies", to="claims.requester"
                    ),
                ),
                (
                    "tip",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replies",
                        to="claims.tip",
                    ),
                ),
                (
                    "verdict",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="claims.verdict",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "tip replies",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.AddIndex(
            model_name="tip",
            index=models.Index(fields=["received_at"], name="tip_received_at"),
        ),
        migrations.AddConstraint(
            model_name="tip",
            constraint=models.UniqueConstraint(
                condition=models.Q(("message_id", ""), _negated=True),
                fields=("channel", "message_id"),
                name="tip_unique_channel_message",
            ),
        ),
        migrations.AddIndex(
            model_name="tipreply",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="tipreply_due"
            ),
        ),
        migrations.AddIndex(
            model_name="tipreply",
            index=models.Index(
                condition=models.Q(("provider_message_id", ""), _negated=True),
                fields=["provider_message_id"],
                name="tipreply_provider",
            ),
        ),
        migrations.AddConstraint(
            model_name="tipreply",
            constraint=models.UniqueConstraint(
                condition=models.Q(("verdict__isnull", False)),
                fields=("requester", "verdict"),
                name="tipreply_once_per_revision",
            ),
        ),
        migrations.AddConstraint(
            model_name="tipreply",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "answer")), fields=("tip",), name="tipreply_one_answer_per_tip"
            ),
        ),
    ]

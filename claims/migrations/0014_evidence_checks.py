"""Evidence link-rot and drift checks (issue #6)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

LINK_STATUSES = [
    ("unchecked", "Not yet archived"),
    ("ok", "OK"),
    ("changed", "Text changed"),
    ("moved", "Moved"),
    ("gone", "Gone"),
    ("error", "Error"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0013_matching"),
    ]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="link_status",
            field=models.CharField(
                choices=LINK_STATUSES, default="unchecked", editable=False, max_length=16, verbose_name="link status"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="link_checked_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last checked"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="link_changed_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When a check last found the source different from the check before it.",
                null=True,
                verbose_name="last changed",
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="link_failures",
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="consecutive failures"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="link_error",
            field=models.TextField(blank=True, editable=False, verbose_name="last check error"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="link_text_sha256",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="text sha256 at the last check"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="link_final_url",
            field=models.URLField(
                blank=True, editable=False, max_length=2000, verbose_name="final URL at the last check"
            ),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(fields=["link_checked_at"], name="evidence_link_checked"),
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(fields=["link_status", "claim"], name="evidence_link_status"),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(("snapshot_fetched_at__isnull", True), ("snapshot_sha256", ""))
                | models.Q(("snapshot_fetched_at__isnull", False), ~models.Q(("snapshot_sha256", ""))),
                name="evidence_snapshot_complete",
            ),
        ),
        migrations.CreateModel(
            name="EvidenceCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "evidence",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="checks", to="claims.evidence"
                    ),
                ),
                ("kind", models.CharField(choices=[("snapshot", "Snapshot"), ("check", "Link check")], max_length=16)),
                ("url", models.URLField(max_length=2000, verbose_name="URL fetched")),
                ("checked_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "link_status",
                    models.CharField(
                        choices=LINK_STATUSES, help_text="The source's status after this check.", max_length=16
                    ),
                ),
                (
                    "status_changed",
                    models.BooleanField(
                        default=False, help_text="This check found the source different from the check before it."
                    ),
                ),
                ("http_status", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="HTTP status")),
                ("final_url", models.URLField(blank=True, max_length=2000, verbose_name="final URL")),
                ("body_sha256", models.CharField(blank=True, max_length=64)),
                ("text_sha256", models.CharField(blank=True, max_length=64)),
                ("error", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["evidence", "-checked_at", "-pk"],
                "indexes": [models.Index(fields=["evidence", "-checked_at"], name="evidencecheck_evidence_time")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("http_status__isnull", True))
                        | models.Q(("http_status__gte", 100), ("http_status__lte", 599)),
                        name="evidencecheck_http_status_range",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LinkCheckHost",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("host", models.CharField(max_length=253, unique=True)),
                ("next_request_at", models.DateTimeField()),
            ],
        ),
    ]

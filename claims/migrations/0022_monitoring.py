import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import claims.models.monitoring


class Migration(migrations.Migration):
    # Reserved for work landing in parallel, so the order of migrations is fixed up front;
    # outlet monitoring (issue 18) fills it in.
    dependencies = [("claims", "0021_tiplines")]

    operations = [
        migrations.CreateModel(
            name="RepeatQueueClaim",
            fields=[],
            options={
                "verbose_name": "repeat",
                "verbose_name_plural": "repeats",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("claims.claim",),
        ),
        migrations.CreateModel(
            name="WatchedSource",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("feed", "RSS or Atom feed"),
                            ("sitemap", "XML sitemap (or sitemap index, or Google News sitemap)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("url", models.URLField(max_length=2000, unique=True, verbose_name="address")),
                (
                    "title",
                    models.CharField(blank=True, help_text="As the outlet names it, when discovered.", max_length=300),
                ),
                (
                    "interval_minutes",
                    models.PositiveIntegerField(
                        default=15,
                        validators=[django.core.validators.MinValueValidator(2)],
                        verbose_name="poll every (minutes)",
                    ),
                ),
                ("enabled", models.BooleanField(default=True, verbose_name="switched on")),
                (
                    "include_patterns",
                    models.TextField(
                        blank=True,
                        help_text="Regular expressions, one a line: only article URLs matching one of them are taken. Empty: all.",
                        validators=[claims.models.monitoring.validate_url_patterns],
                    ),
                ),
                (
                    "exclude_patterns",
                    models.TextField(
                        blank=True,
                        help_text="Regular expressions, one a line: article URLs matching one of them are skipped.",
                        validators=[claims.models.monitoring.validate_url_patterns],
                    ),
                ),
                ("next_poll_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("last_polled_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_success_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_error", models.TextField(blank=True, editable=False)),
                ("last_error_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("consecutive_failures", models.PositiveIntegerField(default=0, editable=False)),
                ("items_seen", models.PositiveIntegerField(default=0, editable=False)),
                ("etag", models.CharField(blank=True, editable=False, max_length=500)),
                ("last_modified", models.CharField(blank=True, editable=False, max_length=100)),
                ("child_lastmods", models.JSONField(blank=True, default=dict, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "outlet",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="watched_sources", to="claims.outlet"
                    ),
                ),
            ],
            options={
                "ordering": ["outlet", "url"],
            },
        ),
        migrations.CreateModel(
            name="WatchedItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("url", models.URLField(max_length=2000)),
                (
                    "published_at",
                    models.DateTimeField(blank=True, help_text="As the feed or sitemap dates it.", null=True),
                ),
                ("first_seen_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "article",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="claims.article",
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="items", to="claims.watchedsource"
                    ),
                ),
            ],
            options={
                "ordering": ["-first_seen_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ClaimRepeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("score", models.FloatField(help_text="0 to 1: how likely the new claim is the checked one.")),
                ("rating_label", models.CharField(max_length=100)),
                ("rated_at", models.DateTimeField()),
                ("found_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "claim",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="repeat", to="claims.claim"
                    ),
                ),
                (
                    "original",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="repeats", to="claims.claim"
                    ),
                ),
            ],
            options={
                "ordering": ["-found_at", "-pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("original", models.F("claim")), _negated=True),
                        name="claimrepeat_not_itself",
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="watchedsource",
            index=models.Index(
                condition=models.Q(("enabled", True)), fields=["next_poll_at"], name="watchedsource_due"
            ),
        ),
        migrations.AddConstraint(
            model_name="watchedsource",
            constraint=models.CheckConstraint(
                condition=models.Q(("interval_minutes__gte", 2)), name="watchedsource_interval_min"
            ),
        ),
        migrations.AddConstraint(
            model_name="watcheditem",
            constraint=models.UniqueConstraint(fields=("source", "url"), name="watcheditem_unique_url"),
        ),
        migrations.AddField(
            model_name="watchedsource",
            name="leased_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]

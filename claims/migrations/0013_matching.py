"""Claim matching (issue #6): pg_trgm, the full-text columns and indexes
behind it, and the stored matches shown at triage.

On PostgreSQL, claims_claim and claims_externalreview get a stored generated
column ``match_document`` (the english tsvector of the claim text; for
imported reviews, of the claim and the review's title) with a GIN index, and
larger statistics on it: matching reads its document frequencies from those
statistics. The column is not in the Django models (SQLite has no tsvector);
only ``claims.matching.backends`` reads it. SQLite gets nothing here: it
matches from an in-process index.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# Lexemes with their frequencies kept by ANALYZE: 10 x this target.
STATISTICS_TARGET = 1000

PG_FORWARD = [
    "ALTER TABLE claims_claim ADD COLUMN match_document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
    "ALTER TABLE claims_externalreview ADD COLUMN match_document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, claim_reviewed || ' ' || title)) STORED",
    # Claims arrive in bursts as articles are extracted: the pending list (fastupdate,
    # PostgreSQL's default) makes each insert cheap and is merged by autovacuum or
    # once it passes gin_pending_list_limit; searches scan it meanwhile. Imported
    # reviews arrive in bulk and are searched far more than written: no pending list.
    "CREATE INDEX claim_match_document ON claims_claim USING gin (match_document) WITH (fastupdate = on)",
    "CREATE INDEX extreview_match_document ON claims_externalreview USING gin (match_document) WITH (fastupdate = off)",
    f"ALTER TABLE claims_claim ALTER COLUMN match_document SET STATISTICS {STATISTICS_TARGET}",
    f"ALTER TABLE claims_externalreview ALTER COLUMN match_document SET STATISTICS {STATISTICS_TARGET}",
]
PG_REVERSE = [
    "ALTER TABLE claims_claim DROP COLUMN IF EXISTS match_document",
    "ALTER TABLE claims_externalreview DROP COLUMN IF EXISTS match_document",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_webhooks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # CREATE EXTENSION IF NOT EXISTS pg_trgm; does nothing on other databases.
        TrigramExtension(),
        migrations.RunPython(forward, reverse),
        migrations.CreateModel(
            name="ClaimMatch",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("score", models.FloatField(help_text="0 to 1: how likely the match checks the same claim.")),
                (
                    "rank",
                    models.PositiveSmallIntegerField(
                        help_text="1 for the match shown at triage: a confirmed link, else the best score."
                    ),
                ),
                ("computed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "linked_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When an editor confirmed the external fact-check checks this claim.",
                        null=True,
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="matches", to="claims.claim"
                    ),
                ),
                (
                    "linked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "matched_claim",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="claims.claim",
                    ),
                ),
                (
                    "matched_review",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="claims.externalreview",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "claim matches",
                "ordering": ["claim", "rank", "pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("matched_claim__isnull", False), ("matched_review__isnull", True)),
                            models.Q(("matched_claim__isnull", True), ("matched_review__isnull", False)),
                            _connector="OR",
                        ),
                        name="claimmatch_one_target",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("matched_claim", models.F("claim")), _negated=True),
                        name="claimmatch_not_itself",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("score__gte", 0), ("score__lte", 1)), name="claimmatch_score_0_1"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("linked_at__isnull", True), ("matched_review__isnull", False), _connector="OR"
                        ),
                        name="claimmatch_links_external_only",
                    ),
                    models.UniqueConstraint(fields=("claim", "matched_claim"), name="claimmatch_unique_claim"),
                    models.UniqueConstraint(fields=("claim", "matched_review"), name="claimmatch_unique_review"),
                    models.UniqueConstraint(
                        condition=models.Q(("rank", 1)), fields=("claim",), name="claimmatch_one_shown"
                    ),
                ],
            },
        ),
    ]

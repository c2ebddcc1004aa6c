"""Issue 17's remaining gaps: a tip's link read by the safe fetcher on the worker
(``Tip.url_title``, ``Tip.url_error``), and ``Tip.moved_from_claim``, the claim a
tip was first linked to when the desk marked that claim a duplicate (its tips
follow the canonical claim and are sent its fact-check)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0025_match_document_per_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="tip",
            name="moved_from_claim",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="claims.claim",
            ),
        ),
        migrations.AddField(
            model_name="tip",
            name="url_error",
            field=models.TextField(blank=True, verbose_name="link not read"),
        ),
        migrations.AddField(
            model_name="tip",
            name="url_title",
            field=models.CharField(blank=True, max_length=500, verbose_name="linked page's title"),
        ),
    ]

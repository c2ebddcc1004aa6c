"""Issue 19, importing a Meedan Check export: ``ImportedRecord`` (what came from
Check, by its id there) and ``Claim.canonical_url`` (a fact-check first published
in Check keeps its address)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("claims", "0022_monitoring"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="canonical_url",
            field=models.URLField(
                blank=True,
                editable=False,
                help_text="Where the published fact-check lives when it was first published elsewhere (imported from Meedan Check); empty for fact-checks published here.",
                max_length=2000,
                verbose_name="canonical URL",
            ),
        ),
        migrations.CreateModel(
            name="ImportedRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(help_text="e.g. check:1234 (the Check workspace id).", max_length=100)),
                ("kind", models.CharField(help_text="e.g. item, user, fact_check, explainer.", max_length=32)),
                ("external_id", models.CharField(max_length=200)),
                ("object_id", models.PositiveBigIntegerField(blank=True, null=True)),
                ("data", models.JSONField(blank=True, default=dict)),
                ("imported_at", models.DateTimeField(auto_now_add=True)),
                (
                    "content_type",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
            ],
            options={
                "ordering": ["source", "kind", "pk"],
                "indexes": [models.Index(fields=["content_type", "object_id"], name="importedrecord_target")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("source", "kind", "external_id"), name="importedrecord_unique_external"
                    )
                ],
            },
        ),
    ]

"""An index for the public order of published fact-checks (newest first)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0014_evidence_checks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="verdict",
            index=models.Index(
                condition=models.Q(("status", "published")),
                fields=["-published_at", "-id"],
                name="verdict_public_order",
            ),
        ),
    ]

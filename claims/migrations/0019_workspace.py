import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    # Reserved for work landing in parallel, so the order of migrations is fixed up front;
    # the work it is named after fills in its operations.
    # The workspace: an editor may cite a source without its archive, with a public reason.
    dependencies = [
        ("claims", "0018_verdict_public_has_claim_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="archive_override_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="evidence",
            name="archive_override_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="archive_override_reason",
            field=models.TextField(
                blank=True, editable=False, max_length=500, verbose_name="cited without archive because"
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("archive_override_at__isnull", True), ("archive_override_reason", "")),
                    models.Q(
                        ("archive_override_at__isnull", False),
                        models.Q(("archive_override_reason", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="evidence_archive_override_complete",
            ),
        ),
    ]

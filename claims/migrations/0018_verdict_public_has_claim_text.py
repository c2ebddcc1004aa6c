from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0017: PostgreSQL refuses to alter a table with the deferred
    # foreign-key checks of 0017's updates still pending in the same transaction.
    dependencies = [("claims", "0017_verdict_public_record")]

    operations = [
        migrations.AddConstraint(
            model_name="verdict",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "draft"), models.Q(("claim_text", ""), _negated=True), _connector="OR"),
                name="verdict_public_has_claim_text",
            ),
        ),
    ]

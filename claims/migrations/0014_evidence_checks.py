"""Evidence link-rot and drift checks (issue #6)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0013_matching"),
    ]

    operations = []

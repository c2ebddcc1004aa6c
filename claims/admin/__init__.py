"""The editors' and reviewers' workspace (the Django admin), one module per area.

Every changelist selects its related rows up front (list_select_related or an
annotation) so it runs a constant number of queries however many rows it shows.
Importing this package registers every ModelAdmin (Django's admin autodiscovery).
"""

from django.contrib import admin

from . import (  # noqa: F401 (registers the ModelAdmins)
    articles,
    audit,
    claims,
    collaboration,
    evidence,
    matching,
    monitoring,  # noqa: F401 (registers the ModelAdmins)
    operations,
    tiplines,
    verdicts,
    webhooks,
)
from .safety import protect_admins

# The admins other apps registered (django.contrib.auth's users and groups) get the same safety net.
protect_admins(admin.site)

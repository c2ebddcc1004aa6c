"""The audit trail, read-only."""

from __future__ import annotations

from django.contrib import admin

from claims.models import (
    ReviewEvent,
)

from .common import HttpsURLsMixin, ReadOnlyAdminMixin
from .safety import SafeInputMixin


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdminMixin, SafeInputMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["created_at", "claim", "action", "from_status", "to_status", "actor_username", "note"]
    list_filter = ["action", "to_status"]
    list_select_related = ["claim"]
    search_fields = ["action", "actor_username", "note", "claim__text"]
    date_hierarchy = "created_at"

"""The audit trail, read-only."""

from __future__ import annotations

from django.contrib import admin

from claims.models import (
    ReviewEvent,
)

from .common import HttpsURLsMixin
from .safety import SafeInputMixin


@admin.register(ReviewEvent)
class ReviewEventAdmin(SafeInputMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["created_at", "claim", "action", "from_status", "to_status", "actor_username", "note"]
    list_filter = ["action", "to_status"]
    list_select_related = ["claim"]
    search_fields = ["action", "actor_username", "note", "claim__text"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

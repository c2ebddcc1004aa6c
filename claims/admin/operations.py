"""What the people running the desk look after: API keys and service heartbeats."""

from __future__ import annotations

from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin

from claims.models import (
    APIKey,
    ServiceHeartbeat,
)

from .safety import SafeInputMixin


@admin.register(ServiceHeartbeat)
class ServiceHeartbeatAdmin(SafeInputMixin, admin.ModelAdmin):
    list_display = ["service", "hostname", "seen_at"]
    readonly_fields = ["service", "hostname", "seen_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(APIKey)
class APIKeyAdmin(SafeInputMixin, APIKeyModelAdmin):
    """Keys are shown once, when created, and stored hashed; revoke or let them expire."""

    list_display = [*APIKeyModelAdmin.list_display, "user", "scope"]
    list_filter = [*APIKeyModelAdmin.list_filter, "scope"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    search_fields = [*APIKeyModelAdmin.search_fields, "user__username"]

    def has_module_permission(self, request):
        # A key acts as its user: only superusers may mint one for anybody.
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

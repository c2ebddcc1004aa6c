"""Outlet monitoring in the admin: the watched feeds and sitemaps with their
health, discovering an outlet's feeds, and the Repeats queue."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html

from claims import outbox
from claims.models import Claim, Outlet, RepeatQueueClaim, WatchedSource
from claims.monitoring import discovery, repeats
from claims.review.workflow import WorkflowError

from .common import HttpsURLsMixin, ReadOnlyAdminMixin
from .safety import SafeInputMixin

POLL_TASK = "claims.tasks.poll_watched_source"


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("failing", "Failing"), ("erring", "Last poll failed"), ("ok", "OK"), ("never", "Never polled")]

    def queryset(self, request, queryset):
        failing_after = settings.FACTCHECK_MONITOR_FAILING_AFTER
        match self.value():
            case "failing":
                return queryset.filter(consecutive_failures__gte=failing_after)
            case "erring":
                return queryset.filter(consecutive_failures__gt=0)
            case "ok":
                return queryset.filter(consecutive_failures=0, last_success_at__isnull=False)
            case "never":
                return queryset.filter(last_polled_at__isnull=True)
        return queryset


class DiscoverForm(forms.Form):
    outlet = forms.ModelChoiceField(queryset=Outlet.objects.all())
    home_page = forms.URLField(
        label="Home page", max_length=2000, assume_scheme="https", help_text="Its feeds and robots.txt are read."
    )


# What the poller records about a source: shown on its page, never edited there.
HEALTH_FIELDS = [
    "health",
    "last_error",
    "last_error_at",
    "last_success_at",
    "last_polled_at",
    "consecutive_failures",
    "items_seen",
    "next_poll_at",
    "etag",
    "last_modified",
]


@admin.register(WatchedSource)
class WatchedSourceAdmin(SafeInputMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "outlet",
        "kind",
        "enabled",
        "health",
        "last_success_at",
        "consecutive_failures",
        "items_seen",
        "next_poll_at",
    ]
    list_filter = [HealthFilter, "enabled", "kind", "outlet"]
    list_select_related = ["outlet"]
    search_fields = ["url", "title", "outlet__name", "outlet__domain"]
    autocomplete_fields = ["outlet"]
    actions = ["poll_now", "switch_on", "switch_off"]
    fields = [
        "outlet",
        "kind",
        "url",
        "title",
        "interval_minutes",
        "enabled",
        "include_patterns",
        "exclude_patterns",
        *HEALTH_FIELDS,
    ]
    readonly_fields = HEALTH_FIELDS

    @admin.display(description="health")
    def health(self, obj: WatchedSource) -> str:
        if obj.last_polled_at is None:
            return "never polled"
        if obj.is_failing:
            return format_html("FAILING ({} in a row): {}", obj.consecutive_failures, obj.last_error)
        if obj.consecutive_failures:
            return format_html("last poll failed: {}", obj.last_error)
        return "ok"

    @admin.action(description="Poll now", permissions=["change"])
    def poll_now(self, request, queryset):
        ids = list(queryset.filter(enabled=True).values_list("pk", flat=True))
        with transaction.atomic():
            for source_id in ids:
                outbox.enqueue(POLL_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, source_id=source_id)
        skipped = queryset.count() - len(ids)
        note = f" ({skipped} switched off, not polled)" if skipped else ""
        self.message_user(request, f"Polling {len(ids)} source(s) now{note}.", messages.SUCCESS)

    @admin.action(description="Switch on", permissions=["change"])
    def switch_on(self, request, queryset):
        count = queryset.update(enabled=True)
        self.message_user(request, f"{count} source(s) switched on.", messages.SUCCESS)

    @admin.action(description="Switch off", permissions=["change"])
    def switch_off(self, request, queryset):
        count = queryset.update(enabled=False)
        self.message_user(request, f"{count} source(s) switched off.", messages.SUCCESS)

    def get_urls(self):
        return [
            path("discover/", self.admin_site.admin_view(self.discover_view), name="claims_watchedsource_discover"),
            *super().get_urls(),
        ]

    def discover_view(self, request):
        """Find an outlet's feeds and sitemaps and save them switched off, for the editor to switch on."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DiscoverForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outlet = form.cleaned_data["outlet"]
            found = discovery.discover(form.cleaned_data["home_page"])
            created = discovery.offer(outlet, found)
            for problem in found.problems:
                self.message_user(request, problem, messages.WARNING)
            self.message_user(
                request,
                f"Found {len(found.found)} feed(s) and sitemap(s); {len(created)} new, saved switched off: "
                "select the ones to watch and choose “Switch on”.",
                messages.SUCCESS,
            )
            changelist = reverse("admin:claims_watchedsource_changelist")
            return HttpResponseRedirect(f"{changelist}?outlet__id__exact={outlet.pk}&enabled__exact=0")
        context = {
            **self.admin_site.each_context(request),
            "title": "Discover an outlet's feeds and sitemaps",
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/claims/watchedsource/discover.html", context)


@admin.register(RepeatQueueClaim)
class RepeatQueueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Candidates that repeat a claim we already checked, newest first: one action links each."""

    list_display = ["text", "repeat_of", "score", "article", "found_at"]
    list_select_related = ["repeat", "repeat__original", "article"]
    actions = ["link_to_original"]
    ordering = ["-repeat__found_at", "-pk"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(repeat__isnull=False, status__in=repeats.OPEN_STATUSES)
            .order_by(*self.ordering)
        )

    @admin.display(description="repeat of")
    def repeat_of(self, obj: Claim):
        original = obj.repeat.original
        url = reverse("admin:claims_claim_change", args=[original.pk])
        return format_html('{}: <a href="{}">{}</a>', str(obj.repeat), url, original.text)

    @admin.display(description="score")
    def score(self, obj: Claim) -> str:
        return f"{obj.repeat.score:.2f}"

    @admin.display(description="found")
    def found_at(self, obj: Claim):
        return obj.repeat.found_at

    @admin.action(description="Link to the fact-check it repeats (no new check)", permissions=["triage"])
    def link_to_original(self, request, queryset):
        linked = 0
        for claim_id in queryset.values_list("pk", flat=True):
            try:
                repeats.link_repeat(claim_id, by=request.user)
                linked += 1
            except WorkflowError as exc:
                self.message_user(request, f"Claim #{claim_id}: {exc}", messages.ERROR)
        if linked:
            self.message_user(request, f"{linked} repeat(s) linked to their fact-check.", messages.SUCCESS)

    def has_triage_permission(self, request):
        return request.user.has_perm("claims.triage_claim")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("claims.view_claim")

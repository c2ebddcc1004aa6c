"""The editors' and reviewers' workspace.

Every changelist selects its related rows up front (list_select_related or an
annotation) so it runs a constant number of queries however many rows it shows.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.html import format_html

from .models import (
    Article,
    Claim,
    Claimant,
    Evidence,
    Outlet,
    Rating,
    RatingScale,
    ReviewEvent,
    ServiceHeartbeat,
    Verdict,
)


class HttpsURLsMixin:
    # Bare host names typed into URL fields get https://, not http://.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ReadOnlyInlineMixin:
    can_delete = False
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Outlet)
class OutletAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["name", "domain", "article_count", "created_at"]
    search_fields = ["name", "domain"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_article_count=Count("articles"))

    @admin.display(description="articles", ordering="_article_count")
    def article_count(self, obj):
        return obj._article_count


class ClaimInline(HttpsURLsMixin, admin.TabularInline):
    model = Claim
    fields = ["text", "claimant", "checkworthiness", "status", "priority", "span_start", "span_end"]
    readonly_fields = ["status"]
    autocomplete_fields = ["claimant"]
    extra = 0
    show_change_link = True


@admin.register(Article)
class ArticleAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["__str__", "outlet", "status", "language", "published_at", "claim_count", "created_at"]
    list_filter = ["status", "language", "outlet"]
    list_select_related = ["outlet"]
    search_fields = ["title", "url", "byline", "outlet__name"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["outlet"]
    readonly_fields = ["status", "error", "content_hash", "submitted_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["url", "canonical_url", "title", "outlet", "byline", "published_at", "language"]}),
        ("Text", {"fields": ["text", "content_hash"]}),
        ("Ingestion", {"fields": ["status", "error", "submitted_by", "created_at", "updated_at"]}),
    ]
    inlines = [ClaimInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_claim_count=Count("claims"))

    @admin.display(description="claims", ordering="_claim_count")
    def claim_count(self, obj):
        return obj._claim_count

    def save_model(self, request, obj, form, change):
        if not change and obj.submitted_by_id is None:
            obj.submitted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Claimant)
class ClaimantAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "description", "claim_count"]
    list_filter = ["kind"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_claim_count=Count("claims"))

    @admin.display(description="claims", ordering="_claim_count")
    def claim_count(self, obj):
        return obj._claim_count


class EvidenceInline(HttpsURLsMixin, admin.StackedInline):
    model = Evidence
    fields = [("url", "stance", "source_type"), ("title", "publisher"), "excerpt", "snapshot"]
    readonly_fields = ["snapshot"]
    extra = 0

    @admin.display(description="archived snapshot")
    def snapshot(self, obj):
        return snapshot_summary(obj)


class DraftVerdictInline(HttpsURLsMixin, admin.StackedInline):
    """The one verdict draft a claim may have; published revisions are below, read-only."""

    model = Verdict
    verbose_name = "verdict draft"
    verbose_name_plural = "verdict draft"
    fields = ["rating", "headline", "summary", "explanation", "correction_note", "revision", "author"]
    readonly_fields = ["revision", "author"]
    extra = 0
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Verdict.Status.DRAFT).select_related("author")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rating":
            kwargs["queryset"] = Rating.objects.filter(retired=False, scale__is_default=True).select_related("scale")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class VerdictHistoryInline(ReadOnlyInlineMixin, HttpsURLsMixin, admin.StackedInline):
    model = Verdict
    verbose_name = "verdict revision"
    verbose_name_plural = "published verdict revisions"
    fields = [
        ("revision", "status", "rating"),
        "headline",
        "summary",
        "explanation",
        "correction_note",
        ("author", "approver", "published_at"),
    ]
    readonly_fields = [
        "revision",
        "status",
        "rating",
        "headline",
        "summary",
        "explanation",
        "correction_note",
        "author",
        "approver",
        "published_at",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(status=Verdict.Status.DRAFT)
            .select_related("rating__scale", "author", "approver")
        )


class ReviewEventInline(ReadOnlyInlineMixin, HttpsURLsMixin, admin.TabularInline):
    model = ReviewEvent
    verbose_name_plural = "audit history"
    fields = ["created_at", "action", "from_status", "to_status", "actor_username", "note"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Claim)
class ClaimAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = [
        "short_text",
        "status",
        "priority",
        "checkworthiness",
        "claimant",
        "article",
        "assignee",
        "status_changed_at",
    ]
    list_filter = ["status", "priority", "language", ("assignee", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["claimant", "article", "assignee"]
    search_fields = ["text", "sentence", "claimant__name"]
    autocomplete_fields = ["article", "claimant", "assignee", "duplicate_of"]
    readonly_fields = ["status", "status_changed_at", "time_in_status", "version", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["text", "claimant", "claimed_on", "language", "priority"]}),
        ("Where it appeared", {"fields": ["article", "sentence", ("span_start", "span_end"), "checkworthiness"]}),
        (
            "Workflow",
            {
                "fields": [
                    ("status", "status_changed_at", "time_in_status"),
                    "assignee",
                    "duplicate_of",
                    ("version", "created_at", "updated_at"),
                ]
            },
        ),
    ]
    inlines = [EvidenceInline, DraftVerdictInline, VerdictHistoryInline, ReviewEventInline]

    @admin.display(description="claim", ordering="text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 100 else obj.text[:99] + "…"

    @admin.display(description="time in status")
    def time_in_status(self, obj):
        delta = obj.time_in_status
        hours = int(delta.total_seconds() // 3600)
        return (
            f"{hours // 24} d {hours % 24} h"
            if hours >= 24
            else f"{hours} h {int(delta.total_seconds() % 3600 // 60)} min"
        )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Evidence) and instance.added_by_id is None:
                instance.added_by = request.user
            if isinstance(instance, Verdict) and instance.pk is None:
                instance.author = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


def snapshot_summary(evidence: Evidence) -> str:
    if evidence.snapshot_fetched_at is None:
        return evidence.snapshot_error or "not archived yet"
    return format_html(
        "HTTP {} at {:%Y-%m-%d %H:%M}, sha256 <code>{}</code>",
        evidence.snapshot_http_status,
        evidence.snapshot_fetched_at,
        evidence.snapshot_sha256[:16],
    )


@admin.register(Evidence)
class EvidenceAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "claim",
        "stance",
        "source_type",
        "publisher",
        "domain",
        "snapshot",
        "added_by",
        "added_at",
    ]
    list_filter = ["stance", "source_type"]
    list_select_related = ["claim", "added_by"]
    search_fields = ["url", "title", "publisher", "excerpt"]
    autocomplete_fields = ["claim"]
    readonly_fields = [
        "added_by",
        "added_at",
        "snapshot_http_status",
        "snapshot_final_url",
        "snapshot_fetched_at",
        "snapshot_sha256",
        "snapshot_text_sha256",
        "snapshot_error",
        "snapshot_text",
    ]

    @admin.display(description="snapshot")
    def snapshot(self, obj):
        return snapshot_summary(obj)

    def save_model(self, request, obj, form, change):
        if not change and obj.added_by_id is None:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


class RatingInline(HttpsURLsMixin, admin.TabularInline):
    model = Rating
    fields = ["label", "value", "order", "definition", "retired"]
    extra = 0


@admin.register(RatingScale)
class RatingScaleAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["name", "version", "is_default", "rating_count", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    inlines = [RatingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_rating_count=Count("ratings"))

    @admin.display(description="ratings", ordering="_rating_count")
    def rating_count(self, obj):
        return obj._rating_count


@admin.register(Rating)
class RatingAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["label", "scale", "value", "order", "retired", "verdict_count"]
    list_filter = ["retired", "scale"]
    list_select_related = ["scale"]
    search_fields = ["label", "definition"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_verdict_count=Count("verdicts"))

    @admin.display(description="verdicts", ordering="_verdict_count")
    def verdict_count(self, obj):
        return obj._verdict_count


@admin.register(Verdict)
class VerdictAdmin(HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["headline", "claim", "rating", "status", "revision", "author", "approver", "published_at"]
    # Filter on the label, not the Rating row: listing ratings by their
    # __str__ would cost one scale query per rating.
    list_filter = ["status", "rating__scale", "rating__label"]
    list_select_related = ["claim", "rating__scale", "author", "approver"]
    search_fields = ["headline", "summary", "claim__text"]
    autocomplete_fields = ["claim"]
    readonly_fields = ["status", "author", "approver", "published_at", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Verdict.Status.DRAFT:
            # A published revision is part of the public record: corrections
            # are new revisions, never edits.
            return [f.name for f in Verdict._meta.fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change and obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(ReviewEvent)
class ReviewEventAdmin(HttpsURLsMixin, admin.ModelAdmin):
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


@admin.register(ServiceHeartbeat)
class ServiceHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["service", "hostname", "seen_at"]
    readonly_fields = ["service", "hostname", "seen_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

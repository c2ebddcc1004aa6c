"""Rating scales, ratings and verdict revisions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from claims.models import (
    Rating,
    RatingScale,
    Verdict,
)
from claims.review import editing

from .common import HttpsURLsMixin, RefusalsAsMessagesMixin
from .safety import SafeInputMixin


class RatingInline(HttpsURLsMixin, admin.TabularInline):
    model = Rating
    fields = ["label", "value", "order", "definition", "retired"]
    extra = 0


@admin.register(RatingScale)
class RatingScaleAdmin(SafeInputMixin, HttpsURLsMixin, admin.ModelAdmin):
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
class RatingAdmin(SafeInputMixin, HttpsURLsMixin, admin.ModelAdmin):
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
class VerdictAdmin(SafeInputMixin, RefusalsAsMessagesMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["headline", "claim", "rating", "status", "revision", "author", "approver", "published_at"]
    # Filter on the label, not the Rating row: listing ratings by their
    # __str__ would cost one scale query per rating.
    list_filter = ["status", "rating__scale", "rating__label"]
    list_select_related = ["claim", "rating__scale", "author", "approver"]
    search_fields = ["headline", "summary", "claim__text"]
    autocomplete_fields = ["claim"]
    readonly_fields = ["status", "author", "approver", "published_at", "created_at", "updated_at"]

    def has_add_permission(self, request):
        # A claim's one draft is started on the claim's page (or the API), by the editing service.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and (obj.status != Verdict.Status.DRAFT or not editing.may_edit(obj.claim, request.user)):
            # A published revision is part of the public record: corrections
            # are new revisions, never edits.
            return [f.name for f in Verdict._meta.fields] + ["contributors"]
        # The claim held on a correction's draft is edited on the claim's page.
        return [f.name for f in Verdict._meta.fields if f.name not in editing.DRAFT_FIELDS] + ["contributors"]

    def save_model(self, request, obj, form, change):
        changes = {n: form.cleaned_data[n] for n in form.changed_data if n in editing.DRAFT_FIELDS}
        if changes:
            editing.save_draft(obj.claim_id, by=request.user, changes=changes)

    def save_related(self, request, form, formsets, change):
        pass  # contributors are written by the editing service, not by the form

"""What the claim page shows below the claim: evidence, the verdict draft and revisions, right of reply, duplicates and the audit history."""

from __future__ import annotations

from django.contrib import admin

from claims.models import (
    Claim,
    ClaimantContact,
    Evidence,
    Rating,
    ReviewEvent,
    Verdict,
)

from .common import EditableRecordInlineMixin, HttpsURLsMixin, ReadOnlyInlineMixin
from .desk import describe_event
from .evidence import link_badge, snapshot_summary
from .safety import SafeInputMixin


class EvidenceInline(SafeInputMixin, EditableRecordInlineMixin, HttpsURLsMixin, admin.StackedInline):
    model = Evidence
    fields = [("url", "stance", "source_type"), ("title", "publisher"), "excerpt", ("link", "snapshot")]
    readonly_fields = ["snapshot", "link"]
    extra = 0

    @admin.display(description="archived snapshot")
    def snapshot(self, obj):
        return snapshot_summary(obj)

    @admin.display(description="source")
    def link(self, obj):
        return link_badge(obj)


class DraftVerdictInline(EditableRecordInlineMixin, HttpsURLsMixin, admin.StackedInline):
    """The one verdict draft a claim may have; published revisions are below, read-only."""

    model = Verdict
    verbose_name = "verdict draft"
    verbose_name_plural = "verdict draft"
    fields = [
        "rating",
        "headline",
        "summary",
        "explanation",
        "correction_note",
        "revision",
        "author",
        "contributor_names",
        "publish_at",
    ]
    readonly_fields = ["revision", "author", "contributor_names", "publish_at"]
    extra = 0
    max_num = 1
    can_delete = False

    @admin.display(description="contributors (none of them may approve it)")
    def contributor_names(self, obj):
        return contributor_names(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Verdict.Status.DRAFT).select_related("author")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rating":
            kwargs["queryset"] = Rating.objects.filter(retired=False, scale__is_default=True).select_related("scale")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def contributor_names(verdict: Verdict | None) -> str:
    if verdict is None or verdict.pk is None:
        return "–"
    names = sorted(user.get_username() for user in verdict.contributors.all())
    return ", ".join(names) or "nobody yet"


class VerdictHistoryInline(ReadOnlyInlineMixin, HttpsURLsMixin, admin.StackedInline):
    model = Verdict
    verbose_name = "verdict revision"
    verbose_name_plural = "published verdict revisions"
    fields = [
        ("revision", "status", "rating"),
        "claim_text",
        "claimant_name",
        "headline",
        "summary",
        "explanation",
        "correction_note",
        ("author", "contributor_names", "approver", "published_at"),
        ("retraction_reason", "retracted_at"),
    ]
    readonly_fields = [
        "revision",
        "status",
        "rating",
        "claim_text",
        "claimant_name",
        "headline",
        "summary",
        "explanation",
        "correction_note",
        "author",
        "contributor_names",
        "approver",
        "published_at",
        "retraction_reason",
        "retracted_at",
    ]

    @admin.display(description="contributors")
    def contributor_names(self, obj):
        return contributor_names(obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(status=Verdict.Status.DRAFT)
            .select_related("rating__scale", "author", "approver")
            .prefetch_related("contributors")
        )


class ClaimantContactInline(admin.TabularInline):
    model = ClaimantContact
    verbose_name_plural = "right of reply"
    fields = ["contacted_at", "method", "contact_details", "response", "responded_at", "recorded_by"]
    readonly_fields = ["recorded_by"]
    extra = 0


class DuplicateInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Where else this claim was made: its duplicates' appearances and claimants."""

    model = Claim
    fk_name = "duplicate_of"
    verbose_name = "duplicate appearance"
    verbose_name_plural = "also made as (duplicates of this claim)"
    fields = ["text", "claimant", "article", "claimed_on"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claimant", "article")


class ReviewEventInline(ReadOnlyInlineMixin, HttpsURLsMixin, admin.TabularInline):
    model = ReviewEvent
    verbose_name_plural = "audit history"
    # What happened in words first; the event's code stays, small, for whoever searches the audit log.
    fields = ["what", "created_at", "note", "action"]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="what happened")
    def what(self, obj):
        return describe_event(obj)

"""Possible earlier checks: the match shown at triage and other organisations' fact-checks."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from claims.models import (
    Claim,
    ClaimMatch,
    ExternalReview,
)

from .common import LanguageFilter, ReadOnlyInlineMixin, _clip
from .safety import SafeInputMixin


def match_summary(claim: Claim) -> str:
    """The claim's shown match, from the ``best_*`` annotations of claims.matching.triage.with_best_match."""
    score = getattr(claim, "best_score", None)
    if score is None:
        return "–"
    # format_html escapes its arguments into strings first: the number is formatted here.
    score = f"{score:.2f}"
    if claim.best_review_id:
        return format_html(
            '<a href="{}" rel="noopener">{}</a>: {} · {} <small>({}){}</small>',
            claim.best_review_url,
            claim.best_review_publisher,
            claim.best_review_rating or "unrated",
            _clip(claim.best_review_claim),
            score,
            " ✓ linked" if claim.best_linked_at else "",
        )
    verdict = f", {claim.best_claim_rating}" if claim.best_claim_rating else ""
    return format_html(
        '<a href="{}">#{}</a> ({}{}) {} <small>({})</small>',
        reverse("admin:claims_claim_change", args=[claim.best_claim_id]),
        claim.best_claim_id,
        Claim.Status(claim.best_claim_status).label.lower(),
        verdict,
        _clip(claim.best_claim_text),
        score,
    )


class ClaimMatchInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Possibly already checked: the stored matches, best first. The changelist's actions
    mark a claim as a duplicate of its best-matching claim or link its best external fact-check."""

    model = ClaimMatch
    fk_name = "claim"
    verbose_name = "possible earlier check"
    verbose_name_plural = "possibly already checked (matches)"
    fields = ["target", "score", "linked_at", "linked_by", "computed_at"]
    readonly_fields = fields
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        # Code writes matches; whoever may see the claim sees them.
        return request.user.has_perm("claims.view_claim")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("matched_claim", "matched_review", "linked_by")
            .defer("matched_review__raw")
            .order_by("-score", "pk")
        )

    @admin.display(description="matched fact-check or claim")
    def target(self, obj):
        if obj.matched_review_id:
            review = obj.matched_review
            return format_html(
                '<a href="{}" rel="noopener">{}</a>: {} · {}',
                review.url,
                review.publisher_name,
                review.rating_text or "unrated",
                review.claim_reviewed,
            )
        claim = obj.matched_claim
        return format_html(
            '<a href="{}">#{}</a> ({}) {}',
            reverse("admin:claims_claim_change", args=[claim.pk]),
            claim.pk,
            claim.get_status_display().lower(),
            claim.text,
        )


@admin.register(ExternalReview)
class ExternalReviewAdmin(SafeInputMixin, admin.ModelAdmin):
    """Other organisations' fact-checks: references, read-only (imports write them)."""

    list_display = ["claim_reviewed", "publisher_name", "rating_text", "local_rating", "review_date", "language"]
    list_filter = ["source", "publisher_name", LanguageFilter]
    list_select_related = ["local_rating__scale"]
    search_fields = ["claim_reviewed", "claimant_name", "url", "identifier"]
    date_hierarchy = "review_date"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ExternalReview._meta.fields]

    def has_add_permission(self, request):
        return False

"""Outlets and articles: submitting an article, its text with the extracted claims."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from claims.intake import ingestion
from claims.models import (
    Article,
    Claim,
    Outlet,
)

from .collaboration import ArticleNewNoteInline, ArticleNoteThreadInline
from .common import HttpsURLsMixin, LanguageFilter, ReadOnlyInlineMixin
from .safety import SafeInputMixin


@admin.register(Outlet)
class OutletAdmin(SafeInputMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["name", "domain", "article_count", "created_at"]
    search_fields = ["name", "domain"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_article_count=Count("articles"))

    @admin.display(description="articles", ordering="_article_count")
    def article_count(self, obj):
        return obj._article_count


class ClaimInline(ReadOnlyInlineMixin, HttpsURLsMixin, admin.TabularInline):
    """The article's claims; each is changed on its own page, through the same rules as everywhere."""

    model = Claim
    fields = ["text", "claimant", "checkworthiness", "status", "priority", "span_start", "span_end"]
    readonly_fields = fields


class ArticleAdminForm(forms.ModelForm):
    url = forms.URLField(label="Source URL", max_length=2000, required=False, assume_scheme="https")

    class Meta:
        model = Article
        # The admin passes the fields of the page's fieldsets.
        fields = ["url", "title", "text"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and not cleaned.get("url") and not (cleaned.get("text") or "").strip():
            raise forms.ValidationError("Give the article's URL (it will be fetched) or paste its text.")
        return cleaned


@admin.register(Article)
class ArticleAdmin(SafeInputMixin, HttpsURLsMixin, admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = ["__str__", "outlet", "status", "language", "published_at", "claim_count", "created_at"]
    list_filter = ["status", LanguageFilter, "outlet"]
    list_select_related = ["outlet"]
    search_fields = ["title", "url", "byline", "outlet__name"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["outlet"]
    readonly_fields = [
        "status",
        "error",
        "same_text_as",
        "content_hash",
        "fetch_attempts",
        "fetched_at",
        "submitted_by",
        "created_at",
        "updated_at",
        "text_with_claims",
    ]
    fieldsets = [
        (None, {"fields": ["url", "canonical_url", "title", "outlet", "byline", "published_at", "language"]}),
        ("Claims in the text", {"fields": ["text_with_claims"]}),
        ("Text", {"fields": ["text", "content_hash"], "classes": ["collapse"]}),
        (
            "Ingestion",
            {
                "fields": [
                    "status",
                    "error",
                    "same_text_as",
                    ("fetch_attempts", "fetched_at"),
                    "submitted_by",
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": ["url", "title", "text"],
                "description": "Give the article's URL to fetch it, or paste its text. "
                "Its check-worthy claims then appear in the triage queue.",
            },
        )
    ]
    inlines = [ClaimInline, ArticleNoteThreadInline, ArticleNewNoteInline]
    actions = ["rerun_extraction"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_claim_count=Count("claims"))

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else super().get_inlines(request, obj)

    def save_formset(self, request, form, formset, change):
        if save_with := getattr(formset, "save_with", None):  # notes: through their service
            return save_with(request)
        return super().save_formset(request, form, formset, change)

    @admin.display(description="claims", ordering="_claim_count")
    def claim_count(self, obj):
        return obj._claim_count

    @admin.display(description="text, with the extracted claims highlighted")
    def text_with_claims(self, obj):
        return highlight_claims(obj.text, obj.claims.select_related("claimant").order_by("span_start"))

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # New articles go through the pipeline: saved with their work queued
        # in the same transaction (see claims.intake.ingestion).
        submission = ingestion.submit_article(url=obj.url, text=obj.text, title=obj.title, by=request.user)
        obj.pk = submission.article.pk
        obj._state.adding = False
        if not submission.created:
            self.message_user(
                request,
                f"The same {submission.matched_by} is already in the tracker as article #{obj.pk}; nothing new was added.",
                messages.WARNING,
            )

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description="Re-run claim extraction on selected articles", permissions=["change"])
    def rerun_extraction(self, request, queryset):
        queued = [pk for pk in queryset.values_list("pk", flat=True) if ingestion.rerun_extraction(pk)]
        self.message_user(request, f"Extraction queued for {len(queued)} article(s).", messages.SUCCESS)


def highlight_claims(text: str, claims) -> str:
    """The article text, escaped, with each claim's span in a <mark> that
    names its score and speaker."""
    pieces = []
    cursor = 0
    for claim in claims:
        if claim.span_start is None or claim.span_start < cursor or claim.span_end > len(text):
            continue
        pieces.append(escape(text[cursor : claim.span_start]))
        who = claim.claimant.name if claim.claimant else "unattributed"
        score = f"{claim.checkworthiness:.2f}" if claim.checkworthiness is not None else "–"
        pieces.append(
            format_html(
                '<mark title="claim #{}: score {}, {}">{}</mark> <small>[<a href="{}">#{}</a> {} · {}]</small>',
                claim.pk,
                score,
                who,
                text[claim.span_start : claim.span_end],
                reverse("admin:claims_claim_change", args=[claim.pk]),
                claim.pk,
                score,
                who,
            )
        )
        cursor = claim.span_end
    pieces.append(escape(text[cursor:]))
    body = mark_safe("".join(pieces))  # noqa: S308 (every piece was escaped above)
    return format_html('<div class="article-text" style="white-space: pre-wrap; max-width: 60em">{}</div>', body)

"""The editors' and reviewers' workspace.

Every changelist selects its related rows up front (list_select_related or an
annotation) so it runs a constant number of queries however many rows it shows.
"""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from rest_framework_api_key.admin import APIKeyModelAdmin

from . import editing, ingestion, snapshots, webhooks, workflow
from .admin_safety import SafeInputMixin, protect_admins
from .forms import TransitionForm
from .matching import triage as matching
from .models import (
    APIKey,
    Article,
    Claim,
    Claimant,
    ClaimantContact,
    ClaimMatch,
    Evidence,
    ExternalReview,
    Outlet,
    Rating,
    RatingScale,
    ReviewEvent,
    ServiceHeartbeat,
    Verdict,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from .querysets import TRIAGE_ORDERING


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


class RefusalsAsMessagesMixin:
    """A change the editing services refuse (the claim moved on meanwhile, or the
    user may not change it) is shown as a message on the page, nothing saved."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except workflow.WorkflowError as exc:
            self.message_user(request, f"Nothing was saved: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except workflow.WorkflowError as exc:
            self.message_user(request, f"Nothing was deleted: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class LanguageFilter(admin.SimpleListFilter):
    """The desk's languages from settings: listing the distinct languages in
    the table would scan every claim on every page load."""

    title = "language"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        from django.conf import settings
        from django.utils.translation import get_language_info

        choices = []
        for code in settings.FACTCHECK_LANGUAGES:
            try:
                choices.append((code, get_language_info(code)["name"]))
            except KeyError:
                choices.append((code, code))
        return choices

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


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
    inlines = [ClaimInline]
    actions = ["rerun_extraction"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_claim_count=Count("claims"))

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else super().get_inlines(request, obj)

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
        # in the same transaction (see claims.ingestion).
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


@admin.register(Claimant)
class ClaimantAdmin(SafeInputMixin, RefusalsAsMessagesMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "description", "claim_count"]
    list_filter = ["kind"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_claim_count=Count("claims"))

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # A rename is recorded on every claim of theirs (published fact-checks keep the published name).
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        editing.change_claimant(obj.pk, by=request.user, changes=changes)

    @admin.display(description="claims", ordering="_claim_count")
    def claim_count(self, obj):
        return obj._claim_count


class EditableRecordInlineMixin:
    """Rows of a claim's record (sources, draft): changeable only by who may change the claim, while it may change."""

    def has_add_permission(self, request, obj=None):
        return editing.may_edit(obj, request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return editing.may_edit(obj, request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return editing.may_edit(obj, request.user) and super().has_delete_permission(request, obj)


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
    fields = ["created_at", "action", "from_status", "to_status", "actor_username", "note"]
    readonly_fields = fields
    show_change_link = False


def _clip(text: str, length: int = 90) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


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


class QueueFilter(admin.SimpleListFilter):
    """The desk's work queues."""

    title = "queue"
    parameter_name = "queue"
    RECENT_DAYS = 30

    def lookups(self, request, model_admin):
        return [
            ("triage", "Triage queue"),
            ("mine", "My assignments"),
            ("approval", "Awaiting approval"),
            ("scheduled", "Scheduled"),
            ("published", f"Published in the last {self.RECENT_DAYS} days"),
            ("sources", "Published, with broken or changed sources"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "triage":
                return queryset.awaiting_triage()
            case "mine":
                return queryset.assigned_to(request.user)
            case "approval":
                return queryset.awaiting_approval()
            case "scheduled":
                return queryset.scheduled()
            case "published":
                since = timezone.now() - dt.timedelta(days=self.RECENT_DAYS)
                return queryset.published().filter(status_changed_at__gte=since)
            case "sources":
                # One EXISTS in the changelist's query, so the queue costs what the others do.
                broken = Evidence.objects.filter(snapshots.needs_attention(), claim=OuterRef("pk"))
                return queryset.published().filter(Exists(broken))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Reviewers by name, read from the users table rather than from every claim."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        from django.contrib.auth import get_user_model

        from .roles import REVIEWERS

        users = get_user_model().objects.filter(groups__name=REVIEWERS, is_active=True).order_by("username")
        return [(str(pk), username) for pk, username in users.values_list("pk", "username")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not (value.isascii() and value.isdigit()):
            raise admin.options.IncorrectLookupParameters(f"assignee: a user id is a number, not {value[:50]!r}")
        return queryset.filter(assignee_id=int(value))


QUEUE_ORDERING = {
    # Most deserving of a check first; the same order as the claim_triage_queue index.
    "triage": TRIAGE_ORDERING,
    "mine": ["-priority", "status_changed_at", "pk"],
    "approval": ["status_changed_at", "pk"],
    "scheduled": ["status_changed_at", "pk"],
    "published": ["-status_changed_at", "-pk"],
    "sources": ["-status_changed_at", "-pk"],
}


@admin.register(Claim)
class ClaimAdmin(SafeInputMixin, RefusalsAsMessagesMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = [
        "short_text",
        "possibly_checked",
        "status",
        "priority",
        "checkworthiness",
        "claimant",
        "article",
        "assignee",
        "status_changed_at",
    ]
    list_filter = [QueueFilter, "status", "priority", LanguageFilter, AssigneeFilter]
    list_select_related = ["claimant", "article", "assignee"]
    # Counting the whole table on every page costs a scan; the filtered count is enough.
    show_full_result_count = False
    search_fields = ["text", "sentence", "claimant__name"]
    autocomplete_fields = ["article", "claimant"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "time_in_status",
        "assignee",
        "duplicate_of",
        "version",
        "created_at",
        "updated_at",
    ]
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
    inlines = [
        EvidenceInline,
        DraftVerdictInline,
        ClaimantContactInline,
        VerdictHistoryInline,
        DuplicateInline,
        ReviewEventInline,
        ClaimMatchInline,
    ]
    actions = [
        "accept_selected",
        "dismiss_selected",
        "mark_duplicate_selected",
        "assign_selected",
        "recheck_sources_selected",
        "mark_duplicate_of_match_selected",
        "link_external_match_selected",
    ]
    change_form_template = "admin/claims/claim/change_form.html"

    @admin.display(description="claim", ordering="text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 100 else obj.text[:99] + "…"

    @admin.display(description="possibly already checked")
    def possibly_checked(self, obj):
        # The best stored match, read by the changelist query itself (get_queryset).
        return match_summary(obj)

    @admin.display(description="time in status")
    def time_in_status(self, obj):
        delta = obj.time_in_status
        hours = int(delta.total_seconds() // 3600)
        return (
            f"{hours // 24} d {hours % 24} h"
            if hours >= 24
            else f"{hours} h {int(delta.total_seconds() % 3600 // 60)} min"
        )

    def get_queryset(self, request):
        # The article column shows the title; its full text can be large.
        return matching.with_best_match(super().get_queryset(request).defer("article__text"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        # During a correction the form edits the claim as the correction will publish it.
        working = editing.working_claim(obj)

        class WorkingClaimForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                for name, value in working.items():
                    if name in self.fields:
                        self.initial[name] = value.pk if isinstance(value, Claimant) else value

        return WorkingClaimForm

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            # In the admin's transaction: the match is computed once the claim is committed.
            matching.queue_matching([obj.pk])
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in editing.CLAIM_FIELDS}
        if changes:
            editing.update_claim(obj.pk, by=request.user, changes=changes)

    def get_ordering(self, request):
        return QUEUE_ORDERING.get(request.GET.get(QueueFilter.parameter_name), super().get_ordering(request))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not editing.may_edit(obj, request.user):
            return [f.name for f in Claim._meta.fields if f.name != "id"] + ["time_in_status"]
        if obj is not None and editing.in_correction(obj):
            # Where it appeared is part of the published record's appearances.
            return [*self.readonly_fields, *editing.SOURCE_FIELDS]
        return self.readonly_fields

    def save_formset(self, request, form, formset, change):
        claim = form.instance
        if formset.model is Evidence:
            return self._save_evidence(request, formset)
        if formset.model is Verdict:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for inline_form in formset.forms:
                if inline_form.has_changed():
                    names = editing.DRAFT_FIELDS if inline_form.instance.pk is None else inline_form.changed_data
                    changes = {n: inline_form.cleaned_data[n] for n in names if n in editing.DRAFT_FIELDS}
                    draft, created = editing.save_draft(claim.pk, by=request.user, changes=changes)
                    if created:
                        formset.new_objects.append(draft)
                    else:
                        formset.changed_objects.append((draft, list(changes)))
            return None
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, ClaimantContact) and instance.recorded_by_id is None:
                instance.recorded_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()
        return None

    def _save_evidence(self, request, formset) -> None:
        """Each source added, changed or removed on the claim's page goes through the editing service."""
        claim = formset.instance
        # What the admin's change message and history read from a formset it saved.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            evidence = inline_form.instance
            if inline_form in formset.deleted_forms:
                if evidence.pk is not None:
                    editing.remove_evidence(evidence.pk, by=request.user)
                    formset.deleted_objects.append(evidence)
            elif evidence.pk is None:
                if inline_form.has_changed():
                    fields = {
                        n: inline_form.cleaned_data[n] for n in editing.EVIDENCE_FIELDS if n in inline_form.cleaned_data
                    }
                    formset.new_objects.append(editing.attach_evidence(claim.pk, by=request.user, **fields))
            elif inline_form.has_changed():
                changes = {
                    n: inline_form.cleaned_data[n] for n in inline_form.changed_data if n in editing.EVIDENCE_FIELDS
                }
                saved = editing.update_evidence(evidence.pk, by=request.user, changes=changes)
                formset.changed_objects.append((saved, list(changes)))

    # --- Transition buttons on the change page --------------------------------

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="claims_claim_transition",
            )
        ]
        return custom + urls

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["workflow_forms"] = [
                (t, TransitionForm(t, initial={"expected_version": obj.version}))
                for t in workflow.available_transitions(obj, request.user)
            ]
            context["claim_contacts"] = list(obj.contacts.all())
            context["source_problems"] = workflow.source_problems(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_view(self, request, object_id, action):
        claim = self.get_object(request, object_id)
        change_url = reverse("admin:claims_claim_change", args=[object_id])
        if claim is None or not self.has_view_permission(request, claim):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        try:
            transition = workflow.transition_for(action)
        except workflow.WorkflowError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = TransitionForm(transition, request.POST)
        if not form.is_valid():
            errors = "; ".join(
                f"{form.fields[name].label if name in form.fields else name}: {' '.join(e)}"
                for name, e in form.errors.items()
            )
            self.message_user(request, f"{transition.label}: {errors}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            claim = workflow.perform(
                action,
                claim.pk,
                by=request.user,
                expected_version=form.cleaned_data.get("expected_version"),
                **form.workflow_values(),
            )
        except workflow.WorkflowError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                f"{transition.label}: claim #{claim.pk} is now {claim.get_status_display().lower()}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url)

    # --- Bulk actions -----------------------------------------------------------

    def has_triage_permission(self, request):
        return request.user.has_perm("claims.triage_claim")

    def has_assign_permission(self, request):
        return request.user.has_perm("claims.assign_claim")

    def _bulk(self, request, queryset, action: str, **values) -> None:
        done, failed = [], []
        for claim_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                workflow.perform(action, claim_id, by=request.user, **values)
            except workflow.WorkflowError as exc:
                failed.append(exc.message)
            else:
                done.append(claim_id)
        label = workflow.TRANSITIONS[action].label
        if done:
            ids = ", ".join(f"#{pk}" for pk in done)
            self.message_user(request, f"{label}: {len(done)} claim(s) done ({ids}).", messages.SUCCESS)
        for message in failed:
            self.message_user(request, message, messages.ERROR)

    def _bulk_with_form(self, request, queryset, action: str):
        transition = workflow.TRANSITIONS[action]
        form = TransitionForm(transition, request.POST if "apply" in request.POST else None, with_version=False)
        if "apply" in request.POST and form.is_valid():
            self._bulk(request, queryset, action, **form.workflow_values())
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"{transition.label}: {queryset.count()} claim(s)",
            "opts": self.model._meta,
            "transition": transition,
            "form": form,
            "claims": queryset.select_related("claimant"),
            "action_name": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/claims/claim/bulk_transition.html", context)

    @admin.action(description="Accept selected claims", permissions=["triage"])
    def accept_selected(self, request, queryset):
        self._bulk(request, queryset, "accept")

    @admin.action(description="Dismiss selected claims…", permissions=["triage"])
    def dismiss_selected(self, request, queryset):
        return self._bulk_with_form(request, queryset, "dismiss")

    @admin.action(description="Mark selected claims as duplicates of…", permissions=["triage"])
    def mark_duplicate_selected(self, request, queryset):
        return self._bulk_with_form(request, queryset, "mark_duplicate")

    @admin.action(description="Assign selected claims to…", permissions=["assign"])
    def assign_selected(self, request, queryset):
        return self._bulk_with_form(request, queryset, "assign")

    @admin.action(description="Re-check the sources of selected claims now", permissions=["view"])
    def recheck_sources_selected(self, request, queryset):
        evidence = Evidence.objects.filter(claim__in=queryset.values("pk")).values_list("pk", flat=True)
        queued = snapshots.queue_link_checks(evidence)
        self.message_user(request, f"{queued} source(s) queued for a check (one request per site at a time).")

    def _each_with_match(self, request, queryset, find, act, label: str) -> None:
        done, failed = [], []
        for claim_id in queryset.order_by("pk").values_list("pk", flat=True):
            found = find(claim_id)
            if found is None:
                failed.append(f"Claim #{claim_id}: no stored match of that kind.")
                continue
            try:
                act(claim_id, found)
            except workflow.WorkflowError as exc:
                failed.append(exc.message)
            else:
                done.append(claim_id)
        if done:
            ids = ", ".join(f"#{pk}" for pk in done)
            self.message_user(request, f"{label}: {len(done)} claim(s) done ({ids}).", messages.SUCCESS)
        for message in failed:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Mark selected claims as duplicates of their best-matching claim", permissions=["triage"])
    def mark_duplicate_of_match_selected(self, request, queryset):
        def act(claim_id, found):
            note = f"Matched claim #{found.matched_claim_id} (score {found.score:.2f})."
            workflow.perform(
                "mark_duplicate", claim_id, by=request.user, duplicate_of=found.matched_claim_id, note=note
            )

        self._each_with_match(request, queryset, matching.best_claim_match, act, "Mark duplicate of the match")

    @admin.action(description="Link selected claims to their best-matching external fact-check", permissions=["triage"])
    def link_external_match_selected(self, request, queryset):
        def act(claim_id, found):
            matching.link_external_review(found.pk, by=request.user)

        self._each_with_match(request, queryset, matching.best_external_match, act, "Link the external fact-check")


def snapshot_summary(evidence: Evidence) -> str:
    if evidence.snapshot_fetched_at is None:
        return evidence.snapshot_error or "not archived yet"
    return format_html(
        "HTTP {} at {}, sha256 <code>{}</code>",
        evidence.snapshot_http_status,
        # format_html escapes its arguments into strings, so the date is formatted first.
        f"{evidence.snapshot_fetched_at:%Y-%m-%d %H:%M}",
        evidence.snapshot_sha256[:16],
    )


LINK_BADGE_COLOURS = {
    Evidence.LinkStatus.OK: "#2e7d32",
    Evidence.LinkStatus.CHANGED: "#b26a00",
    Evidence.LinkStatus.MOVED: "#1565c0",
    Evidence.LinkStatus.GONE: "#c62828",
    Evidence.LinkStatus.ERROR: "#6d4c41",
    Evidence.LinkStatus.UNCHECKED: "#757575",
}


def link_badge(evidence: Evidence) -> str:
    """The source's link status as a coloured badge; the details in its tooltip."""
    status = Evidence.LinkStatus(evidence.link_status)
    checked = f"checked {evidence.link_checked_at:%Y-%m-%d %H:%M}" if evidence.link_checked_at else ""
    since = f" since {evidence.link_changed_at:%Y-%m-%d %H:%M}" if evidence.link_changed_at else ""
    match status:
        case Evidence.LinkStatus.UNCHECKED:
            detail = evidence.snapshot_error or "snapshot queued"
        case Evidence.LinkStatus.OK:
            detail = f"as archived; {checked}"
        case Evidence.LinkStatus.CHANGED:
            detail = f"the text differs from the snapshot{since}; {checked}"
        case Evidence.LinkStatus.MOVED:
            detail = f"now ends at {evidence.link_final_url}{since}; {checked}"
        case _:
            detail = f"{evidence.link_error} ({evidence.link_failures} failed check(s) in a row; {checked})"
    return format_html(
        '<span class="link-badge link-{}" title="{}" style="color: #fff; background: {}; '
        'padding: 1px 6px; border-radius: 3px; white-space: nowrap">{}</span>',
        status.value,
        detail,
        LINK_BADGE_COLOURS[status],
        status.label,
    )


@admin.register(Evidence)
class EvidenceAdmin(SafeInputMixin, RefusalsAsMessagesMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "claim",
        "stance",
        "source_type",
        "publisher",
        "domain",
        "link",
        "snapshot",
        "added_by",
        "added_at",
    ]
    list_filter = ["stance", "source_type", "link_status"]
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
        "link",
        "link_checked_at",
        "link_changed_at",
        "link_failures",
        "link_error",
        "link_final_url",
        "check_history",
    ]
    actions = ["recheck_selected"]
    CHECK_HISTORY_ROWS = 20

    @admin.display(description="snapshot")
    def snapshot(self, obj):
        return snapshot_summary(obj)

    @admin.display(description="source", ordering="link_status")
    def link(self, obj):
        return link_badge(obj)

    @admin.display(description="checks (latest first)")
    def check_history(self, obj):
        rows = [
            format_html(
                "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                f"{check.checked_at:%Y-%m-%d %H:%M}",
                check.get_kind_display(),
                check.get_link_status_display(),
                " (changed)" if check.status_changed else "",
                check.http_status or "",
                check.text_sha256[:16],
                check.error or check.final_url,
            )
            for check in obj.checks.order_by("-checked_at", "-pk")[: self.CHECK_HISTORY_ROWS]
        ]
        if not rows:
            return "none yet"
        header = mark_safe(  # noqa: S308 (a constant)
            "<tr><th>when</th><th>kind</th><th>status after</th><th>HTTP</th><th>text sha256</th><th>detail</th></tr>"
        )
        return format_html("<table>{}{}</table>", header, mark_safe("".join(rows)))  # noqa: S308 (escaped above)

    @admin.action(description="Re-check selected sources now", permissions=["view"])
    def recheck_selected(self, request, queryset):
        queued = snapshots.queue_link_checks(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{queued} source(s) queued for a check (one request per site at a time).")

    def get_queryset(self, request):
        # The changelist applies list_select_related only when this is empty.
        return super().get_queryset(request).select_related("claim", "added_by")

    def has_change_permission(self, request, obj=None):
        return (obj is None or editing.may_edit(obj.claim, request.user)) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return (obj is None or editing.may_edit(obj.claim, request.user)) and super().has_delete_permission(
            request, obj
        )

    def get_readonly_fields(self, request, obj=None):
        # A source stays with the claim it was attached to.
        return [*self.readonly_fields, "claim"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "claim":
            # Only claims this user may add sources to now.
            claims = Claim.objects.filter(status__in=workflow.EDITABLE_STATUSES)
            if not editing.is_editor(request.user):
                claims = claims.filter(assignee=request.user)
            kwargs["queryset"] = claims
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            changes = {n: form.cleaned_data[n] for n in form.changed_data if n in editing.EVIDENCE_FIELDS}
            editing.update_evidence(obj.pk, by=request.user, changes=changes)
            return
        fields = {n: form.cleaned_data[n] for n in editing.EVIDENCE_FIELDS if n in form.cleaned_data}
        evidence = editing.attach_evidence(obj.claim_id, by=request.user, **fields)
        obj.pk = evidence.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        editing.remove_evidence(obj.pk, by=request.user)

    def delete_queryset(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            editing.remove_evidence(pk, by=request.user)


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


@admin.register(ClaimantContact)
class ClaimantContactAdmin(SafeInputMixin, admin.ModelAdmin):
    list_display = ["claim", "contacted_at", "method", "contact_details", "responded_at", "recorded_by"]
    list_filter = ["method"]
    list_select_related = ["claim", "recorded_by"]
    search_fields = ["contact_details", "response", "claim__text"]
    autocomplete_fields = ["claim"]
    readonly_fields = ["recorded_by"]

    def save_model(self, request, obj, form, change):
        if not change and obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


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


# --- Webhooks -----------------------------------------------------------------


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        help_text="Deliveries are POSTed here. It must be a public http(s) address; it is checked again at each delivery.",
    )
    events = forms.MultipleChoiceField(choices=WebhookSubscription.Event.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["url", "description", "events", "active"]

    def clean_url(self):
        return webhooks.validate_url(self.cleaned_data["url"])


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SafeInputMixin, admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["__str__", "url", "event_list", "active", "disabled_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "signing_secret",
        "hidden_secret",
        "previous_secret_expires_at",
        "disabled_reason",
        "disabled_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["url", "description", "events", "active"]}),
        (
            "Signing",
            {
                "fields": ["signing_secret", "previous_secret_expires_at"],
                "description": "Receivers verify every delivery with this secret (README, “Receiving webhooks”). "
                "After a rotation the previous secret also signs until the time shown.",
            },
        ),
        ("State", {"fields": ["disabled_reason", "disabled_at", ("created_by", "created_at"), "updated_at"]}),
    ]
    actions = ["rotate_secrets"]

    def get_fieldsets(self, request, obj=None):
        # The secret is made when the subscription is saved; it is shown from then
        # on, to those who manage subscriptions.
        if obj is None:
            return self.fieldsets[:1]
        if self.has_change_permission(request, obj):
            return self.fieldsets
        name, options = self.fieldsets[1]
        hidden = {**options, "fields": ["hidden_secret", "previous_secret_expires_at"]}
        return [self.fieldsets[0], (name, hidden), *self.fieldsets[2:]]

    @admin.display(description="events")
    def event_list(self, obj):
        labels = dict(WebhookSubscription.Event.choices)
        return ", ".join(str(labels.get(event, event)) for event in obj.events)

    @admin.display(description="signing secret")
    def signing_secret(self, obj):
        return format_html("<code>{}</code>", obj.secret)

    @admin.display(description="signing secret")
    def hidden_secret(self, obj):
        return "Hidden: shown to those who manage webhook subscriptions."

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        elif "active" in form.changed_data and not obj.active:
            obj.disabled_reason = f"Turned off in the admin by {request.user.get_username()}."
        super().save_model(request, obj, form, change)

    @admin.action(
        description="Rotate the signing secret (the old one keeps signing for 24 hours)", permissions=["change"]
    )
    def rotate_secrets(self, request, queryset):
        rotated = [webhooks.rotate_secret(pk) for pk in queryset.values_list("pk", flat=True)]
        self.message_user(
            request,
            f"New signing secret for {len(rotated)} subscription(s); give it to the receivers within 24 hours.",
            messages.SUCCESS,
        )


class WebhookAttemptInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "manual", "started_at", "outcome", "status_code", "duration_ms", "response_excerpt", "error"]
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "attempts"

    @admin.display(description="outcome")
    def outcome(self, obj):
        if obj.finished_at is None:
            return "no result (under way, or the worker stopped mid-attempt)"
        if obj.status_code is not None and 200 <= obj.status_code < 300:
            return "delivered"
        return "failed"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SafeInputMixin, admin.ModelAdmin):
    """The delivery log: one row per event and subscription, its attempts inline."""

    list_display = [
        "message_id",
        "event",
        "subscription",
        "claim",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "subscription"]
    list_select_related = ["subscription", "claim"]
    search_fields = ["message_id", "subscription__url", "subscription__description"]
    # The log only grows: no date hierarchy (it scans the table for its dates) and
    # no second, unfiltered count.
    show_full_result_count = False
    fields = [
        "message_id",
        "event",
        "subscription",
        "claim",
        "status",
        ("attempts", "schedule_base"),
        "next_attempt_at",
        ("created_at", "delivered_at"),
        "payload_json",
    ]
    readonly_fields = [name for entry in fields for name in (entry if isinstance(entry, tuple) else (entry,))]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request):
        return request.user.has_perm("claims.change_webhookdelivery")

    @admin.display(description="payload (signed and sent as is)")
    def payload_json(self, obj):
        try:
            text = json.dumps(json.loads(obj.payload), indent=2, ensure_ascii=False)
        except ValueError:
            text = obj.payload
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    @admin.action(description="Redeliver (a fresh attempt with the same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        queued, refused = 0, []
        for pk in queryset.values_list("pk", flat=True):
            try:
                webhooks.redeliver(pk)
                queued += 1
            except webhooks.WebhookError as exc:
                refused.append(exc.message)
        if queued:
            self.message_user(request, f"Redelivery queued for {queued} delivery(ies).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)


# The admins other apps registered (django.contrib.auth's users and groups) get the same safety net.
protect_admins(admin.site)

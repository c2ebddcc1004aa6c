"""Claims: the work queues, transition buttons and bulk actions; claimants and right of reply."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from claims.evidence import snapshots
from claims.matching import triage as matching
from claims.models import (
    Claim,
    Claimant,
    ClaimantContact,
    Evidence,
    Tip,
    Verdict,
)
from claims.models.querysets import TRIAGE_ORDERING
from claims.review import editing, export, matches, queues, workflow

from . import desk
from .claim_inlines import (
    ClaimantContactInline,
    DraftVerdictInline,
    DuplicateInline,
    EvidenceInline,
    ReviewEventInline,
    VerdictHistoryInline,
)
from .collaboration import ClaimTaskInline, NewNoteInline, NoteThreadInline, TagFilter, tag_selected
from .common import HttpsURLsMixin, LabelledAutocompleteMixin, LanguageFilter, RefusalsAsMessagesMixin
from .forms import TransitionForm
from .matching import ClaimMatchInline, match_summary
from .safety import SafeChangeList, SafeInputMixin


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


class QueueFilter(admin.SimpleListFilter):
    """The desk's work queues."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return list(queues.QUEUES.items())

    def queryset(self, request, queryset):
        return queues.queue(self.value(), request.user, queryset) if self.value() else queryset


class AssigneeFilter(admin.SimpleListFilter):
    """Reviewers by name, read from the users table rather than from every claim."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        from django.contrib.auth import get_user_model

        from claims.review.roles import REVIEWERS

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


KEPT_INPUT_SESSION_KEY = "claims.kept_transition_input"


def keep_transition_input(request, claim: Claim, transition: workflow.Transition, form: TransitionForm) -> None:
    """What the user typed into a refused transition's form, shown again on the reloaded claim page.

    A stale-version conflict or a guard sends the user back to the page; the
    reason or note they wrote must not be lost with it. Kept in the session for
    the next render of this claim only.
    """
    typed = {name: form.data.get(form.add_prefix(name), "")[:10_000] for name in transition.fields}
    request.session[KEPT_INPUT_SESSION_KEY] = {"claim": claim.pk, "action": transition.action, "values": typed}


def kept_transition_input(request, claim: Claim) -> dict[str, dict[str, str]]:
    kept = request.session.get(KEPT_INPUT_SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("claim") != claim.pk:
        return {}
    del request.session[KEPT_INPUT_SESSION_KEY]
    return {kept["action"]: kept["values"]}


QUEUE_NOUNS = {"triage": "candidate", "published": "fact-check", "sources": "fact-check"}


class QueueChangeList(SafeChangeList):
    """The changelist titled by its queue and count: "Triage queue · 42 candidates"."""

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        current = request.GET.get(QueueFilter.parameter_name)
        name, noun = queues.QUEUES.get(current, "Claims"), QUEUE_NOUNS.get(current, "claim")
        # result_count is the filtered count the changelist ran anyway: no extra query.
        self.title = f"{name} · {self.result_count} {noun}{pluralize(self.result_count)}"


@admin.register(Claim)
class ClaimAdmin(SafeInputMixin, RefusalsAsMessagesMixin, LabelledAutocompleteMixin, HttpsURLsMixin, admin.ModelAdmin):
    list_display = [
        "short_text",
        "possibly_checked",
        "status_badge",
        "requests",
        "priority",
        "score",
        "claimant",
        "assignee",
        "status_changed",
    ]
    list_filter = [QueueFilter, "status", "priority", "scorer", LanguageFilter, AssigneeFilter, TagFilter]
    list_select_related = ["claimant", "article", "assignee"]
    # Counting the whole table on every page costs a scan; the filtered count is enough.
    show_full_result_count = False
    search_fields = ["text", "sentence", "claimant__name"]
    autocomplete_fields = ["article", "claimant"]
    readonly_fields = [
        "scorer",
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
        (
            "Where it appeared",
            {"fields": ["article", "sentence", ("span_start", "span_end"), ("checkworthiness", "scorer")]},
        ),
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
        ClaimTaskInline,
        NoteThreadInline,
        NewNoteInline,
    ]
    actions = [
        "accept_and_assign_selected",
        "accept_selected",
        "dismiss_selected",
        "mark_duplicate_selected",
        "assign_selected",
        "recheck_sources_selected",
        "mark_duplicate_of_match_selected",
        "link_external_match_selected",
        tag_selected,
    ]
    change_form_template = "admin/claims/claim/change_form.html"

    @admin.display(description="claim", ordering="text")
    def short_text(self, obj):
        # Clamped to three lines by the style sheet; the whole text on hover, and for screen readers.
        # The article it came from goes under it, on one line: a column of its own would squeeze the claim.
        text = format_html('<span class="claim-text" title="{}">{}</span>', obj.text, obj.text)
        if obj.article_id is None:
            return text
        title = str(obj.article)
        return format_html('{}<span class="claim-article" title="{}">{}</span>', text, title, title)

    # Columns a queue makes redundant: every claim in triage is an unassigned candidate, and the
    # "already checked?" hint matters when triaging, not in the other lists.
    HIDDEN_IN_QUEUE = {"triage": {"status_badge", "assignee"}}
    HIDDEN_ELSEWHERE = {"possibly_checked"}

    def get_list_display(self, request):
        hidden = self.HIDDEN_IN_QUEUE.get(request.GET.get(QueueFilter.parameter_name), self.HIDDEN_ELSEWHERE)
        return [name for name in self.list_display if name not in hidden]

    def changelist_view(self, request, extra_context=None):
        # The app list beside the queue costs the claim column a third of a laptop screen;
        # the breadcrumbs and the home page lead everywhere it does.
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return desk.status_badge(obj.status)

    @admin.display(description="score", ordering="checkworthiness")
    def score(self, obj):
        # Check-worthiness as two digits (0.87 -> 87): enough to rank by eye.
        if obj.checkworthiness is None:
            return "–"
        return format_html(
            '<span title="check-worthiness {}">{}</span>',
            f"{obj.checkworthiness:.2f}",
            f"{round(obj.checkworthiness * 100):02d}",
        )

    @admin.display(description="changed", ordering="status_changed_at")
    def status_changed(self, obj):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            obj.status_changed_at.isoformat(),
            f"{timezone.localtime(obj.status_changed_at):%Y-%m-%d %H:%M}",
            desk.ago(obj.status_changed_at),
        )

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    # A short heading: the claim text keeps the width (readers' requests, from the tiplines).
    @admin.display(description="asks", ordering="-tip_requests")
    def requests(self, obj):
        # Readers who sent a tip about it (spam left out), counted by the changelist query (get_queryset).
        return obj.tip_requests or ""

    @admin.display(description="possibly already checked")
    def possibly_checked(self, obj):
        # The best stored match, read by the changelist query itself (get_queryset).
        return format_html('<div class="match-hint">{}</div>', match_summary(obj))

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
        claims = super().get_queryset(request).defer("article__text")
        requests = Tip.objects.filter(claim=OuterRef("pk")).exclude(status=Tip.Status.SPAM).order_by()
        requests = requests.values("claim").annotate(n=Count("pk")).values("n")
        return matching.with_best_match(claims.annotate(tip_requests=Coalesce(Subquery(requests), 0)))

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
        if save_with := getattr(formset, "save_with", None):  # notes and checklist: through their services
            return save_with(request)
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
            path("export/", self.admin_site.admin_view(self.export_view), name="claims_claim_export"),
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="claims_claim_transition",
            ),
        ]
        return custom + urls

    def view_on_site(self, obj):
        # The public fact-check, on this same site, once there is one (the slug comes with the first publication).
        return reverse("fact-check-detail", args=[obj.slug]) if obj.slug else None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            kept = kept_transition_input(request, obj)
            context["workflow_forms"] = [
                (t, TransitionForm(t, initial={**kept.get(t.action, {}), "expected_version": obj.version}))
                for t in desk.order_actions(obj, workflow.available_transitions(obj, request.user))
            ]
            context["claim_contacts"] = list(obj.contacts.all())
            context.update(desk.header_context(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def export_view(self, request):
        """The list as it stands (queue, filters, search) as CSV, through the same service as ``export_claims``."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except admin.options.IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:claims_claim_changelist") + "?e=1")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="claims-{stamp}.csv"'
        export.write_csv(export.rows(changelist.queryset), response)
        return response

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
            keep_transition_input(request, claim, transition, form)
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
            keep_transition_input(request, claim, transition, form)
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

    def has_tag_permission(self, request):
        return request.user.has_perm("claims.view_tag") and request.user.has_perm("claims.change_claim")

    def has_assign_permission(self, request):
        return request.user.has_perm("claims.assign_claim")

    def has_accept_and_assign_permission(self, request):
        return self.has_triage_permission(request) and self.has_assign_permission(request)

    def _partition(self, queryset, transition: workflow.Transition) -> tuple[list[Claim], list[tuple[Claim, str]]]:
        """The selected claims the transition applies to, and the others with why they will be skipped."""
        applicable, skipped = [], []
        for claim in queryset.order_by("pk"):
            reason = workflow.not_applicable(claim, transition)
            if reason:
                skipped.append((claim, reason))
            else:
                applicable.append(claim)
        return applicable, skipped

    def _bulk(self, request, queryset, action: str, **values) -> None:
        transition = workflow.TRANSITIONS[action]
        # Each transition locks and re-reads its row: the status read here only sorts the selection.
        applicable, skipped = self._partition(queryset.select_related(None).only("pk", "status"), transition)
        done, failed = [], []
        for claim in applicable:
            try:
                workflow.perform(action, claim.pk, by=request.user, **values)
            except workflow.WorkflowError as exc:
                failed.append(exc.message)
            else:
                done.append(claim.pk)
        if done:
            ids = ", ".join(f"#{pk}" for pk in done)
            self.message_user(request, f"{transition.label}: {len(done)} claim(s) done ({ids}).", messages.SUCCESS)
        for _claim, reason in skipped:
            self.message_user(request, f"Skipped: {reason}", messages.WARNING)
        for message in failed:
            self.message_user(request, message, messages.ERROR)

    def _bulk_with_form(self, request, queryset, action: str):
        transition = workflow.TRANSITIONS[action]
        form = TransitionForm(transition, request.POST if "apply" in request.POST else None, with_version=False)
        if "apply" in request.POST and form.is_valid():
            self._bulk(request, queryset, action, **form.workflow_values())
            return None
        applicable, skipped = self._partition(queryset.select_related("claimant"), transition)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{transition.label}: {len(applicable)} claim(s)"
            + (f", {len(skipped)} skipped" if skipped else ""),
            "opts": self.model._meta,
            "transition": transition,
            "form": form,
            "claims": applicable,
            "skipped": skipped,
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

    @admin.action(description="Accept selected candidates and assign them to…", permissions=["accept_and_assign"])
    def accept_and_assign_selected(self, request, queryset):
        return self._bulk_with_form(request, queryset, "accept_and_assign")

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
            matches.link_external_review(found.pk, by=request.user)

        self._each_with_match(request, queryset, matching.best_external_match, act, "Link the external fact-check")


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

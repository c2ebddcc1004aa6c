"""Working together in the workspace: a claim's notes and checklist, the desk's checklist template,
tags, and each person's notifications (the unread badge, the list, "mark all read", preferences).

Every write goes through claims.collaboration; the inlines' formsets save through ``save_with``,
which ClaimAdmin.save_formset calls.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from claims.collaboration import checklists, notes, notifications, tags
from claims.models import (
    ChecklistTemplateTask,
    ClaimTask,
    Note,
    Notification,
    NotificationKind,
    NotificationPreference,
    Tag,
)

from .common import ReadOnlyInlineMixin
from .safety import SafeInputMixin

# --- Notes ------------------------------------------------------------------


def note_html(note: Note):
    if note.removed_at is not None:
        return format_html(
            '<p class="note-removed"><em>Note removed by {} on {}.</em></p>',
            note.removed_by_username,
            f"{timezone.localtime(note.removed_at):%Y-%m-%d %H:%M}",
        )
    edited = " · edited" if note.edited_at else ""
    return format_html(
        '<div class="note"><p class="note-meta"><strong>{}</strong> · {}{}</p><div class="note-body">{}</div></div>',
        note.author_username,
        f"{timezone.localtime(note.created_at):%Y-%m-%d %H:%M}",
        edited,
        notes.render_note(note),
    )


class NoteThreadInline(ReadOnlyInlineMixin, admin.StackedInline):
    """The notes so far, rendered; editing and removal on each note's own page (author, editor, time window)."""

    model = Note
    fk_name = "claim"
    verbose_name = "note"
    verbose_name_plural = "notes (private to the desk)"
    fields = ["thread_entry"]
    readonly_fields = ["thread_entry"]

    def get_queryset(self, request):
        # Mentions are prefetched: rendering 50 notes costs one query more than rendering one.
        return super().get_queryset(request).prefetch_related("mentions").order_by("created_at", "pk")

    @admin.display(description="")
    def thread_entry(self, obj):
        return note_html(obj)


class NewNoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}
        labels = {"body": "New note"}


class NewNoteFormSet(BaseInlineFormSet):
    """Saves the new note through the notes service, so its @mentions are told."""

    def save_with(self, request: HttpRequest) -> None:
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.forms:
            body = form.cleaned_data.get("body") if form.has_changed() else None
            if not body:
                continue
            try:
                target = {self.fk.name: self.instance}
                self.new_objects.append(notes.add_note(by=request.user, body=body, **target))
            except notes.NoteError as exc:
                messages.error(request, f"The note was not saved: {exc.message}")


class NewNoteInline(admin.StackedInline):
    model = Note
    fk_name = "claim"
    form = NewNoteForm
    formset = NewNoteFormSet
    verbose_name = "new note"
    verbose_name_plural = "write a note (@username tells a colleague)"
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_add_permission(self, request, obj=None):
        return obj is not None and request.user.has_perm("claims.add_note")

    def has_change_permission(self, request, obj=None):
        return False


class ArticleNoteThreadInline(NoteThreadInline):
    fk_name = "article"


class ArticleNewNoteInline(NewNoteInline):
    fk_name = "article"


@admin.register(Note)
class NoteAdmin(SafeInputMixin, admin.ModelAdmin):
    """A note's own page: its author edits it for 15 minutes; its author or an editor removes it."""

    list_display = ["__str__", "claim", "article", "author_username", "created_at", "edited_at", "removed_at"]
    list_select_related = ["claim", "article"]
    fields = ["claim", "article", "author_username", "created_at", "edited_at", "body"]
    readonly_fields = ["claim", "article", "author_username", "created_at", "edited_at"]

    def has_add_permission(self, request):
        return False  # notes are written on their claim's or article's page

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        fresh = timezone.now() - obj.created_at <= notes.EDIT_WINDOW
        return obj.removed_at is None and obj.author_id == request.user.pk and fresh

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return notes.is_editor(request.user)
        return obj.removed_at is None and (obj.author_id == request.user.pk or notes.is_editor(request.user))

    def get_actions(self, request):
        return {}  # removal one by one, each leaving its audit stub

    def save_model(self, request, obj, form, change):
        notes.edit_note(obj.pk, by=request.user, body=form.cleaned_data["body"])

    def delete_model(self, request, obj):
        notes.remove_note(obj.pk, by=request.user)

    def response_delete(self, request, obj_display, obj_id):
        note = Note.objects.get(pk=obj_id)
        self.message_user(request, "The note was removed; the audit trail records that it was.", messages.SUCCESS)
        if note.claim_id:
            return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[note.claim_id]))
        return HttpResponseRedirect(reverse("admin:claims_article_change", args=[note.article_id]))


# --- Checklists ---------------------------------------------------------------


@admin.register(ChecklistTemplateTask)
class ChecklistTemplateTaskAdmin(SafeInputMixin, admin.ModelAdmin):
    """The desk's checklist; each claim gets its own copy when accepted, so edits here change only later claims."""

    list_display = ["label", "answer_kind", "required", "default_assignee", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["required", "active"]
    fields = ["label", "description", "answer_kind", "required", "default_assignee", "position", "active"]


class ClaimTaskForm(forms.ModelForm):
    done = forms.BooleanField(required=False, label="done")
    seen_version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ClaimTask
        fields = ["assignee", "answer"]
        widgets = {"answer": forms.TextInput(attrs={"size": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done"].initial = self.instance.is_done
        self.fields["seen_version"].initial = self.instance.version
        # A tabular row's boxes have column headings but no <label>: name each after its task.
        for name, what in (("answer", "answer"), ("done", "done"), ("assignee", "assigned to")):
            widget = self.fields[name].widget
            # The admin wraps a foreign key's select (add/change links): the select is inside.
            for box in (widget, getattr(widget, "widget", None)):
                if box is not None:
                    box.attrs["aria-label"] = f"{self.instance.label}: {what}"


class ClaimTaskFormSet(BaseInlineFormSet):
    def save_with(self, request: HttpRequest) -> None:
        """Each changed task through the checklist service, with the version its form was loaded at."""
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.forms:
            if not form.has_changed():
                continue
            data = form.cleaned_data
            try:
                task = checklists.update_task(
                    form.instance.pk,
                    by=request.user,
                    expected_version=data["seen_version"],
                    answer=data.get("answer", ""),
                    checked=data.get("done", False),
                    assignee=data["assignee"].pk if data.get("assignee") else None,
                )
            except checklists.TaskError as exc:
                messages.error(request, f"Task {form.instance.label!r} not saved: {exc.message}")
                continue
            self.changed_objects.append((task, form.changed_data))


class ClaimTaskInline(admin.TabularInline):
    model = ClaimTask
    form = ClaimTaskForm
    formset = ClaimTaskFormSet
    verbose_name = "checklist task"
    verbose_name_plural = "checklist"
    fields = ["label", "required", "answer_kind", "assignee", "answer", "done", "checked_by_username", "seen_version"]
    readonly_fields = ["label", "required", "answer_kind", "checked_by_username"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # The desk's members, read once for every row's assignee menu (a menu per row would be a query per row).
        desk = get_user_model().objects.filter(
            Q(groups__name__in=notes.DESK_GROUPS) | Q(is_superuser=True), is_active=True
        )
        choices = [("", "---------"), *((u.pk, u.get_username()) for u in desk.distinct().order_by("username"))]
        formset.form.base_fields["assignee"].choices = choices
        formset.form.base_fields["assignee"].queryset = desk.distinct()
        return formset


# --- Tags -----------------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(SafeInputMixin, admin.ModelAdmin):
    list_display = ["name", "public", "claim_count"]
    list_editable = ["public"]
    search_fields = ["name"]
    fields = ["name", "public"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_claim_count=Count("claims", distinct=True))

    @admin.display(description="claims", ordering="_claim_count")
    def claim_count(self, obj):
        return obj._claim_count

    def get_readonly_fields(self, request, obj=None):
        # Making a tag public is an editor's call.
        return [] if request.user.has_perm("claims.change_tag") else ["public"]


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [(name, name) for name in Tag.objects.order_by("name").values_list("name", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(tags__name=self.value()) if self.value() else queryset


class TagsForm(forms.Form):
    tags = forms.CharField(help_text="Comma-separated; new tags are created.", max_length=500)


@admin.action(description="Tag selected claims", permissions=["tag"])
def tag_selected(modeladmin, request, queryset):
    if "apply" in request.POST:
        form = TagsForm(request.POST)
        if form.is_valid():
            try:
                added = tags.tag_claims(
                    list(queryset.values_list("pk", flat=True)), form.cleaned_data["tags"], by=request.user
                )
            except tags.TagError as exc:
                modeladmin.message_user(request, exc.message, messages.ERROR)
                return None
            modeladmin.message_user(request, f"Tagged {queryset.count()} claims ({added} new tag links).")
            return None
    else:
        form = TagsForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Tag selected claims",
        # The bulk transitions' page: the claims listed, the form, the selection carried along.
        "transition": {"label": "Tag", "help": "Add these tags to every claim below."},
        "claims": queryset.select_related("claimant"),
        "form": form,
        "opts": modeladmin.model._meta,
        "action_name": "tag_selected",
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/claims/claim/bulk_transition.html", context)


# --- Notifications --------------------------------------------------------------

PAGE_SIZE = 50


class PreferencesForm(forms.Form):
    def __init__(self, *args, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=NotificationPreference.Channel.choices,
                initial=current.get(kind, NotificationPreference.Channel.EMAIL),
            )


def notifications_view(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, newest first, with "mark all read" and how each kind reaches them."""
    user = request.user
    if not user.has_perm("claims.view_claim"):
        raise PermissionDenied
    current = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    form = PreferencesForm(current=current)
    if request.method == "POST":
        if "mark_all_read" in request.POST:
            count = notifications.mark_all_read(user)
            messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
            return HttpResponseRedirect(reverse("claims-notifications"))
        form = PreferencesForm(request.POST, current=current)
        if form.is_valid():
            for kind, channel in form.cleaned_data.items():
                notifications.set_preference(user, kind, channel)
            messages.success(request, "Your notification settings were saved.")
            return HttpResponseRedirect(reverse("claims-notifications"))
    page = Paginator(
        Notification.objects.filter(recipient=user).select_related("claim").order_by("-created_at", "-pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    context = {
        **admin.site.each_context(request),
        "title": "Notifications",
        "page": page,
        "form": form,
    }
    return TemplateResponse(request, "admin/claims/notifications.html", context)


def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to its claim."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.mark_read(request.user, notification.pk)
    if notification.claim_id:
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[notification.claim_id]))
    return HttpResponseRedirect(reverse("claims-notifications"))

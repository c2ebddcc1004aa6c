"""Evidence sources: their snapshot, link status badge, check history and re-checks."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from claims.evidence import snapshots
from claims.models import (
    ARCHIVE_OVERRIDE_MAX_LENGTH,
    Claim,
    Evidence,
)
from claims.review import editing, workflow

from .common import HttpsURLsMixin, RefusalsAsMessagesMixin
from .safety import SafeInputMixin


def snapshot_summary(evidence: Evidence) -> str:
    if evidence.snapshot_fetched_at is None:
        url = reverse("admin:claims_evidence_archive_override", args=[evidence.pk]) if evidence.pk else ""
        if evidence.archive_override_reason:
            return format_html(
                'cited without archive (public note "not archived: {}") <a href="{}">change</a>',
                evidence.archive_override_reason,
                url,
            )
        state = evidence.snapshot_error or "not archived yet"
        if not url:
            return state
        return format_html('{} · <a href="{}">cite without archive…</a>', state, url)
    return format_html(
        "HTTP {} at {}, sha256 <code>{}</code>",
        evidence.snapshot_http_status,
        # format_html escapes its arguments into strings, so the date is formatted first.
        f"{evidence.snapshot_fetched_at:%Y-%m-%d %H:%M}",
        evidence.snapshot_sha256[:16],
    )


class ArchiveOverrideForm(forms.Form):
    reason = forms.CharField(
        label="Why we cite it without an archived copy",
        help_text='Published next to the source as "not archived: <reason>". Leave empty to wait for the archive.',
        required=False,
        max_length=ARCHIVE_OVERRIDE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
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
        "archive_override_reason",
        "archive_override_by",
        "archive_override_at",
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

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/archive-override/",
                self.admin_site.admin_view(self.archive_override_view),
                name="claims_evidence_archive_override",
            )
        ]
        return custom + super().get_urls()

    def archive_override_view(self, request, object_id):
        """An editor cites a source without its archive, with the reason the public will read."""
        evidence = self.get_object(request, object_id)
        if evidence is None or not self.has_view_permission(request, evidence) or not editing.is_editor(request.user):
            raise PermissionDenied
        claim_url = reverse("admin:claims_claim_change", args=[evidence.claim_id])
        form = ArchiveOverrideForm(request.POST or None, initial={"reason": evidence.archive_override_reason})
        if request.method == "POST" and form.is_valid():
            try:
                editing.override_archive(evidence.pk, by=request.user, reason=form.cleaned_data["reason"])
            except workflow.WorkflowError as exc:
                # The form is shown again with what was typed.
                form.add_error(None, exc.message)
            else:
                done = "cited without its archive" if form.cleaned_data["reason"] else "waits for its archive again"
                self.message_user(request, f"The source {evidence.title or evidence.url} {done}.", messages.SUCCESS)
                return HttpResponseRedirect(claim_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Cite a source without its archive",
            "evidence": evidence,
            "form": form,
            "claim_url": claim_url,
        }
        return TemplateResponse(request, "admin/claims/evidence/archive_override.html", context)

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

"""The tips inbox: readers' requests from every channel, filtered by channel, status,
language and whether their link was read; spam marked in bulk; each tip's claim one
click away, and the claim it was first linked to when that one was marked a duplicate;
why a link or an image was not read. Requesters' ids and e-mails are not shown: the
desk needs what was asked, not who asked."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Tip, TipReply
from claims.tiplines import tips

from .common import LanguageFilter, ReadOnlyInlineMixin, _clip
from .safety import SafeInputMixin


class ReplyInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TipReply
    fk_name = "tip"
    fields = ["kind", "channel", "status", "reason", "provider_message_id", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    show_change_link = False  # replies have no page of their own


class LinkFilter(admin.SimpleListFilter):
    title = "link"
    parameter_name = "link"

    def lookups(self, request, model_admin):
        return [("read", "read"), ("not_read", "not read (refused or failed)"), ("none", "no link")]

    def queryset(self, request, queryset):
        if self.value() == "read":
            return queryset.exclude(url="").filter(url_error="")
        if self.value() == "not_read":
            return queryset.exclude(url_error="")
        if self.value() == "none":
            return queryset.filter(url="")
        return queryset


@admin.register(Tip)
class TipAdmin(SafeInputMixin, admin.ModelAdmin):
    list_display = ["received_at", "channel", "status", "language", "short_text", "linked_claim", "match_score"]
    list_filter = ["channel", "status", LanguageFilter, LinkFilter]
    list_select_related = ["claim", "answered_claim"]
    search_fields = ["text", "url"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = ["mark_spam"]
    fields = [
        "received_at",
        "channel",
        "status",
        "language",
        "text",
        "url",
        "url_title",
        "url_error",
        "media_type",
        "media_error",
        "linked_claim",
        "moved_from",
        "answered_with",
        "match_score",
        "processed_at",
        "processing_error",
    ]
    readonly_fields = fields
    inlines = [ReplyInline]

    @admin.display(description="tip", ordering="text")
    def short_text(self, obj):
        return _clip(obj.text or obj.url or "(image)")

    @admin.display(description="claim")
    def linked_claim(self, obj):
        if obj.claim_id is None:
            return "—"
        url = reverse("admin:claims_claim_change", args=[obj.claim_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.claim_id, _clip(obj.claim.text, 60))

    @admin.display(description="first linked to")
    def moved_from(self, obj):
        # The claim the tip was about before the desk marked it a duplicate of ``claim``.
        if obj.moved_from_claim_id is None:
            return "—"
        url = reverse("admin:claims_claim_change", args=[obj.moved_from_claim_id])
        return format_html('<a href="{}">#{}</a> (marked a duplicate)', url, obj.moved_from_claim_id)

    @admin.display(description="answered with")
    def answered_with(self, obj):
        answer = tips.answer_of(obj)
        return (
            format_html('<a href="{}">{}</a> ({})', answer["url"], answer["claim"], answer["rating"]) if answer else "—"
        )

    @admin.action(description="Mark selected tips as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        count = tips.mark_spam(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} tip{'s' if count != 1 else ''} marked as spam.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

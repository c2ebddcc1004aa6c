"""Webhook subscriptions (secrets, rotation) and their deliveries (attempts, redelivery)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from claims.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from claims.publishing import webhooks

from .common import ReadOnlyInlineMixin
from .safety import SafeInputMixin

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

"""The unread-notifications badge in the workspace's header (one COUNT per page)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from claims.collaboration import notifications

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_badge(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("claims.view_claim"):
        return ""
    unread = notifications.unread_count(user)
    # The accessible name starts with the visible text ("Notifications 3"), as speech input expects.
    label = f"Notifications: {unread} unread"
    return format_html(
        '<a id="notification-badge" href="{}" aria-label="{}">Notifications <span class="badge{}">{}</span></a> /',
        reverse("claims-notifications"),
        label,
        " unread" if unread else "",
        unread,
    )

from __future__ import annotations

from django import template

from claims.review import queues

register = template.Library()


@register.simple_tag
def desk_queue_counts(user) -> dict[str, int]:
    """Claims waiting in each queue, for the admin home page."""
    return queues.counts(user)

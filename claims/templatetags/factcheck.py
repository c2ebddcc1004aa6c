from __future__ import annotations

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

register = template.Library()

RTL_LANGUAGES = {"ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb"}


@register.filter
def ld_json(data) -> str:
    """JSON for a <script type="application/ld+json">: <, > and & escaped, as json_script does."""
    return mark_safe(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_json_script_escapes))  # noqa: S308


@register.filter
def text_direction(language: str | None) -> str:
    return "rtl" if (language or "").split("-")[0].lower() in RTL_LANGUAGES else "ltr"


# How far up the scale a rating sits, in five steps from the worst (0) to the best
# (4); the public site colours each step (claims/static/claims/site.css), always
# beside the label itself.
RATING_TONES = 5


@register.filter
def rating_tone(rating) -> str:
    """The CSS class of a rating's colour: ``rating-tone-0`` (worst) to ``rating-tone-4`` (best),
    ``rating-tone-none`` for a rating off the scale. Takes a public record's rating or a Rating."""
    if isinstance(rating, dict):
        value, best, worst = rating.get("value"), rating.get("best"), rating.get("worst")
    else:
        value, best, worst = rating.value, rating.scale.best_value, rating.scale.worst_value
    if value is None or best is None or worst is None or best == worst:
        return "rating-tone-none"
    position = (value - worst) / (best - worst)
    return f"rating-tone-{min(RATING_TONES - 1, max(0, round(position * (RATING_TONES - 1))))}"

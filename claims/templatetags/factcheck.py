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

"""The API docs page's Redoc bundle, served from this server without its one call elsewhere.

drf-spectacular-sidecar ships Redoc's standalone bundle, which draws Redocly's
logo in the side menu from https://cdn.redoc.ly whatever the options say. The
bundle is served here as shipped but for that address, which becomes an empty
``data:`` image: Redoc's own error handler then leaves the logo out, and the
docs page asks no other host for anything (tests/test_public_a11y.py).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
NO_IMAGE = b"data:,"


@functools.cache
def redoc_bundle() -> tuple[bytes, str]:
    """The bundle without the outside address, and its ETag."""
    path = finders.find(BUNDLE)
    if path is None:
        raise ImproperlyConfigured(f"{BUNDLE} not found: is drf-spectacular-sidecar installed?")
    shipped = Path(path).read_bytes()
    if REDOCLY_LOGO not in shipped:
        # A new sidecar may have moved the logo: look again rather than serve it unchecked.
        raise ImproperlyConfigured(f"{BUNDLE} no longer names {REDOCLY_LOGO.decode()}; review claims/api/docs.py.")
    body = shipped.replace(REDOCLY_LOGO, NO_IMAGE)
    return body, quote_etag(hashlib.sha256(body).hexdigest()[:32])


@require_safe
@gzip_page
def redoc_bundle_view(request):
    body, etag = redoc_bundle()
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=86400"
    return response

"""The API's answers to exceptions: DRF's own, plus a safety net for errors
that reach the view from below instead of from a parser or a serializer.

- A body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django refuses it when DRF reads
  ``request.body``) or with too many form fields: 413 or 400 in JSON, where
  Django would answer its HTML error page.
- A URL that ``normalize_url`` refuses when the row is saved is the caller's
  mistake: 400, with the reason. DRF's URLField accepts port 99999 and ftp://,
  and ``Evidence.save`` normalizes its ``url``. Only ``url`` fields are
  normalized on save (Article's and Evidence's), so the error names ``url``,
  in the shape of the API's other field errors.
- A value the database refuses (SQLSTATE class 22, DataError): NUL in text on
  PostgreSQL, a number out of range. Serializers refuse most such values;
  one that gets past them (a NUL in a slug that is looked up) is still the
  request's fault: 400, logged with its traceback in case it was not.
- A unique constraint that a concurrent request won (two requests adding the
  same source at once): 409 with a plain message, the transaction rolled back.
  The services check before they write; reaching this means one of them let a
  race through, so it is logged as an error to be fixed there.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DataError, IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from claims.normalize import InvalidURL

from .parsers import body_too_large

logger = logging.getLogger(__name__)

BAD_VALUE = "A value in the request cannot be stored or looked up (a NUL character, or a number out of range)."
CONFLICT = (
    "This change conflicts with another made at the same time or with a row that already exists; reload and try again."
)


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response({"detail": body_too_large(limit)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, InvalidURL):
        set_rollback()
        return Response({"url": [exc.sentence()]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        set_rollback()
        logger.warning("DataError answered 400 in %s: %s", where(context), exc, exc_info=exc)
        return Response({"detail": BAD_VALUE, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # With ATOMIC_REQUESTS the request's transaction is marked for rollback. Otherwise
        # the error has passed through the service's atomic block, which rolled it back
        # (or, in autocommit, the failed statement wrote nothing).
        set_rollback()
        logger.error("IntegrityError answered 409 in %s: %s", where(context), exc, exc_info=exc)
        return Response({"detail": CONFLICT, "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def where(context) -> str:
    request, view = context.get("request"), context.get("view")
    name = type(view).__name__ if view else "an API view"
    return f"{name} ({getattr(request, 'method', '?')} {getattr(request, 'path', '?')})"

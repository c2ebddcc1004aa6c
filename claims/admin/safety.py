"""Bad input to the admin is answered as the user's mistake, never with a 500.

Changelists: Django redirects to ``?e=1`` ("incorrect lookup parameters")
for the malformed filters it recognises, but not for an error raised by a
SimpleListFilter (``?assignee=abc``), by a date hierarchy at the end of the
calendar (``?created_at__year=9999``), or by the database when the query runs
(``?status=%00``: PostgreSQL refuses NUL in text; ``?text__regex=(``; ids
beyond 64 bits on SQLite). SafeChangeList turns those into the same redirect.

Forms: Django's URLValidator accepts port 99999 and ftp://, which
``normalize_url`` then refuses when the row is saved; URL form fields check
the URL as ``normalize_url`` will.

Every ModelAdmin (and inline with a URL field) in claims.admin lists
SafeInputMixin first in its bases; ``protect_admins`` gives it to the admins
other apps registered (django.contrib.auth's users and groups).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import NoReturn

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import DataError, connections, models, transaction

from claims.normalize import validate_http_url

logger = logging.getLogger(__name__)

# Longer than any value the admin's own links carry, or a URL (2,000) typed
# into the search box; SQLite refuses LIKE patterns over 50,000 bytes.
MAX_PARAMETER_LENGTH = 4000

# Raised by filtering, or by running the filtered query, on malformed values.
MALFORMED = (ValueError, OverflowError, ValidationError, DataError)


def refuse_malformed_parameters(params) -> None:
    """IncorrectLookupParameters for values no database can take or no filter means."""
    for key, values in params.lists():
        for value in (key, *values):
            # PostgreSQL refuses NUL in text, whichever field it is compared with.
            if "\x00" in value:
                raise IncorrectLookupParameters(f"{key[:50]!r}: a NUL character")
            if len(value) > MAX_PARAMETER_LENGTH:
                raise IncorrectLookupParameters(f"{key[:50]!r}: over {MAX_PARAMETER_LENGTH} characters")
        if key.endswith(("__regex", "__iregex")):
            # SQLite runs Python's re; a pattern it cannot compile fails the whole query.
            for value in values:
                try:
                    re.compile(value)
                except re.error as exc:
                    raise IncorrectLookupParameters(f"{key[:50]!r}: {exc}") from None


class SafeChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        refuse_malformed_parameters(request.GET)
        try:
            return super().get_queryset(request, exclude_parameters)
        except MALFORMED as exc:
            self._refused(exc)

    def get_results(self, request):
        # The count runs the filtered query here, inside changelist_view's
        # handling of IncorrectLookupParameters; the page itself runs the same
        # WHERE clause later, while the template renders.
        try:
            super().get_results(request)
        except MALFORMED as exc:
            self._refused(exc)

    def _refused(self, exc: Exception) -> NoReturn:
        if isinstance(exc, DataError):
            connection = connections[self.root_queryset.db]
            if connection.in_atomic_block:
                # PostgreSQL has aborted the transaction: make whoever opened it
                # (ATOMIC_REQUESTS) roll it back rather than try to commit.
                transaction.set_rollback(True, using=self.root_queryset.db)
        logger.info("%s changelist: malformed filter parameters (%s)", self.opts.label, exc)
        raise IncorrectLookupParameters(exc) from exc


@functools.cache
def safe_changelist(changelist: type[ChangeList]) -> type[ChangeList]:
    """SafeChangeList, or a subclass of it and of an admin's own ChangeList."""
    if issubclass(changelist, SafeChangeList):
        return changelist
    if changelist is ChangeList:
        return SafeChangeList
    return type(f"Safe{changelist.__name__}", (SafeChangeList, changelist), {})


class SafeInputMixin:
    """For ModelAdmins and inlines: bad input is a form error or a redirect to ``?e=1``, not a 500."""

    def get_changelist(self, request, **kwargs):
        return safe_changelist(super().get_changelist(request, **kwargs))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.URLField) and formfield is not None:
            formfield.validators = [*formfield.validators, validate_http_url]
        return formfield


def protect_admins(site) -> None:
    """Give SafeInputMixin to the admins registered on ``site`` without it (other apps' admins)."""
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, SafeInputMixin):
            admin_class = type(model_admin)
            site.unregister(model)
            site.register(model, type(admin_class.__name__, (SafeInputMixin, admin_class), {}))

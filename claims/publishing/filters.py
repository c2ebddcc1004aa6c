"""Filters of the public API: explicit lists; anything else is refused."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db import connection
from django.db.models import Q

from claims.models import Verdict

ORDERINGS = {
    "-published": ("-published_at", "-pk"),
    "published": ("published_at", "pk"),
}


class UTCDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date and time, compared in UTC: any offset the parser takes
    (PostgreSQL refuses those beyond 15:59) is resolved before the query."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date and time that stays within the years 1 to 9999 in UTC.") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class FactCheckFilter(django_filters.FilterSet):
    rating = django_filters.CharFilter(field_name="rating__label", lookup_expr="iexact", label="Rating label")
    claimant = django_filters.CharFilter(field_name="claimant_name", lookup_expr="iexact", label="Claimant name")
    outlet = django_filters.CharFilter(method="filter_outlet", label="Outlet domain or name of an appearance")
    language = django_filters.CharFilter(field_name="language", lookup_expr="iexact", label="Language code")
    published_after = UTCDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = UTCDateTimeFilter(field_name="published_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search", label="Full-text search in the claim, headline and summary")

    class Meta:
        model = Verdict
        fields: list[str] = []

    def filter_outlet(self, queryset, name, value):
        value = value.strip().lower().removeprefix("www.")
        return queryset.filter(
            Q(claim__article__outlet__domain=value)
            | Q(claim__article__outlet__name__iexact=value)
            | Q(claim__duplicates__article__outlet__domain=value)
        ).distinct()

    def search(self, queryset, name, value):
        return search_fact_checks(queryset, value)


def search_fact_checks(queryset, value: str):
    """Full-text search in the claim, headline and summary.

    PostgreSQL: its text search with web-search syntax ("quoted phrases",
    -excluded words, or). Elsewhere: every word must appear.
    """
    value = value.strip()[:200]
    if not value:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector("claim_text", "headline", "summary", config="simple")
        return queryset.annotate(search=vector).filter(
            search=SearchQuery(value, search_type="websearch", config="simple")
        )
    for term in value.split()[:10]:
        queryset = queryset.filter(
            Q(claim_text__icontains=term) | Q(headline__icontains=term) | Q(summary__icontains=term)
        )
    return queryset


DATETIME_PARAMS = ("published_after", "published_before")
ALLOWED_PARAMS = set(FactCheckFilter.base_filters) | {"ordering", "cursor", "page_size", "format"}

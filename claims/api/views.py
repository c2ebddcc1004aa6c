"""The public read API: published fact-checks only, for anyone."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.http import Http404
from django.utils.http import http_date, parse_etags, quote_etag
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from claims.models import Verdict
from claims.publishing import claimreview
from claims.publishing.filters import ALLOWED_PARAMS, DATETIME_PARAMS, ORDERINGS, FactCheckFilter
from claims.publishing.record import RecordPage, published_fact_checks, record_of_claim

from .renderers import ORJSONRenderer, Rendered, dumps
from .schema import THROTTLED, UNAUTHORIZED
from .serializers import EXAMPLE, FactCheckSerializer

NOT_MODIFIED = {304: OpenApiResponse(description="Not modified: the copy named by If-None-Match is current.")}
BAD_REQUEST = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="A parameter is unknown or malformed.")}
NOT_FOUND = {404: OpenApiResponse(OpenApiTypes.OBJECT, description="No published fact-check with this id.")}
# No credentials are needed, but a wrong API key is refused rather than ignored.
PUBLIC_ERRORS = {**UNAUTHORIZED, **THROTTLED}
# A cursor's position, as DRF writes it: str() of an aware published_at,
# "2026-03-20 15:00:00+00:00", with microseconds when there are some.
POSITION = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?[+-][0-9]{2}:[0-9]{2}")


class FactCheckPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_ordering(self, request, queryset, view):
        return ORDERINGS[request.query_params.get("ordering", "-published")]

    def decode_cursor(self, request):
        """DRF's cursor, its position checked: 404 "Invalid cursor" (as DRF answers
        a cursor it cannot decode) for any position this API does not give out.

        DRF decodes the base64 and the offset but passes the position to the
        query as it is: a forged one (``p=abc``, 30 February) failed there with
        a 500, and so did an offset PostgreSQL refuses (``-23:00``).
        """
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        return cursor._replace(position=self.checked_position(cursor.position))

    def checked_position(self, position: str) -> str:
        """The position in UTC, or NotFound unless it is a published_at as str() writes it."""
        if not POSITION.fullmatch(position):
            raise NotFound(self.invalid_cursor_message)
        try:
            # In UTC, as the positions we give out are: PostgreSQL refuses offsets
            # beyond 15:59, and near year 1 or 9999 a time may not exist in UTC.
            return str(dt.datetime.fromisoformat(position).astimezone(dt.UTC))
        except (ValueError, OverflowError):  # 30 February, 25 o'clock
            raise NotFound(self.invalid_cursor_message) from None


class PublicAPIView(generics.GenericAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - ALLOWED_PARAMS)
        if unknown:
            raise ValidationError(
                {name: [f"Unknown parameter; use one of: {', '.join(sorted(ALLOWED_PARAMS))}."] for name in unknown}
            )
        for name in DATETIME_PARAMS:
            # django-filter skips a blank value; the schema promises a date-time, so refuse it.
            if name in request.query_params and not request.query_params[name].strip():
                raise ValidationError({name: ["Give a date and time, e.g. 2026-03-20T15:00:00Z."]})
        page_size = request.query_params.get("page_size")
        if page_size is not None and not (page_size.isascii() and page_size.isdigit() and int(page_size) >= 1):
            # The paginator would silently ignore it.
            raise ValidationError({"page_size": ["Give a whole number from 1 to 100."]})
        ordering = request.query_params.get("ordering")
        if ordering is not None and ordering not in ORDERINGS:
            raise ValidationError({"ordering": [f"Order by one of: {', '.join(ORDERINGS)}."]})

    def respond(self, request, data, last_modified) -> Response:
        """``data`` with its validators; 304 when the client's copy is current.

        The ETag is a hash of the JSON itself, so it changes exactly when the
        representation does (a correction, a new publication shifting a page, a
        claimant renamed, a source archived) and costs one hash of bytes that are
        rendered anyway.
        """
        body = dumps(data)
        etag = quote_etag(hashlib.blake2b(body, digest_size=16).hexdigest())
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
        if last_modified:
            headers["Last-Modified"] = http_date(last_modified.timestamp())
        if etag_matches(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        if isinstance(request.accepted_renderer, ORJSONRenderer):
            return Response(Rendered(data, body), headers=headers)
        return Response(data, headers=headers)


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match's weak comparison: any listed tag (or *) equal to ours, W/ ignored."""
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


class FactCheckList(PublicAPIView):
    """Published fact-checks, newest first; filter, search and page through them."""

    pagination_class = FactCheckPagination
    filterset_class = FactCheckFilter
    # get() applies the FilterSet itself; the backend documents its parameters.
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return Verdict.objects.published()

    serializer_class = FactCheckSerializer

    @extend_schema(
        operation_id="fact_checks_list",
        parameters=[
            OpenApiParameter("ordering", str, enum=list(ORDERINGS), description="Default -published (newest first)."),
            OpenApiParameter(
                "page_size", {"type": "integer", "minimum": 1}, description="Default 20; more than 100 gives 100."
            ),
        ],
        responses={
            200: FactCheckSerializer(many=True),
            **NOT_MODIFIED,
            **BAD_REQUEST,
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="The cursor is not one this API gave out."),
            **PUBLIC_ERRORS,
        },
        examples=[OpenApiExample("A published fact-check", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        queryset = self.get_queryset()
        if FILTERS & request.query_params.keys():
            filterset = self.filterset_class(request.query_params, queryset=queryset, request=request)
            if not filterset.is_valid():
                raise ValidationError(filterset.errors)
            queryset = filterset.qs
        page = self.paginate_queryset(RecordPage(queryset))
        data = {
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "results": [item["record"] for item in page],
        }
        return self.respond(request, data, max((item["change"] for item in page), default=None))


class FactCheckDetail(PublicAPIView):
    """One published fact-check by its id."""

    serializer_class = FactCheckSerializer

    @extend_schema(
        operation_id="fact_checks_retrieve",
        responses={200: FactCheckSerializer, **NOT_MODIFIED, **NOT_FOUND, **PUBLIC_ERRORS},
        examples=[OpenApiExample("A published fact-check", value=EXAMPLE, response_only=True)],
    )
    def get(self, request, pk):
        try:
            record, last_change = record_of_claim(pk)
        except OverflowError:  # SQLite refuses ids beyond 64 bits; no row has one
            record = None
        if record is None:
            raise Http404("No published fact-check with this id.")
        return self.respond(request, record, last_change)


class FactCheckClaimReview(PublicAPIView):
    """The fact-check as schema.org ClaimReview JSON-LD."""

    def get_object(self):
        try:
            verdict = published_fact_checks().filter(claim_id=self.kwargs["pk"]).first()
        except OverflowError:  # SQLite refuses ids beyond 64 bits; no row has one
            verdict = None
        if verdict is None:
            raise Http404("No published fact-check with this id.")
        return verdict

    @extend_schema(
        operation_id="fact_checks_claimreview",
        responses={200: OpenApiTypes.OBJECT, **NOT_MODIFIED, **NOT_FOUND, **PUBLIC_ERRORS},
        examples=[
            OpenApiExample(
                "ClaimReview",
                response_only=True,
                value={
                    "@context": "https://schema.org",
                    "@type": "ClaimReview",
                    "url": EXAMPLE["url"],
                    "claimReviewed": EXAMPLE["headline"],
                    "author": {
                        "@type": "Organization",
                        "name": "Fact-check desk",
                        "url": "https://factcheck.example.org/",
                    },
                    "datePublished": "2026-03-20",
                    "reviewRating": {
                        "@type": "Rating",
                        "alternateName": "True",
                        "ratingValue": 5,
                        "bestRating": 5,
                        "worstRating": 1,
                    },
                    "itemReviewed": {
                        "@type": "Claim",
                        "author": {"@type": "Organization", "name": "Riverton Transit Authority"},
                    },
                },
            )
        ],
    )
    def get(self, request, pk):
        verdict = self.get_object()
        return self.respond(
            request, claimreview.claimreview(verdict), max(verdict.updated_at, verdict.claim.updated_at)
        )


# Parameters that need the FilterSet; without them the list skips building one.
FILTERS = frozenset(FactCheckFilter.base_filters)

"""The public read API: published fact-checks only, for anyone."""

from __future__ import annotations

import hashlib

from django.db.models import Count, Max
from django.http import Http404
from django.utils.http import http_date, quote_etag
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from .. import claimreview
from ..models import Verdict
from .filters import ALLOWED_PARAMS, DATETIME_PARAMS, ORDERINGS, FactCheckFilter
from .public import fact_check, published_fact_checks
from .schema import THROTTLED, UNAUTHORIZED
from .serializers import EXAMPLE, FactCheckSerializer

NOT_MODIFIED = {304: OpenApiResponse(description="Not modified: the copy named by If-None-Match is current.")}
BAD_REQUEST = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="A parameter is unknown or malformed.")}
NOT_FOUND = {404: OpenApiResponse(OpenApiTypes.OBJECT, description="No published fact-check with this id.")}
# No credentials are needed, but a wrong API key is refused rather than ignored.
PUBLIC_ERRORS = {**UNAUTHORIZED, **THROTTLED}


class FactCheckPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_ordering(self, request, queryset, view):
        return ORDERINGS[request.query_params.get("ordering", "-published")]


class PublicAPIView(generics.GenericAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

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

    def conditional(self, request, marker: str, last_modified) -> Response | None:
        """Answer 304 when the client's copy is current; else remember the validators."""
        digest = hashlib.sha256(f"{request.get_full_path()}|{marker}".encode()).hexdigest()[:32]
        self.etag = quote_etag(digest)
        self.last_modified = last_modified
        if request.headers.get("If-None-Match") in (self.etag, f"W/{self.etag}"):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=self.validators())
        return None

    def validators(self) -> dict[str, str]:
        headers = {"ETag": self.etag, "Cache-Control": "public, max-age=60"}
        if self.last_modified:
            headers["Last-Modified"] = http_date(self.last_modified.timestamp())
        return headers


class FactCheckList(PublicAPIView):
    """Published fact-checks, newest first; filter, search and page through them."""

    pagination_class = FactCheckPagination
    filterset_class = FactCheckFilter
    # get() applies the FilterSet itself; the backend documents its parameters.
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return published_fact_checks()

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
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        queryset = filterset.qs
        state = Verdict.objects.published().aggregate(
            n=Count("pk"), changed=Max("updated_at"), claims=Max("claim__updated_at")
        )
        if not_modified := self.conditional(
            request, f"{state['n']}|{state['changed']}|{state['claims']}", state["changed"]
        ):
            return not_modified
        page = self.paginate_queryset(queryset)
        response = self.get_paginated_response([fact_check(v) for v in page])
        for header, value in self.validators().items():
            response[header] = value
        return response


class FactCheckDetail(PublicAPIView):
    """One published fact-check by its id."""

    def get_object(self):
        try:
            verdict = published_fact_checks().filter(claim_id=self.kwargs["pk"]).first()
        except OverflowError:  # SQLite refuses ids beyond 64 bits; no row has one
            verdict = None
        if verdict is None:
            raise Http404("No published fact-check with this id.")
        return verdict

    serializer_class = FactCheckSerializer

    @extend_schema(
        operation_id="fact_checks_retrieve",
        responses={200: FactCheckSerializer, **NOT_MODIFIED, **NOT_FOUND, **PUBLIC_ERRORS},
        examples=[OpenApiExample("A published fact-check", value=EXAMPLE, response_only=True)],
    )
    def get(self, request, pk):
        verdict = self.get_object()
        claim = verdict.claim
        evidence_marker = max((e.snapshot_fetched_at or e.added_at for e in claim.evidence.all()), default=None)
        marker = f"{verdict.pk}|{verdict.updated_at}|{claim.updated_at}|{evidence_marker}"
        if not_modified := self.conditional(request, marker, max(verdict.updated_at, claim.updated_at)):
            return not_modified
        return Response(self.render(verdict), headers=self.validators())

    def render(self, verdict):
        return fact_check(verdict)


class FactCheckClaimReview(FactCheckDetail):
    """The fact-check as schema.org ClaimReview JSON-LD."""

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
        return super().get(request, pk)

    def render(self, verdict):
        return claimreview.claimreview(verdict)

"""Public matching: which published fact-checks may already check this claim?

``GET /api/v1/fact-checks/match?q=...`` searches this desk's published
fact-checks and the fact-checks imported from other organisations, never a
claim of this desk that is not published (``claims.matching.match`` with
``public_only``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from claims.matching import MAX_QUERY_CHARS, MatchError, match

from .views import BAD_REQUEST, PUBLIC_ERRORS

MAX_RESULTS = 20
# The service's kinds as the public API names them.
PUBLIC_KINDS = {"claim": "fact-check", "external": "external"}


class MatchQuerySerializer(serializers.Serializer):
    # Not trimmed, so that the lengths checked are the ones the schema states; "\S" says
    # in the schema too that a claim of only spaces is refused.
    q = serializers.RegexField(
        r"\S",
        max_length=MAX_QUERY_CHARS,
        trim_whitespace=False,
        error_messages={"invalid": "Give the text of a claim to match, not only spaces."},
        help_text="The claim to look for, as said or written (at most 2,000 characters).",
    )
    top = serializers.IntegerField(
        min_value=1, max_value=MAX_RESULTS, default=5, help_text="How many matches to return, best first (1 to 20)."
    )
    date = serializers.DateField(
        required=False,
        help_text="When the claim was made (YYYY-MM-DD): fact-checks of claims made near it rank higher.",
    )
    claimant = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=300,
        help_text="Who made the claim: fact-checks of the same person rank higher (blank: unknown).",
    )
    language = serializers.RegexField(
        r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$",
        required=False,
        max_length=16,
        help_text="The claim's language as a BCP 47 tag (en, es, ar, pt-BR): its words are stemmed as that "
        "language's fact-checks are (left out: English).",
    )


class MatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=list(PUBLIC_KINDS.values()),
        help_text="fact-check: this desk's published fact-check (id as in /api/v1/fact-checks/{id}/); "
        "external: another organisation's fact-check, imported as a reference.",
    )
    id = serializers.IntegerField()
    claim = serializers.CharField(help_text="The claim as the fact-check states it.")
    url = serializers.URLField(help_text="The fact-check's page.")
    publisher = serializers.CharField()
    rating = serializers.CharField(allow_blank=True, help_text="The rating as its publisher wrote it.")
    identifier = serializers.CharField(
        allow_blank=True, help_text="The ClaimReview identifier, when imported with one."
    )
    date = serializers.DateField(allow_null=True, help_text="When the checked claim was made, when known.")
    score = serializers.FloatField(
        min_value=0, max_value=1, help_text="0 to 1: how likely this fact-check checks the claim asked about."
    )


class MatchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    results = MatchSerializer(many=True)


EXAMPLE = {
    "query": "Wages haven't gone up in a long time",
    "results": [
        {
            "kind": "external",
            "id": 1842,
            "claim": 'Wages "haven\'t gone up for a long time."',
            "url": "https://www.politifact.com/factchecks/2017/aug/15/donald-trump/wages/",
            "publisher": "PolitiFact",
            "rating": "False",
            "identifier": "vclaim-pol-10105",
            "date": "2017-08-15",
            "score": 0.8123,
        },
        {
            "kind": "fact-check",
            "id": 12,
            "claim": "Real wages have not risen in ten years.",
            "url": "https://factcheck.example.org/fact-checks/real-wages-have-not-risen/",
            "publisher": "Fact-check desk",
            "rating": "Mostly false",
            "identifier": "",
            "date": "2026-03-02",
            "score": 0.4410,
        },
    ],
}


class FactCheckMatch(generics.GenericAPIView):
    """Published fact-checks (this desk's and other organisations') that may already check a claim, best first."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    serializer_class = MatchResponseSerializer

    @extend_schema(
        operation_id="fact_checks_match",
        parameters=[MatchQuerySerializer],
        responses={200: MatchResponseSerializer, **BAD_REQUEST, **PUBLIC_ERRORS},
        examples=[OpenApiExample("Two matches", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        unknown = sorted(set(request.query_params) - set(MatchQuerySerializer().fields) - {"format"})
        if unknown:
            names = ", ".join(MatchQuerySerializer().fields)
            raise ValidationError({name: [f"Unknown parameter; use one of: {names}."] for name in unknown})
        for name in ("top", "date"):
            # A form-encoded serializer reads a blank value as absent; the schema promises a value.
            if name in request.query_params and not request.query_params[name].strip():
                raise ValidationError({name: ["Give a value or leave the parameter out."]})
        params = MatchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        try:
            found = match(
                values["q"],
                top=values["top"],
                public_only=True,
                date=values.get("date"),
                claimant=values.get("claimant"),
                language=values.get("language", ""),
            )
        except MatchError as exc:
            raise ValidationError({"q": [str(exc)]}) from None
        results = [
            {
                "kind": PUBLIC_KINDS[m.kind],
                "id": m.id,
                "claim": m.claim,
                "url": m.url,
                "publisher": m.publisher,
                "rating": m.rating,
                "identifier": m.identifier,
                "date": m.date.isoformat() if m.date else None,
                "score": round(m.score, 4),
            }
            for m in found
        ]
        return Response({"query": values["q"], "results": results}, headers={"Cache-Control": "public, max-age=60"})

"""The public JSON shapes, declared for the OpenAPI schema. The data itself is
built by ``claims.publishing.record`` (no serializer runs on the read path);
tests/test_api_schema.py validates the responses against this schema."""

from __future__ import annotations

from rest_framework import serializers


class ClaimantSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["person", "organization", "other"])
    description = serializers.CharField(allow_blank=True)


class AppearanceSerializer(serializers.Serializer):
    url = serializers.URLField()
    title = serializers.CharField(allow_blank=True)
    outlet = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)


class RatingSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.IntegerField(allow_null=True, help_text="Null for ratings off the numeric scale.")
    best = serializers.IntegerField(allow_null=True)
    worst = serializers.IntegerField(allow_null=True)
    definition = serializers.CharField()
    scale = serializers.CharField(help_text="Scale name and version, e.g. 'Standard v1'.")


class FactCheckEvidenceSerializer(serializers.Serializer):
    url = serializers.URLField()
    title = serializers.CharField(allow_blank=True)
    publisher = serializers.CharField(allow_blank=True)
    stance = serializers.ChoiceField(choices=["supports", "refutes", "context", "mixed"])
    source_type = serializers.CharField()
    excerpt = serializers.CharField(allow_blank=True)
    snapshot_sha256 = serializers.CharField(allow_null=True, help_text="sha256 of the archived page, once archived.")
    snapshot_date = serializers.DateTimeField(allow_null=True)
    not_archived_reason = serializers.CharField(
        allow_null=True,
        help_text="Why the desk cites this source without an archived copy (an editor's decision); null otherwise.",
    )


class CorrectionSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    note = serializers.CharField()
    published_at = serializers.DateTimeField()


class FactCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="The public page of the fact-check.")
    claim = serializers.CharField()
    claimant = ClaimantSerializer(allow_null=True)
    claim_date = serializers.DateField(allow_null=True)
    appearances = AppearanceSerializer(many=True)
    headline = serializers.CharField(help_text="The claim as reviewed (ClaimReview claimReviewed).")
    rating = RatingSerializer()
    summary = serializers.CharField()
    explanation = serializers.CharField()
    evidence = FactCheckEvidenceSerializer(many=True)
    revision = serializers.IntegerField()
    published_at = serializers.DateTimeField(help_text="First publication.")
    modified_at = serializers.DateTimeField(help_text="Publication of the current revision.")
    corrections = CorrectionSerializer(many=True)
    language = serializers.CharField(allow_null=True)


EXAMPLE = {
    "id": 6,
    "url": "https://factcheck.example.org/fact-checks/free-buses-cost-riverton-14-million-a-year-6/",
    "claim": "Riverton's free-fare bus programme costs the city $14 million a year.",
    "claimant": {"name": "Riverton Transit Authority", "kind": "organization", "description": ""},
    "claim_date": "2026-03-17",
    "appearances": [
        {
            "url": "https://riverton-gazette.example/news/2026/03/transit-budget-vote",
            "title": "Council splits over free-fare buses as budget vote nears",
            "outlet": "Riverton Gazette",
            "published_at": "2026-03-17T09:30:00+00:00",
        }
    ],
    "headline": "Free buses cost Riverton $14 million a year",
    "rating": {
        "label": "True",
        "value": 5,
        "best": 5,
        "worst": 1,
        "definition": "The statement is accurate and nothing significant is missing.",
        "scale": "Standard v1",
    },
    "summary": "The adopted 2026 budget and the transit authority's annual report both put the cost at about $14 million.",
    "explanation": "The city's adopted budget lists a fare-replacement subsidy of $14.2 million ...",
    "evidence": [
        {
            "url": "https://city.riverton.example/budget/2026/transit",
            "title": "Adopted budget 2026: transit",
            "publisher": "City of Riverton",
            "stance": "supports",
            "source_type": "primary_document",
            "excerpt": "Fare replacement subsidy: $14.2 million.",
            "snapshot_sha256": "5d41402abc4b2a76b9719d911017c592ae3b6f3a5d2c1b9e8f7a6b5c4d3e2f10",
            "snapshot_date": "2026-03-19T10:02:00+00:00",
            "not_archived_reason": None,
        }
    ],
    "revision": 1,
    "published_at": "2026-03-20T15:00:00+00:00",
    "modified_at": "2026-03-20T15:00:00+00:00",
    "corrections": [],
    "language": "en",
}

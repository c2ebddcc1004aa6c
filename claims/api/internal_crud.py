"""Internal API for desk members and their machines: articles, claims,
evidence and verdict drafts, within each role's rights (Django model
permissions, the same as in the admin). Statuses change only through the
transition endpoint."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response

from claims.intake import ingestion
from claims.models import Article, Claim, Claimant, Evidence, Rating, Tag, Verdict
from claims.review import editing, workflow

from .auth import WriteScopeForUnsafeMethods
from .schema import BAD_REQUEST, FORBIDDEN, NOT_FOUND, UNAUTHORIZED

READ = {**UNAUTHORIZED, **FORBIDDEN}
READ_ONE = {**READ, **NOT_FOUND}
WRITE = {**BAD_REQUEST, **UNAUTHORIZED, **FORBIDDEN}
WRITE_ONE = {**WRITE, **NOT_FOUND}


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reading needs the view permission too (the default lets anyone authenticated read)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


def get_object_or_404(queryset, **kwargs):
    """DRF's get_object_or_404 (a malformed id is a 404), also for ids beyond 64 bits, which SQLite refuses."""
    try:
        return generics.get_object_or_404(queryset, **kwargs)
    except OverflowError:
        raise Http404 from None


class LookupById:
    def get_object(self):
        try:
            return super().get_object()
        except OverflowError:  # SQLite refuses ids beyond 64 bits; no row has one
            raise Http404 from None


PERMISSIONS = [permissions.IsAuthenticated, WriteScopeForUnsafeMethods, ModelPermissions]


class CanViewClaims(permissions.BasePermission):
    """For the claim's sub-resources: reading needs view_claim; each write checks its own permission."""

    def has_permission(self, request, view):
        return request.user.has_perm("claims.view_claim")


SUB_RESOURCE_PERMISSIONS = [permissions.IsAuthenticated, WriteScopeForUnsafeMethods, CanViewClaims]


class RejectReadOnlyFields:
    """Refuse a request that sets a read-only field, rather than ignoring it silently."""

    read_only_advice = {"status": "Statuses change only through POST /api/v1/claims/{id}/transitions/."}

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            read_only = sorted(name for name in data.keys() if name in self.fields and self.fields[name].read_only)
            if read_only:
                raise serializers.ValidationError(
                    {
                        name: [f"This field is read-only. {self.read_only_advice.get(name, '')}".strip()]
                        for name in read_only
                    }
                )
        return super().to_internal_value(data)


class ArticleSerializer(RejectReadOnlyFields, serializers.ModelSerializer):
    url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    text = serializers.CharField(required=False, allow_blank=True, write_only=True)

    class Meta:
        model = Article
        fields = ["id", "url", "title", "text", "status", "error", "language", "published_at", "created_at"]
        read_only_fields = ["status", "error", "language", "published_at", "created_at"]


ARTICLE_EXAMPLE = {
    "id": 3,
    "url": "https://news.example/story",
    "title": "Council splits over free buses",
    "status": "pending",
    "error": "",
    "language": "",
    "published_at": None,
    "created_at": "2026-11-25T10:00:00Z",
}
CLAIM_EXAMPLE = {
    "id": 12,
    "text": "Bus ridership has doubled since fares were abolished.",
    "article": 3,
    "sentence": "Bus ridership has doubled since fares were abolished, the mayor said.",
    "claimant": "Dana Whitfield, Mayor of Riverton",
    "claimed_on": "2026-03-17",
    "checkworthiness": 0.91,
    "scorer": "en",
    "status": "candidate",
    "priority": 1,
    "assignee": None,
    "language": "en",
    "version": 1,
}
EVIDENCE_EXAMPLE = {
    "id": 7,
    "url": "https://stats.example.org/ridership-2025",
    "title": "Ridership 2025",
    "publisher": "Statistics office",
    "excerpt": "Boardings rose 41 percent.",
    "stance": "refutes",
    "source_type": "dataset",
    "added_at": "2026-11-25T10:05:00Z",
    "snapshot_sha256": "",
}
DRAFT_EXAMPLE = {
    "id": 4,
    "revision": 1,
    "rating": "Mostly false",
    "headline": "Bus ridership has not doubled",
    "summary": "Ridership rose by 41 percent.",
    "explanation": "The statistics office's series shows ...",
    "correction_note": "",
    "status": "draft",
}


def _examples(name, value):
    # One item even for lists: drf-spectacular wraps the example of a list response itself.
    return [OpenApiExample(name, value=value, response_only=True)]


@extend_schema_view(
    list=extend_schema(
        responses={200: ArticleSerializer(many=True), **READ},
        examples=_examples("Articles", ARTICLE_EXAMPLE),
    ),
    retrieve=extend_schema(
        responses={200: ArticleSerializer, **READ_ONE}, examples=_examples("An article", ARTICLE_EXAMPLE)
    ),
    create=extend_schema(
        responses={
            201: ArticleSerializer,
            200: OpenApiResponse(ArticleSerializer, description="Already submitted: the existing article."),
            **WRITE,
        },
        examples=_examples("Submitted", {**ARTICLE_EXAMPLE, "created": True}),
    ),
)
class ArticleViewSet(
    LookupById, mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Submit an article by URL or text (its ingestion is queued); read articles."""

    serializer_class = ArticleSerializer
    permission_classes = PERMISSIONS
    queryset = Article.objects.order_by("-pk")

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            submission = ingestion.submit_article(
                url=data.get("url", ""), text=data.get("text", ""), title=data.get("title", ""), by=request.user
            )
        except DjangoValidationError as exc:
            raise APIValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            ) from None
        payload = {**ArticleSerializer(submission.article).data, "created": submission.created}
        return Response(payload, status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK)


class ClaimSerializer(RejectReadOnlyFields, serializers.ModelSerializer):
    claimant_name = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=300)
    claimant = serializers.StringRelatedField(read_only=True, allow_null=True)
    # Empty for claims entered by hand: the schema must say so (a read-only model field loses allow_blank).
    scorer = serializers.ChoiceField(choices=Claim.Scorer.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "text",
            "article",
            "sentence",
            "claimant",
            "claimant_name",
            "claimed_on",
            "checkworthiness",
            "scorer",
            "status",
            "priority",
            "assignee",
            "language",
            "version",
        ]
        read_only_fields = ["sentence", "checkworthiness", "scorer", "status", "assignee", "version"]
        extra_kwargs = {"text": {"min_length": 1}}  # states in the schema that a blank text is refused

    def _claimant(self, validated):
        name = validated.pop("claimant_name", "").strip()
        if name:
            validated["claimant"] = ingestion.claimant_for(name, Claimant.Kind.PERSON)
        return validated

    def to_representation(self, instance):
        # During a correction the desk edits the claim as it will read once the
        # correction is approved; the claim row (and the public) keep the published one.
        data = super().to_representation(instance)
        working = editing.working_claim(instance)
        if working["text"] != instance.text or working["claimant"] != instance.claimant:
            data["text"] = working["text"]
            data["claimant"] = str(working["claimant"]) if working["claimant"] else None
        data["claimed_on"] = working["claimed_on"].isoformat() if working["claimed_on"] else None
        data["language"] = working["language"]
        return data

    def create(self, validated_data):
        return _service(lambda: editing.create_claim(by=self.context["request"].user, **self._claimant(validated_data)))

    def update(self, instance, validated_data):
        changes = self._claimant(validated_data)
        return _service(lambda: editing.update_claim(instance.pk, by=self.context["request"].user, changes=changes))


def _service(call):
    """Run an editing service: its refusals become the API's 400/403/409 with the service's message."""
    try:
        return call()
    except workflow.WorkflowError as exc:
        if exc.http_status == 403:
            raise PermissionDenied(exc.message) from None
        if exc.http_status == 409:
            raise Conflict(exc.message) from None
        raise APIValidationError(exc.errors or {"detail": [exc.message]}) from None
    except DjangoValidationError as exc:
        raise APIValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from None


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class EvidenceSerializer(RejectReadOnlyFields, serializers.ModelSerializer):
    archive_override_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        help_text="The editor who cites this source without its archive (empty otherwise); the admin sets it.",
    )

    class Meta:
        model = Evidence
        fields = [
            "id", "url", "title", "publisher", "excerpt", "stance", "source_type", "added_at", "snapshot_sha256",
            "archive_override_reason", "archive_override_by", "archive_override_at",
        ]  # fmt: skip
        read_only_fields = [
            "added_at", "snapshot_sha256", "archive_override_reason", "archive_override_by", "archive_override_at"
        ]  # fmt: skip


class VerdictDraftSerializer(RejectReadOnlyFields, serializers.ModelSerializer):
    rating = serializers.SlugRelatedField(
        slug_field="label", queryset=Rating.objects.filter(scale__is_default=True, retired=False)
    )

    class Meta:
        model = Verdict
        fields = ["id", "revision", "rating", "headline", "summary", "explanation", "correction_note", "status"]
        read_only_fields = ["revision", "status"]


@extend_schema_view(
    list=extend_schema(
        responses={200: ClaimSerializer(many=True), **READ},
        examples=_examples("Claims", CLAIM_EXAMPLE),
        parameters=[OpenApiParameter("tag", str, description="Only claims with this tag (its name, any case).")],
    ),
    retrieve=extend_schema(responses={200: ClaimSerializer, **READ_ONE}, examples=_examples("A claim", CLAIM_EXAMPLE)),
    create=extend_schema(responses={201: ClaimSerializer, **WRITE}, examples=_examples("Created", CLAIM_EXAMPLE)),
    update=extend_schema(responses={200: ClaimSerializer, **WRITE_ONE}, examples=_examples("Updated", CLAIM_EXAMPLE)),
    partial_update=extend_schema(
        responses={200: ClaimSerializer, **WRITE_ONE}, examples=_examples("Updated", CLAIM_EXAMPLE)
    ),
)
class ClaimViewSet(
    LookupById,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Claims, their evidence and their verdict draft."""

    serializer_class = ClaimSerializer
    permission_classes = PERMISSIONS
    queryset = Claim.objects.select_related("claimant").prefetch_related(editing.correction_drafts()).order_by("-pk")
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def _claim(self, pk) -> Claim:
        return get_object_or_404(Claim, pk=pk)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and (tag := self.request.query_params.get("tag")):
            # A subquery rather than a join: two tags differing only in case would list a claim twice.
            tagged = Tag.claims.through.objects.filter(tag__name__iexact=tag).values("claim_id")
            queryset = queryset.filter(pk__in=tagged)
        return queryset

    @extend_schema(
        methods=["GET"],
        responses={200: EvidenceSerializer(many=True), **READ_ONE},
        examples=_examples("Evidence", EVIDENCE_EXAMPLE),
    )
    @extend_schema(
        methods=["POST"],
        responses={201: EvidenceSerializer, **WRITE_ONE},
        examples=_examples("Evidence", EVIDENCE_EXAMPLE),
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=EvidenceSerializer,
        permission_classes=SUB_RESOURCE_PERMISSIONS,
    )
    def evidence(self, request, pk=None):
        claim = self._claim(pk)
        if request.method == "GET":
            evidence = claim.evidence.select_related("archive_override_by").order_by("added_at")
            return Response(EvidenceSerializer(evidence, many=True).data)
        body = EvidenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        evidence = _service(lambda: editing.attach_evidence(claim.pk, by=request.user, **body.validated_data))
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={200: VerdictDraftSerializer, **READ_ONE},
        examples=_examples("The draft", DRAFT_EXAMPLE),
    )
    @extend_schema(
        methods=["PUT"],
        responses={
            200: VerdictDraftSerializer,
            201: OpenApiResponse(VerdictDraftSerializer, description="The claim's first draft."),
            **WRITE_ONE,
        },
        examples=_examples("The draft", DRAFT_EXAMPLE),
    )
    @action(
        detail=True,
        methods=["get", "put"],
        url_path="verdict-draft",
        serializer_class=VerdictDraftSerializer,
        permission_classes=SUB_RESOURCE_PERMISSIONS,
    )
    def verdict_draft(self, request, pk=None):
        claim = self._claim(pk)
        draft = claim.verdicts.filter(status=Verdict.Status.DRAFT).first()
        if request.method == "GET":
            if draft is None:
                return Response({"detail": "No draft yet; PUT one."}, status=status.HTTP_404_NOT_FOUND)
            return Response(VerdictDraftSerializer(draft).data)
        body = VerdictDraftSerializer(draft, data=request.data)
        body.is_valid(raise_exception=True)
        draft, created = _service(
            lambda: editing.save_draft(claim.pk, by=request.user, changes=dict(body.validated_data))
        )
        return Response(
            VerdictDraftSerializer(draft).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

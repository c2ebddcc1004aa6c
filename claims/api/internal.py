"""The internal API: authenticated, within each role's rights."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.models import Claim
from claims.review import workflow

from .auth import WriteScopeForUnsafeMethods
from .schema import UNAUTHORIZED


class TransitionRequest(serializers.Serializer):
    action = serializers.ChoiceField(choices=[a for a, t in workflow.TRANSITIONS.items() if not t.system_only])
    expected_version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you loaded; a different one gives 409."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    assignee = serializers.CharField(required=False, min_length=1, help_text="Reviewer's username (assign, reassign).")
    publish_at = serializers.DateTimeField(required=False, help_text="approve: publish at this time (embargo).")
    duplicate_of = serializers.IntegerField(
        required=False, min_value=1, help_text="mark_duplicate: canonical claim id."
    )


class ClaimState(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    assignee = serializers.CharField(allow_null=True)


def claim_state(claim: Claim) -> dict:
    return {
        "id": claim.pk,
        "status": claim.status,
        "version": claim.version,
        "assignee": claim.assignee.get_username() if claim.assignee_id else None,
    }


ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT, description="`detail` says what went wrong and what to do; `errors` lists fields."
)


class ClaimTransition(APIView):
    """Move a claim through the review workflow, with the same checks as the admin."""

    permission_classes = [IsAuthenticated, WriteScopeForUnsafeMethods]

    @extend_schema(
        operation_id="claims_transition",
        request=TransitionRequest,
        responses={200: ClaimState, 400: ERROR, **UNAUTHORIZED, 403: ERROR, 404: ERROR, 409: ERROR},
        examples=[
            OpenApiExample("Accept a candidate", value={"action": "accept", "expected_version": 1}, request_only=True),
            OpenApiExample(
                "New state", value={"id": 12, "status": "accepted", "version": 2, "assignee": None}, response_only=True
            ),
        ],
    )
    def post(self, request, pk: int):
        body = TransitionRequest(data=request.data)
        if not body.is_valid():
            return Response(
                {
                    "detail": "The request body is not valid; fix the fields listed in `errors`.",
                    "code": "invalid",
                    "errors": body.errors,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        values = dict(body.validated_data)
        action = values.pop("action")
        expected_version = values.pop("expected_version", None)
        try:
            exists = Claim.objects.filter(pk=pk).exists()
        except OverflowError:  # SQLite refuses ids beyond 64 bits; no row has one
            exists = False
        if not exists:
            return Response(
                {"detail": f"Claim #{pk} does not exist.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND
            )
        try:
            claim = workflow.perform(action, pk, by=request.user, expected_version=expected_version, **values)
        except workflow.WorkflowError as exc:
            advice = {
                "conflict": " Reload the claim and try again.",
                "not_allowed": " Reload the claim to see which actions apply now.",
                "forbidden": "",
                "guard_failed": "",
            }.get(exc.code, "")
            return Response(
                {"detail": exc.message + advice, "code": exc.code, "errors": exc.errors},
                status=exc.http_status,
            )
        claim.refresh_from_db()
        return Response(claim_state(claim))

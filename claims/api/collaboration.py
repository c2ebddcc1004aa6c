"""Internal API for working together on a claim: its notes, its checklist and its tags.

Reading needs the view permission on claims; each write is checked by its service
(notes: the Editors or Reviewers role, the author's 15 minutes, author-or-editor
removal; tasks: the version the caller loaded, 409 when another answer won; tags:
creating a tag needs the add permission). Nothing here is public.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.collaboration import checklists, notes, tags
from claims.models import Claim, ClaimTask, Note

from .internal_crud import READ_ONE, SUB_RESOURCE_PERMISSIONS, WRITE_ONE, get_object_or_404
from .schema import error

CONFLICT = {409: error("The task changed since `expected_version`: another answer won; reload and try again.")}


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    claim = serializers.IntegerField(source="claim_id", read_only=True)
    author = serializers.CharField(source="author_username", read_only=True)
    body = serializers.CharField(
        max_length=notes.MAX_LENGTH,
        help_text="Markdown-lite (**bold**, *italic*, `code`, [label](https://...)); @username tells a desk member.",
    )
    html = serializers.SerializerMethodField(help_text="The body rendered, every character of the text escaped.")
    mentions = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    removed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_html(self, note) -> str:
        return str(notes.render_note(note))

    def get_mentions(self, note) -> list[str]:
        return sorted(user.get_username() for user in note.mentions.all())


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    answer_kind = serializers.CharField(read_only=True, help_text="text, url or yes_no")
    required = serializers.BooleanField(read_only=True, help_text="Submitting is refused while it is not done.")
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True, default=None)
    answer = serializers.CharField(read_only=True)
    done = serializers.BooleanField(source="is_done", read_only=True)
    checked_by = serializers.CharField(source="checked_by_username", read_only=True)
    version = serializers.IntegerField(read_only=True)


class TaskUpdate(serializers.Serializer):
    expected_version = serializers.IntegerField(min_value=1, help_text="The version you loaded; another gives 409.")
    answer = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    done = serializers.BooleanField(required=False)
    assignee = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=150, help_text="A desk member's username."
    )


class TagsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=tags.MAX_LENGTH), max_length=50)


def refusal(exc) -> Response:
    body = {"detail": exc.message, "code": getattr(exc, "code", "invalid")}
    if getattr(exc, "errors", None):
        body["errors"] = exc.errors
    return Response(body, status=exc.http_status)


NOTE_EXAMPLE = {
    "id": 7,
    "claim": 12,
    "author": "reviewer",
    "body": "Called the ministry, **no answer** yet. @editor can you try the press office?",
    "html": 'Called the ministry, <strong>no answer</strong> yet. <b class="mention">@editor</b> can you try the press office?',
    "mentions": ["editor"],
    "created_at": "2026-11-30T10:15:00Z",
    "edited_at": None,
    "removed_at": None,
}
TASK_EXAMPLE = {
    "id": 31,
    "label": "Find the primary data",
    "description": "The statistics office's own table, not a report about it.",
    "answer_kind": "url",
    "required": True,
    "assignee": "reviewer",
    "answer": "https://stats.example.org/unemployment/2025",
    "done": True,
    "checked_by": "reviewer",
    "version": 3,
}


def _examples(name, value, request=None):
    examples = [OpenApiExample(name, value=value, response_only=True)]
    if request is not None:
        examples.append(OpenApiExample(f"{name} (request)", value=request, request_only=True))
    return examples


class ClaimNotes(APIView):
    """A claim's notes, oldest first (removed ones as stubs); POST writes one."""

    permission_classes = SUB_RESOURCE_PERMISSIONS

    @extend_schema(operation_id="claims_notes_list", responses={200: NoteSerializer(many=True), **READ_ONE},
                   examples=_examples("Notes", [NOTE_EXAMPLE]))  # fmt: skip
    def get(self, request, pk: int):
        claim = get_object_or_404(Claim, pk=pk)
        thread = Note.objects.filter(claim=claim).prefetch_related("mentions").order_by("created_at", "pk")
        return Response(NoteSerializer(thread, many=True).data)

    @extend_schema(
        operation_id="claims_notes_create",
        request=NoteSerializer,
        responses={201: NoteSerializer, **WRITE_ONE},
        examples=_examples("A note", NOTE_EXAMPLE, request={"body": NOTE_EXAMPLE["body"]}),
    )
    def post(self, request, pk: int):
        claim = get_object_or_404(Claim, pk=pk)
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            note = notes.add_note(by=request.user, claim=claim, body=body.validated_data["body"])
        except notes.NoteError as exc:
            return refusal(exc)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class ClaimNote(APIView):
    """One note: PATCH by its author within 15 minutes; DELETE by its author or an editor (a stub stays)."""

    permission_classes = SUB_RESOURCE_PERMISSIONS

    def _note(self, pk: int, note_id: int) -> Note:
        return get_object_or_404(Note.objects.prefetch_related("mentions"), pk=note_id, claim_id=pk)

    @extend_schema(
        operation_id="claims_notes_update",
        request=NoteSerializer,
        responses={200: NoteSerializer, **WRITE_ONE},
        examples=_examples("Edited", {**NOTE_EXAMPLE, "edited_at": "2026-11-30T10:20:00Z"}, request={"body": "..."}),
    )
    def patch(self, request, pk: int, note_id: int):
        note = self._note(pk, note_id)
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            note = notes.edit_note(note.pk, by=request.user, body=body.validated_data["body"])
        except notes.NoteError as exc:
            return refusal(exc)
        return Response(NoteSerializer(note).data)

    @extend_schema(
        operation_id="claims_notes_remove",
        responses={200: NoteSerializer, **WRITE_ONE},
        examples=_examples("Removed", {**NOTE_EXAMPLE, "body": "", "html": "", "mentions": [],
                                       "removed_at": "2026-11-30T11:00:00Z"}),
    )  # fmt: skip
    def delete(self, request, pk: int, note_id: int):
        note = self._note(pk, note_id)
        try:
            note = notes.remove_note(note.pk, by=request.user)
        except notes.NoteError as exc:
            return refusal(exc)
        return Response(NoteSerializer(note).data)


class ClaimTasks(APIView):
    """A claim's checklist, in order."""

    permission_classes = SUB_RESOURCE_PERMISSIONS

    @extend_schema(operation_id="claims_tasks_list", responses={200: TaskSerializer(many=True), **READ_ONE},
                   examples=_examples("Checklist", [TASK_EXAMPLE]))  # fmt: skip
    def get(self, request, pk: int):
        claim = get_object_or_404(Claim, pk=pk)
        return Response(
            TaskSerializer(claim.tasks.select_related("assignee").order_by("position", "pk"), many=True).data
        )


class ClaimTaskDetail(APIView):
    """Answer, check or assign a task, naming the version you loaded (409 when another answer won)."""

    permission_classes = SUB_RESOURCE_PERMISSIONS

    @extend_schema(
        operation_id="claims_tasks_update",
        request=TaskUpdate,
        responses={200: TaskSerializer, **WRITE_ONE, **CONFLICT},
        examples=_examples(
            "Answered and checked",
            TASK_EXAMPLE,
            request={"expected_version": 2, "answer": "https://stats.example.org/unemployment/2025", "done": True},
        ),
    )
    def patch(self, request, pk: int, task_id: int):
        task = get_object_or_404(ClaimTask, pk=task_id, claim_id=pk)
        body = TaskUpdate(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        changes = {name: values[name] for name in ("answer", "assignee") if name in values}
        if "done" in values:
            changes["checked"] = values["done"]
        try:
            task = checklists.update_task(
                task.pk, by=request.user, expected_version=values["expected_version"], **changes
            )
        except checklists.TaskError as exc:
            return refusal(exc)
        return Response(TaskSerializer(ClaimTask.objects.select_related("assignee").get(pk=task.pk)).data)


class ClaimTags(APIView):
    """A claim's tags; PUT sets them (a new name creates the tag, for who may add tags)."""

    permission_classes = SUB_RESOURCE_PERMISSIONS

    @extend_schema(operation_id="claims_tags_list", responses={200: TagsSerializer, **READ_ONE},
                   examples=_examples("Tags", {"tags": ["elections", "health"]}))  # fmt: skip
    def get(self, request, pk: int):
        claim = get_object_or_404(Claim, pk=pk)
        return Response({"tags": list(claim.tags.order_by("name").values_list("name", flat=True))})

    @extend_schema(
        operation_id="claims_tags_set",
        request=TagsSerializer,
        responses={200: TagsSerializer, **WRITE_ONE},
        examples=_examples("Tags", {"tags": ["elections", "health"]}, request={"tags": ["elections", "health"]}),
    )
    def put(self, request, pk: int):
        claim = get_object_or_404(Claim, pk=pk)
        body = TagsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            tags.set_claim_tags(claim, body.validated_data["tags"], by=request.user)
        except tags.TagError as exc:
            return refusal(exc)
        return Response({"tags": list(claim.tags.order_by("name").values_list("name", flat=True))})

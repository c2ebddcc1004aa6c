"""Internal API for notes, tasks and tags: role rules, conflicts, the tag filter, documented with examples."""

from __future__ import annotations

import pytest
import yaml

from claims.collaboration import notes
from claims.models import APIKey, ChecklistTemplateTask, Claim, Note, Notification, Tag
from claims.review.roles import EDITORS, REVIEWERS

from .factories import ClaimFactory, UserFactory, advance, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(editor, reviewer, default_scale):
    ChecklistTemplateTask.objects.create(label="Find the primary data", answer_kind="url", required=True)
    return advance(ClaimFactory(), Claim.Status.ASSIGNED, editor, reviewer)


def key_for(user, scope="write") -> dict:
    _, key = APIKey.objects.create_key(name=f"{user.username} key", user=user, scope=scope)
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def test_notes_are_written_listed_edited_and_removed(client, editor, reviewer, claim):
    url = f"/api/v1/claims/{claim.pk}/notes/"
    as_reviewer = key_for(reviewer)
    created = client.post(url, {"body": "**Called** @editor <b>"}, content_type="application/json", **as_reviewer)
    assert created.status_code == 201, created.content
    note = created.json()
    assert note["mentions"] == ["editor"] and note["author"] == "reviewer"
    assert note["html"] == '<strong>Called</strong> <b class="mention">@editor</b> &lt;b&gt;'
    assert Notification.objects.filter(recipient=editor, verb="mentioned").count() == 1
    edited = client.patch(
        f"{url}{note['id']}/", {"body": "Called twice"}, content_type="application/json", **as_reviewer
    )
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    as_editor = key_for(editor)
    refused = client.patch(f"{url}{note['id']}/", {"body": "mine now"}, content_type="application/json", **as_editor)
    assert refused.status_code == 403 and "author" in refused.json()["detail"]
    removed = client.delete(f"{url}{note['id']}/", **as_editor)
    assert removed.status_code == 200 and removed.json()["body"] == "" and removed.json()["removed_at"]
    [stub] = client.get(url, **as_reviewer).json()
    assert stub["removed_at"] and stub["body"] == ""


def test_read_only_keys_and_outsiders_cannot_write_notes(client, reviewer, claim, roles):
    url = f"/api/v1/claims/{claim.pk}/notes/"
    assert (
        client.post(url, {"body": "x"}, content_type="application/json", **key_for(reviewer, "read")).status_code == 403
    )
    outsider = UserFactory(username="outsider")
    assert client.get(url, **key_for(outsider)).status_code == 403
    assert client.post(url, {"body": ""}, content_type="application/json", **key_for(reviewer)).status_code == 400
    assert client.get("/api/v1/claims/999999/notes/", **key_for(reviewer)).status_code == 404
    assert not Note.objects.exists()


def test_tasks_are_answered_with_a_version_and_a_stale_one_gets_409(client, editor, reviewer, claim):
    url = f"/api/v1/claims/{claim.pk}/tasks/"
    [task] = client.get(url, **key_for(reviewer)).json()
    assert task["label"] == "Find the primary data" and task["required"] and not task["done"]
    body = {"expected_version": task["version"], "answer": "https://stats.example.org/t", "done": True}
    ok = client.patch(f"{url}{task['id']}/", body, content_type="application/json", **key_for(reviewer))
    assert ok.status_code == 200, ok.content
    assert ok.json()["done"] and ok.json()["version"] == task["version"] + 1
    again = client.patch(
        f"{url}{task['id']}/",
        {**body, "answer": "https://other.example"},
        content_type="application/json",
        **key_for(editor),
    )
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert "changed since you loaded it" in again.json()["detail"]
    bad = client.patch(
        f"{url}{task['id']}/", {"expected_version": 2, "answer": "not a url"}, content_type="application/json",
        **key_for(reviewer),
    )  # fmt: skip
    assert bad.status_code == 400 and "answer" in bad.json()["errors"]


def test_tags_are_set_and_filter_the_claim_list(client, editor, reviewer, claim, roles):
    other = ClaimFactory()
    url = f"/api/v1/claims/{claim.pk}/tags/"
    response = client.put(
        url, {"tags": ["Elections", "health", "elections"]}, content_type="application/json", **key_for(editor)
    )
    assert response.status_code == 200 and response.json() == {"tags": ["Elections", "health"]}
    listed = client.get("/api/v1/claims/?tag=ELECTIONS", **key_for(reviewer)).json()
    ids = [item["id"] for item in (listed["results"] if isinstance(listed, dict) else listed)]
    assert ids == [claim.pk] and other.pk not in ids
    # Free tags: a reviewer may start a new one; a read-only key may not; a bad name is refused whole.
    response = client.put(url, {"tags": ["brand new"]}, content_type="application/json", **key_for(reviewer))
    assert response.status_code == 200 and Tag.objects.filter(name="brand new", public=False).exists()
    read_only = client.put(url, {"tags": ["x"]}, content_type="application/json", **key_for(reviewer, "read"))
    assert read_only.status_code == 403
    too_long = client.put(url, {"tags": ["ok", "y" * 65]}, content_type="application/json", **key_for(editor))
    assert too_long.status_code == 400
    assert list(claim.tags.values_list("name", flat=True)) == ["brand new"]


def test_the_collaboration_endpoints_are_documented_with_examples(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/claims/{id}/notes/": ["get", "post"],
        "/api/v1/claims/{id}/notes/{note_id}/": ["patch", "delete"],
        "/api/v1/claims/{id}/tasks/": ["get"],
        "/api/v1/claims/{id}/tasks/{task_id}/": ["patch"],
        "/api/v1/claims/{id}/tags/": ["get", "put"],
    }.items():
        for method in methods:
            operation = paths[path][method]
            success = next(code for code in operation["responses"] if code.startswith("2"))
            assert operation["responses"][success]["content"]["application/json"]["examples"], (path, method)
    assert "409" in paths["/api/v1/claims/{id}/tasks/{task_id}/"]["patch"]["responses"]
    assert "tag" in {p["name"] for p in paths["/api/v1/claims/"]["get"]["parameters"]}


def test_notes_by_the_service_are_listed_with_mentions_in_constant_queries(
    client, editor, reviewer, claim, django_assert_max_num_queries, roles
):
    member_of(EDITORS, "second-editor")
    for i in range(30):
        notes.add_note(by=editor, claim=claim, body=f"{i} @reviewer @second-editor")
    headers = key_for(reviewer)
    # 1 the API key (and its user), 2-3 the user's and groups' permissions, 4 the claim,
    # 5 the notes, 6 their mentions (one prefetch); a last-used update of the key may add one.
    with django_assert_max_num_queries(8):
        assert len(client.get(f"/api/v1/claims/{claim.pk}/notes/", **headers).json()) == 30
    assert member_of(REVIEWERS, "x").has_perm("claims.view_note")

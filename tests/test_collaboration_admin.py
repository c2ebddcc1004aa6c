"""The workspace: notes and checklist on the claim page, the notification list, badge and "mark all read"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.collaboration import notes, notifications
from claims.models import ChecklistTemplateTask, Claim, ClaimTask, Note, Notification, NotificationKind, Tag
from claims.review.roles import REVIEWERS

from .factories import ClaimFactory, advance, member_of

pytestmark = pytest.mark.django_db


def change_form_data(response) -> dict:
    """What the browser would post back from a change page as rendered, inline formsets included."""

    def fields_of(form) -> dict:
        data = {}
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
        return data

    data = fields_of(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= fields_of(formset.management_form)
        for form in formset.forms:
            data |= fields_of(form)
    return data


def claim_url(claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


@pytest.fixture
def in_research(editor, reviewer, default_scale) -> Claim:
    ChecklistTemplateTask.objects.create(label="Contact the claimant", required=True, default_assignee="assignee")
    ChecklistTemplateTask.objects.create(label="Primary data", answer_kind="url")
    return advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)


def test_a_note_written_on_the_claim_page_tells_who_it_mentions(client, editor, reviewer, in_research):
    client.force_login(reviewer)
    page = client.get(claim_url(in_research))
    data = change_form_data(page)
    [prefix] = [
        form.prefix
        for inline in page.context["inline_admin_formsets"]
        for form in inline.formset.forms
        if inline.formset.model is Note and "body" in form.fields
    ]
    data[f"{prefix}-body"] = "**Done** with the call, @editor <script>x</script>"
    response = client.post(claim_url(in_research), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    note = Note.objects.get(claim=in_research)
    assert note.author == reviewer and list(note.mentions.all()) == [editor]
    assert Notification.objects.filter(recipient=editor, verb=NotificationKind.MENTIONED).count() == 1
    html = client.get(claim_url(in_research)).content.decode()
    assert '<strong>Done</strong> with the call, <b class="mention">@editor</b> &lt;script&gt;x&lt;/script&gt;' in html


def test_a_task_checked_on_the_claim_page_and_a_stale_page_gets_a_conflict_message(client, reviewer, in_research):
    client.force_login(reviewer)
    first = change_form_data(client.get(claim_url(in_research)))
    stale = dict(first)
    task = in_research.tasks.get(label="Contact the claimant")
    prefix = next(
        k[: -len("-id")] for k, v in first.items() if k.endswith("-id") and str(v) == str(task.pk) and "task" in k
    )
    first[f"{prefix}-answer"] = "Called the press office"
    first[f"{prefix}-done"] = "on"
    assert client.post(claim_url(in_research), first).status_code == 302
    task.refresh_from_db()
    assert task.is_done and task.answer == "Called the press office"
    stale[f"{prefix}-answer"] = "Sent an e-mail"
    stale[f"{prefix}-done"] = "on"
    response = client.post(claim_url(in_research), stale, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert any("changed since you loaded it" in m and "Contact the claimant" in m for m in shown), shown
    task.refresh_from_db()
    assert task.answer == "Called the press office"


def test_removing_a_note_in_the_admin_leaves_the_stub(client, editor, reviewer, in_research):
    note = notes.add_note(by=reviewer, claim=in_research, body="to be removed")
    client.force_login(editor)
    response = client.post(reverse("admin:claims_note_delete", args=[note.pk]), {"post": "yes"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.removed_at is not None and note.body == ""
    assert "Note removed by editor" in client.get(claim_url(in_research)).content.decode()


def make_thread(claim, author, reviewer, notes_count: int, tasks_count: int) -> None:
    for i in range(notes_count):
        notes.add_note(by=author, claim=claim, body=f"note {i} for @reviewer, **look**")
    for i in range(tasks_count):
        ClaimTask.objects.create(claim=claim, label=f"task {i}", position=i, assignee=reviewer if i % 2 else None)


def captured(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in ctx.captured_queries]


def page_queries(client, url) -> int:
    return len(captured(client, url))


def test_claim_page_costs_the_same_queries_with_50_notes_and_20_tasks_as_with_2_and_1(
    client, editor, reviewer, in_research
):
    client.force_login(editor)
    make_thread(in_research, reviewer, reviewer, 2, 1)
    few = captured(client, claim_url(in_research))
    make_thread(in_research, reviewer, reviewer, 48, 19)
    many = captured(client, claim_url(in_research))
    assert len(many) == len(few)
    # What the notes and the checklist add, whatever their number:
    # 1 the tasks joined to their assignees, 2 the notes, 3 their mentions (one prefetch),
    # 4 the required tasks still open (the header's list of blockers before submit);
    # the new-note inline's (empty) queryset is never read: none. The desk members for the
    # assignee menus are read once for every row (the one query on auth_user joined to groups).
    ours = [sql for sql in many if "claims_claimtask" in sql or "claims_note" in sql]
    assert len(ours) == 4, ours
    assert sum(1 for sql in many if "'Editors'" in sql and "'Reviewers'" in sql) == 1
    html = client.get(claim_url(in_research)).content.decode()
    assert html.count('class="note-body"') == 50
    assert html.count('name="tasks-') >= 20


def test_notification_list_badge_and_mark_all_read(client, editor, reviewer, in_research, django_assert_num_queries):
    for i in range(3):
        notes.add_note(by=editor, claim=in_research, body=f"@reviewer number {i}")
    client.force_login(reviewer)
    home = client.get(reverse("admin:index")).content.decode()
    unread = Notification.objects.filter(recipient=reviewer, read_at=None).count()
    assert unread == 5  # assigned, the task given at assignment, three mentions
    assert f'<span class="badge unread">{unread}</span>' in home
    url = reverse("claims-notifications")
    # 1 session, 2 the user, 3-4 the user's and the groups' permissions (view_claim),
    # 5 the notification settings, 6 count of the notifications (paginator), 7 the
    # header's unread count, 8 the page of notifications joined to their claims.
    with django_assert_num_queries(8):
        page = client.get(url)
    assert page.content.decode().count('class="unread"') == 5
    response = client.post(url, {"mark_all_read": "1"}, follow=True)
    assert "5 notifications marked read." in response.content.decode()
    assert '<span class="badge">0</span>' in response.content.decode()
    assert not Notification.objects.filter(recipient=reviewer, read_at=None).exists()


def test_notification_list_queries_do_not_grow_with_notifications(client, editor, reviewer, in_research):
    client.force_login(reviewer)
    url = reverse("claims-notifications")
    few = page_queries(client, url)
    for i in range(40):
        notifications.notify(reviewer, NotificationKind.MENTIONED, claim=ClaimFactory(), actor=editor, detail=str(i))
    assert page_queries(client, url) == few


def test_opening_a_notification_marks_it_read_and_goes_to_the_claim(client, editor, reviewer, in_research, roles):
    notification = Notification.objects.filter(recipient=reviewer, verb=NotificationKind.ASSIGNED).get()
    other = member_of(REVIEWERS, "other")
    client.force_login(other)
    assert client.get(reverse("claims-notification-open", args=[notification.pk])).status_code == 404
    client.force_login(reviewer)
    response = client.get(reverse("claims-notification-open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == claim_url(in_research)
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_preferences_are_saved_per_kind(client, reviewer, in_research):
    client.force_login(reviewer)
    data = dict.fromkeys(NotificationKind.values, "email") | {"assigned": "digest", "mentioned": "workspace"}
    assert client.post(reverse("claims-notifications"), data).status_code == 302
    assert notifications.channel_for(reviewer, "assigned") == "digest"
    assert notifications.channel_for(reviewer, "mentioned") == "workspace"
    assert notifications.channel_for(reviewer, "published") == "email"


def test_bulk_tag_and_tag_filter_in_the_claim_list(client, editor, default_scale):
    claims = [ClaimFactory() for _ in range(3)]
    client.force_login(editor)
    url = reverse("admin:claims_claim_changelist")
    form = client.post(url, {"action": "tag_selected", "_selected_action": [claims[0].pk]})
    assert form.status_code == 200 and claims[0].text in form.content.decode()
    assert 'name="tags"' in form.content.decode()
    response = client.post(
        url,
        {
            "action": "tag_selected",
            "_selected_action": [claims[0].pk, claims[1].pk],
            "apply": "1",
            "tags": "Elections, budget",
        },
    )
    assert response.status_code == 302
    assert set(Tag.objects.get(name="Elections").claims.all()) == {claims[0], claims[1]}
    listed = client.get(url, {"tag": "budget"})
    assert {c.pk for c in listed.context["cl"].result_list} == {claims[0].pk, claims[1].pk}
    assert listed.context["cl"].result_count == 2

"""The workflow driven from the admin: queues, bulk actions and transition buttons,
as Editors and as Reviewers, through the Django test client."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from claims.models import Claim, ReviewEvent, Verdict
from claims.review import workflow

from .factories import ClaimFactory, EvidenceFactory, UserFactory, VerdictFactory, add_evidence

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:claims_claim_changelist"


def transition_url(claim, action):
    return reverse("admin:claims_claim_transition", args=[claim.pk, action])


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def in_research(editor, reviewer) -> Claim:
    claim = ClaimFactory()
    workflow.accept(claim.pk, by=editor)
    workflow.assign(claim.pk, by=editor, assignee=reviewer)
    return workflow.start_research(claim.pk, by=reviewer)


def ready_for_review(editor, reviewer, default_scale) -> Claim:
    claim = in_research(editor, reviewer)
    add_evidence(claim, ("https://stats.gov.example/table", "refutes"), ("https://university.example/paper", "context"))
    VerdictFactory(claim=claim, author=reviewer, rating=default_scale.ratings.get(label="False"))
    return claim


def button_actions(client, claim) -> set[str]:
    content = client.get(change_url(claim)).content.decode()
    return {t.action for t in workflow.TRANSITIONS.values() if f'data-action="{t.action}"' in content}


# --- Queues -------------------------------------------------------------------


def test_triage_queue_lists_candidates_by_priority_then_score(client, editor):
    low = ClaimFactory(text="Low score claim", checkworthiness=0.2)
    high = ClaimFactory(text="High score claim", checkworthiness=0.9)
    urgent = ClaimFactory(text="Urgent claim", checkworthiness=0.1, priority=Claim.Priority.URGENT)
    accepted = ClaimFactory(text="Accepted claim")
    workflow.accept(accepted.pk, by=editor)
    client.force_login(editor)
    content = client.get(reverse(CHANGELIST) + "?queue=triage").content.decode()
    assert "Accepted claim" not in content
    positions = [content.index(c.text) for c in (urgent, high, low)]
    assert positions == sorted(positions)


def test_my_assignments_and_awaiting_approval_queues(client, editor, reviewer, default_scale):
    mine = in_research(editor, reviewer)
    waiting = ready_for_review(editor, reviewer, default_scale)
    workflow.submit(waiting.pk, by=reviewer)
    ClaimFactory(text="Somebody else's candidate")
    client.force_login(reviewer)
    content = client.get(reverse(CHANGELIST) + "?queue=mine").content.decode()
    assert mine.text in content and waiting.text in content
    assert "Somebody else's candidate" not in content
    client.force_login(editor)
    content = client.get(reverse(CHANGELIST) + "?queue=approval").content.decode()
    assert waiting.text in content and mine.text not in content


@pytest.mark.parametrize("queue", ["triage", "mine", "approval", "scheduled", "published"])
def test_queue_query_count_is_constant_as_claims_grow(client, editor, queue, django_assert_max_num_queries):
    client.force_login(editor)
    ClaimFactory.create_batch(3)
    url = reverse(CHANGELIST) + f"?queue={queue}"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    ClaimFactory.create_batch(30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# --- Transition buttons ---------------------------------------------------------


def test_editor_sees_triage_buttons_on_a_candidate_and_reviewer_sees_none(client, editor, reviewer):
    claim = ClaimFactory()
    client.force_login(editor)
    assert button_actions(client, claim) == {"accept_and_assign", "accept", "dismiss", "mark_duplicate"}
    client.force_login(reviewer)
    assert button_actions(client, claim) == set()


def test_only_the_assignee_sees_start_research(client, editor, reviewer, roles):
    other = UserFactory(username="other-reviewer")
    other.groups.add(roles["Reviewers"])
    claim = ClaimFactory()
    workflow.accept(claim.pk, by=editor)
    workflow.assign(claim.pk, by=editor, assignee=reviewer)
    client.force_login(reviewer)
    assert button_actions(client, claim) == {"start_research"}
    client.force_login(other)
    assert button_actions(client, claim) == set()
    client.force_login(editor)
    assert button_actions(client, claim) == {"reassign"}


def test_author_is_not_offered_approve_but_another_editor_is(client, editor, roles, default_scale):
    author_editor = UserFactory(username="editor-author", is_superuser=True)
    second_reviewer = UserFactory(username="r2")
    second_reviewer.groups.add(roles["Reviewers"])
    claim = ready_for_review(editor, second_reviewer, default_scale)
    claim.verdicts.update(author=author_editor)
    workflow.submit(claim.pk, by=author_editor)
    client.force_login(author_editor)
    assert "approve" not in button_actions(client, claim)
    client.force_login(editor)
    assert {"approve", "request_changes"} <= button_actions(client, claim)


def test_accept_button_moves_the_claim_and_says_so(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)
    response = client.post(transition_url(claim, "accept"), {"accept-expected_version": claim.version})
    assert response.status_code == 302 and response["Location"] == change_url(claim)
    assert any("now accepted" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACCEPTED
    assert ReviewEvent.objects.get(claim=claim).actor_username == "editor"


def test_stale_page_gets_a_conflict_message_and_changes_nothing(client, editor):
    claim = ClaimFactory()
    loaded_version = claim.version
    workflow.accept(claim.pk, by=editor)
    client.force_login(editor)
    response = client.post(
        transition_url(claim, "dismiss"), {"dismiss-expected_version": loaded_version, "dismiss-note": "dup"}
    )
    assert any("changed since you loaded it" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ACCEPTED


def test_reviewer_posting_accept_is_refused_with_a_message(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    response = client.post(transition_url(claim, "accept"), {"accept-expected_version": claim.version})
    assert any("may not accept" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CANDIDATE


def test_dismiss_button_without_a_reason_is_refused(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)
    response = client.post(transition_url(claim, "dismiss"), {"dismiss-expected_version": claim.version})
    assert any("required" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CANDIDATE


def test_full_flow_through_the_buttons(client, editor, reviewer, default_scale):
    claim = ClaimFactory()
    client.force_login(editor)
    client.post(transition_url(claim, "accept"), {"accept-expected_version": 1})
    client.post(transition_url(claim, "assign"), {"assign-expected_version": 2, "assign-assignee": reviewer.pk})
    client.force_login(reviewer)
    client.post(transition_url(claim, "start_research"), {"start_research-expected_version": 3})
    add_evidence(
        claim, ("https://stats.gov.example/table", "refutes"), ("https://university.example/paper", "supports")
    )
    VerdictFactory(claim=claim, author=reviewer, rating=default_scale.ratings.get(label="False"))
    response = client.post(transition_url(claim, "submit"), {"submit-expected_version": 4, "submit-note": "ready"})
    assert any("now in review" in m for m in messages_of(response)), messages_of(response)
    client.force_login(editor)
    page = client.get(change_url(claim)).content.decode()
    assert "The claimant has not been contacted for a reply." in page
    response = client.post(transition_url(claim, "approve"), {"approve-expected_version": 5, "approve-publish_at": ""})
    assert any("now published" in m for m in messages_of(response)), messages_of(response)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PUBLISHED
    assert Verdict.objects.published().get(claim=claim).approver == editor


def test_approve_with_a_future_time_schedules(client, editor, reviewer, default_scale):
    claim = ready_for_review(editor, reviewer, default_scale)
    workflow.submit(claim.pk, by=reviewer)
    claim.refresh_from_db()
    client.force_login(editor)
    client.post(
        transition_url(claim, "approve"),
        {"approve-expected_version": claim.version, "approve-publish_at": "2999-01-01T09:00"},
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SCHEDULED
    assert not Verdict.objects.published().exists()


def test_submit_without_enough_sources_shows_what_is_missing(client, editor, reviewer, default_scale):
    claim = in_research(editor, reviewer)
    EvidenceFactory(claim=claim, url="https://stats.gov.example/table", stance="refutes")
    VerdictFactory(claim=claim, author=reviewer, rating=default_scale.ratings.get(label="False"))
    client.force_login(reviewer)
    response = client.post(transition_url(claim, "submit"), {"submit-expected_version": claim.version})
    assert any("at least 2 independent publishers" in m for m in messages_of(response))
    page = client.get(change_url(claim)).content.decode()
    assert "at least 2 independent publishers" in page


def test_claim_in_review_is_read_only(client, editor, reviewer, default_scale):
    claim = ready_for_review(editor, reviewer, default_scale)
    workflow.submit(claim.pk, by=reviewer)
    client.force_login(reviewer)
    page = client.get(change_url(claim)).content.decode()
    assert 'name="text"' not in page
    assert 'name="evidence-0-url"' not in page


# --- Bulk actions -------------------------------------------------------------


def post_action(client, action, claims, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in claims], **extra}
    return client.post(reverse(CHANGELIST), data)


def test_bulk_accept(client, editor):
    claims = ClaimFactory.create_batch(3)
    client.force_login(editor)
    response = post_action(client, "accept_selected", claims)
    assert response.status_code == 302
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.ACCEPTED}
    assert ReviewEvent.objects.filter(action="claims.claim.accepted").count() == 3


def test_bulk_accept_reports_claims_it_could_not_move(client, editor):
    fresh = ClaimFactory()
    done = ClaimFactory()
    workflow.dismiss(done.pk, by=editor, note="opinion")
    client.force_login(editor)
    response = post_action(client, "accept_selected", [fresh, done])
    messages = messages_of(response)
    assert any("1 claim(s) done" in m for m in messages)
    assert any("it is dismissed" in m for m in messages)


def test_bulk_dismiss_asks_for_a_reason_then_dismisses(client, editor):
    claims = ClaimFactory.create_batch(2)
    client.force_login(editor)
    form = post_action(client, "dismiss_selected", claims)
    assert form.status_code == 200 and b"Reason for dismissing" in form.content
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.CANDIDATE}
    response = post_action(client, "dismiss_selected", claims, apply="1", **{"dismiss-note": "Opinion"})
    assert response.status_code == 302
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.DISMISSED}
    assert set(ReviewEvent.objects.values_list("note", flat=True)) == {"Opinion"}


def test_bulk_dismiss_without_a_reason_shows_the_form_again(client, editor):
    claims = ClaimFactory.create_batch(2)
    client.force_login(editor)
    response = post_action(client, "dismiss_selected", claims, apply="1", **{"dismiss-note": ""})
    assert response.status_code == 200 and b"This field is required" in response.content
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.CANDIDATE}


def test_bulk_mark_duplicate(client, editor):
    canonical = ClaimFactory()
    copies = ClaimFactory.create_batch(2)
    client.force_login(editor)
    post_action(client, "mark_duplicate_selected", copies, apply="1", **{"mark_duplicate-duplicate_of": canonical.pk})
    for claim in copies:
        claim.refresh_from_db()
        assert claim.status == Claim.Status.DUPLICATE and claim.duplicate_of == canonical
    page = client.get(change_url(canonical)).content.decode()
    assert copies[0].text in page


def test_bulk_assign(client, editor, reviewer):
    claims = ClaimFactory.create_batch(2)
    for claim in claims:
        workflow.accept(claim.pk, by=editor)
    client.force_login(editor)
    post_action(client, "assign_selected", claims, apply="1", **{"assign-assignee": reviewer.pk})
    assert set(Claim.objects.values_list("status", "assignee")) == {(Claim.Status.ASSIGNED, reviewer.pk)}


def test_reviewers_have_no_bulk_workflow_actions(client, reviewer):
    claims = ClaimFactory.create_batch(2)
    client.force_login(reviewer)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "accept_selected" not in page
    post_action(client, "accept_selected", claims)
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.CANDIDATE}


def test_admin_index_links_the_desk_queues(client, reviewer):
    client.force_login(reviewer)
    content = client.get(reverse("admin:index")).content.decode()
    for queue in ["triage", "mine", "approval", "scheduled", "published"]:
        assert f"?queue={queue}" in content

"""The desk workspace in the admin: one-step accept and assign, the claim page's header,
typed text kept through a refusal, the queues' titles and counts, and "View on site"."""

from __future__ import annotations

import re

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from claims.models import Claim
from claims.review import workflow

from .factories import ClaimantFactory, ClaimFactory, add_verdict_draft, advance

pytestmark = pytest.mark.django_db

S = Claim.Status
CHANGELIST = "admin:claims_claim_changelist"


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def transition_url(claim, action):
    return reverse("admin:claims_claim_transition", args=[claim.pk, action])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_of(client, claim) -> lxml.html.HtmlElement:
    response = client.get(change_url(claim))
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def text_of(element) -> str:
    return " ".join(element.text_content().split())


# --- Accept and assign in one step ---------------------------------------------


def test_editor_accepts_and_assigns_from_the_claim_page_in_one_transition(client, editor, reviewer):
    claim = ClaimFactory()
    client.force_login(editor)
    tree = page_of(client, claim)
    forms = tree.cssselect(".workflow-actions form")
    # The one-step action is the first and highlighted one on a candidate.
    assert forms[0].get("data-action") == "accept_and_assign"
    assert "default" in forms[0].cssselect("input[type=submit]")[0].get("class")

    response = client.post(
        transition_url(claim, "accept_and_assign"),
        {
            "accept_and_assign-expected_version": claim.version,
            "accept_and_assign-assignee": reviewer.pk,
            "accept_and_assign-note": "Start from the 2025 labour survey.",
        },
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.assignee) == (S.ASSIGNED, reviewer)
    assert list(claim.events.values_list("action", flat=True)) == ["claims.claim.accepted_and_assigned"]
    assert any("Accept and assign" in m and "is now assigned" in m for m in messages_of(response))


def test_after_accept_the_highlighted_action_is_assign(client, editor):
    claim = ClaimFactory()
    workflow.accept(claim.pk, by=editor)
    client.force_login(editor)
    first = page_of(client, claim).cssselect(".workflow-actions form")[0]
    assert first.get("data-action") == "assign"
    assert "default" in first.cssselect("input[type=submit]")[0].get("class")


def post_action(client, action, claims, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in claims], **extra}
    return client.post(reverse(CHANGELIST), data)


def test_bulk_accept_and_assign_says_up_front_which_claims_it_skips_and_why(client, editor, reviewer):
    candidates = ClaimFactory.create_batch(2)
    dismissed = ClaimFactory()
    workflow.dismiss(dismissed.pk, by=editor, note="Opinion.")
    client.force_login(editor)

    form = post_action(client, "accept_and_assign_selected", [*candidates, dismissed])

    assert form.status_code == 200
    tree = lxml.html.fromstring(form.content.decode())
    will = [text_of(li) for li in tree.cssselect("ul.bulk-applicable li")]
    skipped = [text_of(li) for li in tree.cssselect("ul.bulk-skipped li")]
    assert [w.split()[0] for w in will] == [f"#{c.pk}" for c in candidates]
    assert skipped == [
        f"Cannot accept and assign claim #{dismissed.pk}: it is dismissed, "
        "and this action applies only to claims that are candidate."
    ]
    assert Claim.objects.filter(status=S.CANDIDATE).count() == 2

    response = post_action(
        client,
        "accept_and_assign_selected",
        [*candidates, dismissed],
        apply="1",
        **{"accept_and_assign-assignee": reviewer.pk, "accept_and_assign-note": "Both from the same speech."},
    )

    assert response.status_code == 302
    for claim in candidates:
        claim.refresh_from_db()
        assert (claim.status, claim.assignee) == (S.ASSIGNED, reviewer)
        assert list(claim.events.values_list("action", "note")) == [
            ("claims.claim.accepted_and_assigned", "Both from the same speech.")
        ]
    assert not dismissed.events.exclude(action="claims.claim.dismissed").exists()
    assert any(m.startswith("Skipped: ") and f"#{dismissed.pk}" in m for m in messages_of(response))


def test_bulk_assign_of_candidates_is_refused_before_a_reviewer_is_chosen(client, editor):
    candidates = ClaimFactory.create_batch(2)
    client.force_login(editor)

    form = post_action(client, "assign_selected", candidates)

    tree = lxml.html.fromstring(form.content.decode())
    # No reviewer to pick: nothing would happen, and the page says so.
    assert tree.cssselect("select[name=assign-assignee]") == []
    assert "applies to none of the selected claims" in text_of(tree)
    assert len(tree.cssselect("ul.bulk-skipped li")) == 2


# --- The claim page's header -----------------------------------------------------


def test_header_lists_every_problem_the_guard_reports_with_a_link_to_fix_it(client, editor, reviewer):
    claim = advance(ClaimFactory(), S.IN_RESEARCH, editor, reviewer)
    draft = add_verdict_draft(claim, reviewer)
    draft.summary = ""
    draft.save(update_fields=["summary"])
    with pytest.raises(workflow.GuardFailed) as refused:
        workflow.submit(claim.pk, by=reviewer)
    guard = [message for messages in refused.value.errors.values() for message in messages]
    assert len(guard) == 3  # the draft's gap, too few publishers, no supporting or refuting source

    client.force_login(reviewer)
    tree = page_of(client, claim)

    items = tree.cssselect(".desk-blockers li")
    assert [li.text.strip() for li in items] == guard
    links = [li.cssselect("a")[0].get("href") for li in items]
    assert links == ["#verdicts-group", "#evidence-group", "#evidence-group"]
    assert tree.cssselect("#verdicts-group") and tree.cssselect("#evidence-group")
    # Submit is not the highlighted action while it would be refused, and says why.
    submit = tree.cssselect('form[data-action="submit"]')[0]
    assert "default" not in submit.cssselect("input[type=submit]")[0].get("class")
    assert "Blocked: 3 problem(s)" in text_of(submit)


def test_header_shows_status_assignee_and_time_in_status(client, editor, reviewer):
    claim = advance(ClaimFactory(), S.ASSIGNED, editor, reviewer)
    client.force_login(editor)
    header = page_of(client, claim).cssselect(".desk-header")[0]
    assert "Assigned" in text_of(header.cssselect(".status-badge")[0])
    assert text_of(header.cssselect(".desk-assignee")[0]) == "reviewer"
    assert re.search(r"Time in status ?\d+ min", text_of(header))


def test_the_reviewer_sees_the_editors_note_at_the_top(client, editor, reviewer):
    claim = ClaimFactory()
    workflow.accept_and_assign(claim.pk, by=editor, assignee=reviewer, note="Ask the ministry for the raw table.")
    client.force_login(reviewer)

    tree = page_of(client, claim)

    note = tree.cssselect(".workflow-panel .desk-note")[0]
    assert "Ask the ministry for the raw table." in text_of(note)
    assert "from editor" in text_of(note)
    # Above the actions, not only at the foot of the history.
    panel = tree.cssselect(".workflow-panel")[0]
    order = [el.get("class") for el in panel.iter() if el.get("class") in ("desk-note", "workflow-actions")]
    assert order == ["desk-note", "workflow-actions"]


def test_history_reads_as_words(client, editor, reviewer):
    claim = ClaimFactory()
    workflow.accept_and_assign(claim.pk, by=editor, assignee=reviewer, note="Urgent.")
    client.force_login(editor)
    history = text_of(page_of(client, claim).cssselect("#events-group")[0])
    assert "Accepted and assigned to reviewer by editor · just now" in history
    assert "Urgent." in history


# --- Typed text survives a refusal --------------------------------------------------


def test_a_conflict_keeps_the_typed_note_in_the_form_shown_again(client, editor, reviewer):
    claim = ClaimFactory()
    client.force_login(editor)
    loaded = claim.version
    # Someone else edits the claim meanwhile: the version moves on, the status stays.
    Claim.objects.filter(pk=claim.pk).update(version=loaded + 1)

    response = client.post(
        transition_url(claim, "dismiss"),
        {"dismiss-expected_version": loaded, "dismiss-note": "Opinion, not a factual claim;\nsee the ‘quote’."},
    )
    assert any("changed since you loaded it" in m for m in messages_of(response))

    tree = page_of(client, claim)
    textarea = tree.cssselect('form[data-action="dismiss"] textarea[name="dismiss-note"]')[0]
    assert textarea.text_content().strip() == "Opinion, not a factual claim;\nsee the ‘quote’."
    # The form now carries the current version, so sending it again works.
    assert tree.cssselect('input[name="dismiss-expected_version"]')[0].get("value") == str(loaded + 1)
    # Kept for one render only.
    again = page_of(client, claim)
    assert again.cssselect('textarea[name="dismiss-note"]')[0].text_content().strip() == ""


def test_a_guard_refusal_keeps_the_typed_values(client, editor):
    claim = ClaimFactory()
    client.force_login(editor)

    response = client.post(
        transition_url(claim, "mark_duplicate"),
        {
            "mark_duplicate-expected_version": claim.version,
            "mark_duplicate-duplicate_of": 999999,
            "mark_duplicate-note": "Same figure as last week's.",
        },
    )
    assert any("#999999 does not exist" in m for m in messages_of(response))

    form = page_of(client, claim).cssselect('form[data-action="mark_duplicate"]')[0]
    assert form.cssselect('input[name="mark_duplicate-duplicate_of"]')[0].get("value") == "999999"
    assert form.cssselect("textarea")[0].text_content().strip() == "Same figure as last week's."


# --- View on site ---------------------------------------------------------------------


def test_view_on_site_opens_the_public_fact_check_once_published(client, editor, reviewer, default_scale):
    published = advance(ClaimFactory(), S.PUBLISHED, editor, reviewer)
    candidate = ClaimFactory()
    client.force_login(editor)

    tree = page_of(client, published)
    links = tree.cssselect("a.viewsitelink")
    assert [a.get("href") for a in links] == [f"/fact-checks/{published.slug}/"]
    assert [a.get("href") for a in tree.cssselect("a.desk-public-link")] == [f"/fact-checks/{published.slug}/"]
    assert client.get(links[0].get("href")).status_code == 200
    assert page_of(client, candidate).cssselect("a.viewsitelink, a.desk-public-link") == []


# --- Lists ------------------------------------------------------------------------------


def test_queue_title_names_the_queue_and_its_count(client, editor):
    ClaimFactory.create_batch(3)
    workflow.accept(ClaimFactory().pk, by=editor)
    client.force_login(editor)

    response = client.get(reverse(CHANGELIST), {"queue": "triage"})

    tree = lxml.html.fromstring(response.content.decode())
    assert text_of(tree.cssselect("#content h1")[0]) == "Triage queue · 3 candidates"
    assert tree.findtext(".//title").startswith("Triage queue · 3 candidates")
    # Every claim in triage is a candidate: the column would repeat the title. Elsewhere each has its badge.
    assert tree.cssselect("#result_list .status-badge") == []
    everything = lxml.html.fromstring(client.get(reverse(CHANGELIST), {"o": "1"}).content.decode())
    badges = sorted(text_of(b) for b in everything.cssselect("#result_list .status-badge"))
    assert badges == ["Accepted", "Candidate", "Candidate", "Candidate"]
    assert text_of(everything.cssselect("#content h1")[0]) == "Claims · 4 claims"
    texts = tree.cssselect("#result_list .claim-text")
    assert all(t.get("title") == text_of(t) for t in texts)


def test_claim_text_is_not_cut_in_the_list(client, editor):
    long_text = "The minister said that " + "unemployment fell sharply, " * 12 + "in every region."
    ClaimFactory(text=long_text, claimant=ClaimantFactory(name="Ministry of Labour and Social Affairs"))
    client.force_login(editor)
    tree = lxml.html.fromstring(client.get(reverse(CHANGELIST), {"queue": "triage"}).content.decode())
    cell = tree.cssselect("#result_list .claim-text")[0]
    assert cell.text_content() == long_text and cell.get("title") == long_text
    assert text_of(tree.cssselect("#result_list td.field-claimant")[0]) == "Ministry of Labour and Social Affairs"


def test_admin_home_shows_the_count_beside_each_queue(client, editor, reviewer, django_assert_num_queries):
    ClaimFactory.create_batch(2)
    advance(ClaimFactory(), S.ASSIGNED, editor, reviewer)
    client.force_login(reviewer)
    # 1 session, 2 the user, 3 their own permissions, 4 their groups' permissions,
    # 5 the header's unread-notification count,
    # 6-11 one COUNT per queue (triage, mine, approval, scheduled, published, sources),
    # 12 the "recent actions" box (the admin log).
    with django_assert_num_queries(12):
        response = client.get(reverse("admin:index"))
    tree = lxml.html.fromstring(response.content.decode())
    counts = {td.get("data-queue"): int(td.text) for td in tree.cssselect("#desk-queues td.queue-count")}
    assert counts == {"triage": 2, "mine": 1, "approval": 0, "scheduled": 0, "published": 0, "sources": 0}


@pytest.mark.parametrize("queue", ["triage", "mine", "approval", "scheduled", "published", "sources"])
def test_each_queue_costs_the_same_queries_however_many_claims(client, editor, reviewer, queue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(CHANGELIST), {"queue": queue})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    client.force_login(editor)
    ClaimFactory.create_batch(2, claimant=ClaimantFactory())
    few = queries()
    ClaimFactory.create_batch(15, claimant=ClaimantFactory())
    # 1 session, 2 the user, 3 their own permissions, 4 their groups' permissions,
    # 5 the reviewers (assignee filter), 6 the tags (tag filter), 7 the filtered count (the title's number),
    # 8 the page of claims with claimant, article, assignee and best match,
    # 9 the header's unread-notification count.
    assert queries() == few == 9

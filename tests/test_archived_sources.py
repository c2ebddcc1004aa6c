"""Publication waits for archived sources: each one archived, or cited without its
archive by an editor's override whose reason is logged and published (issue 15, part 5)."""

from __future__ import annotations

import lxml.html
import pytest
from django.test import Client

from claims.models import Claim, Evidence, ReviewEvent, Verdict
from claims.review import editing, workflow

from .factories import ClaimFactory, add_evidence, add_independent_evidence, add_verdict_draft, advance, archive

pytestmark = pytest.mark.django_db

REASON = 'The ministry\'s site refuses automated copies <b>"bold"</b>.'


@pytest.fixture
def in_review(editor, reviewer, default_scale):
    """A claim submitted for review while its two sources' snapshots are still to come."""
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, reviewer)
    add_independent_evidence(claim, added_by=reviewer, archived=False)
    workflow.submit(claim.pk, by=reviewer)  # submitting does not wait for the archive
    return claim


def sources(claim: Claim) -> tuple[Evidence, Evidence]:
    first, second = claim.evidence.order_by("pk")
    return first, second


def test_approve_is_refused_until_each_source_is_archived_or_overridden(client, in_review, editor):
    first, second = sources(in_review)
    with pytest.raises(workflow.GuardFailed) as refused:
        workflow.approve(in_review.pk, by=editor)
    problems = refused.value.errors["evidence"]
    assert any("has 0" in p for p in problems)  # unarchived sources do not count
    assert sum("is not archived yet" in p for p in problems) == 2
    assert any(first.title in p for p in problems) and any(second.title in p for p in problems)

    archive(first)
    with pytest.raises(workflow.GuardFailed) as refused:
        workflow.approve(in_review.pk, by=editor)
    problems = refused.value.errors["evidence"]
    assert any("has 1" in p for p in problems)
    assert [p for p in problems if "is not archived yet" in p] == [
        f"The source {second.title} is not archived yet (its snapshot is queued): wait for the archive, re-check "
        "the source, or an editor cites it without the archive, giving the reason."
    ]
    in_review.refresh_from_db()
    assert in_review.status == Claim.Status.IN_REVIEW

    editing.override_archive(second.pk, by=editor, reason=REASON)
    workflow.approve(in_review.pk, by=editor)  # the override does not make the editor a contributor
    in_review.refresh_from_db()
    assert in_review.status == Claim.Status.PUBLISHED

    frozen = {s["url"]: s for s in Verdict.objects.published().get(claim=in_review).sources}
    assert frozen[first.url]["not_archived_reason"] is None and frozen[first.url]["snapshot_sha256"]
    assert frozen[second.url]["not_archived_reason"] == REASON and frozen[second.url]["snapshot_sha256"] is None
    api = {s["url"]: s for s in client.get(f"/api/v1/fact-checks/{in_review.pk}/").json()["evidence"]}
    assert api[second.url]["not_archived_reason"] == REASON
    assert api[first.url]["not_archived_reason"] is None

    page = client.get(f"/fact-checks/{in_review.slug}/").content.decode()
    assert REASON not in page  # escaped
    notes = [n.text_content() for n in lxml.html.fromstring(page).find_class("not-archived")]
    assert notes == [f"not archived: {REASON}"]


def test_the_override_is_logged_with_its_reason_and_who_decided(in_review, editor):
    _, second = sources(in_review)
    editing.override_archive(second.pk, by=editor, reason="  Paywalled\n page.  ")
    second.refresh_from_db()
    assert (second.archive_override_reason, second.archive_override_by) == ("Paywalled page.", editor)
    assert second.archive_override_at is not None and second.citable and not second.archived
    event = ReviewEvent.objects.get(claim=in_review, action="claims.evidence.archive_overridden")
    assert (event.actor, event.note, event.data["evidence_id"]) == (editor, "Paywalled page.", second.pk)

    editing.override_archive(second.pk, by=editor, reason="Paywalled page.")  # the same again: nothing new
    assert ReviewEvent.objects.filter(claim=in_review, action__startswith="claims.evidence.archive").count() == 1

    editing.override_archive(second.pk, by=editor, reason="")
    second.refresh_from_db()
    assert (second.archive_override_reason, second.archive_override_by, second.archive_override_at) == ("", None, None)
    withdrawn = ReviewEvent.objects.get(claim=in_review, action="claims.evidence.archive_override_withdrawn")
    assert withdrawn.data["previous_reason"] == "Paywalled page."
    with pytest.raises(workflow.GuardFailed, match="not archived yet"):
        workflow.approve(in_review.pk, by=editor)


def test_a_reviewer_cannot_override_not_even_the_assignee(in_review, reviewer):
    _, second = sources(in_review)
    assert in_review.assignee == reviewer
    with pytest.raises(workflow.NotPermitted, match="editors decide"):
        editing.override_archive(second.pk, by=reviewer, reason="I could not archive it.")
    second.refresh_from_db()
    assert second.archive_override_reason == "" and not second.citable
    assert not ReviewEvent.objects.filter(action__startswith="claims.evidence.archive").exists()


def test_an_override_needs_an_unarchived_source_a_short_reason_and_an_open_claim(in_review, editor, reviewer):
    first, second = sources(in_review)
    archive(first)
    with pytest.raises(workflow.GuardFailed, match="archived; it needs no override"):
        editing.override_archive(first.pk, by=editor, reason="Just in case.")
    with pytest.raises(workflow.GuardFailed, match="500 characters"):
        editing.override_archive(second.pk, by=editor, reason="x" * 501)
    editing.override_archive(second.pk, by=editor, reason="Refused by the site.")
    workflow.approve(in_review.pk, by=editor)
    # Decided before approval: the published revision froze it.
    with pytest.raises(editing.RecordFixed, match="fixed when it was approved"):
        editing.override_archive(second.pk, by=editor, reason="Another reason.")
    assert Evidence.objects.get(pk=second.pk).archive_override_reason == "Refused by the site."


def test_a_new_url_clears_the_override(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    (source,) = add_evidence(claim, ("https://stats.example.org/a", "refutes"), archived=False)
    editing.override_archive(source.pk, by=editor, reason="Refused by the site.")
    editing.update_evidence(source.pk, by=reviewer, changes={"url": "https://stats.example.org/b"})
    source.refresh_from_db()
    assert (source.archive_override_reason, source.archive_override_at, source.citable) == ("", None, False)


def test_an_editor_overrides_in_the_admin_and_a_reviewer_is_refused(in_review, editor, reviewer):
    _, second = sources(in_review)
    url = f"/admin/claims/evidence/{second.pk}/archive-override/"
    claim_page = Client()
    claim_page.force_login(editor)
    assert url in claim_page.get(f"/admin/claims/claim/{in_review.pk}/change/").content.decode()

    as_reviewer = Client()
    as_reviewer.force_login(reviewer)
    assert as_reviewer.get(url).status_code == 403
    assert as_reviewer.post(url, {"reason": "Mine."}).status_code == 403

    as_editor = Client(enforce_csrf_checks=True)
    as_editor.force_login(editor)
    form = as_editor.get(url)
    assert form.status_code == 200 and "not archived" in form.content.decode()
    token = as_editor.cookies["csrftoken"].value
    too_long = as_editor.post(url, {"reason": "y" * 501, "csrfmiddlewaretoken": token})
    assert too_long.status_code == 200 and "y" * 501 in too_long.content.decode()  # typed text kept
    saved = as_editor.post(url, {"reason": "Refused by the site.", "csrfmiddlewaretoken": token})
    assert saved.status_code == 302 and saved["Location"] == f"/admin/claims/claim/{in_review.pk}/change/"
    second.refresh_from_db()
    assert (second.archive_override_reason, second.archive_override_by) == ("Refused by the site.", editor)


def test_methodology_says_what_happens_to_sources_that_are_not_archived(client, default_scale):
    text = " ".join(lxml.html.fromstring(client.get("/methodology/").content).text_content().split())
    assert "cannot be approved for publication until every source it cites is archived or" in text
    assert "a source still waiting for its archive does not count towards the rule above" in text
    assert 'published next to the source as "not archived: …"' in text
    assert "recorded in our internal audit trail" in text

"""Publishing a verdict: four-eyes, the source policy, embargoes, corrections,
retractions and stale edits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from claims.models import Claim, Evidence, ReviewEvent, Verdict
from claims.review import workflow
from claims.review.roles import EDITORS
from claims.review.workflow import ConflictError, GuardFailed, NotPermitted, TransitionNotAllowed
from claims.tasks import publish_due_claims

from .factories import (
    ClaimFactory,
    add_evidence,
    add_independent_evidence,
    add_verdict_draft,
    advance,
    member_of,
)

pytestmark = pytest.mark.django_db

S = Claim.Status
SUPPORTS, REFUTES, CONTEXT = Evidence.Stance.SUPPORTS, Evidence.Stance.REFUTES, Evidence.Stance.CONTEXT


@pytest.fixture
def second_editor(roles):
    return member_of(EDITORS, "second-editor")


@pytest.fixture
def researching(editor, reviewer, default_scale) -> Claim:
    """A claim in research with a complete draft by the reviewer and no evidence yet."""
    claim = advance(ClaimFactory(), S.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, reviewer)
    return claim


def state(claim: Claim) -> tuple:
    claim = Claim.objects.get(pk=claim.pk)
    verdicts = list(claim.verdicts.order_by("revision").values_list("status", "publish_at", "approver_id"))
    return claim.status, claim.version, claim.events.count(), verdicts


def published_events(claim: Claim) -> int:
    return claim.events.filter(action="claims.verdict.published").count()


# --- Four eyes ----------------------------------------------------------------


def test_superuser_cannot_approve_a_verdict_they_wrote(editor, reviewer, superuser, default_scale):
    claim = advance(ClaimFactory(), S.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, superuser)
    add_independent_evidence(claim)
    workflow.submit(claim.pk, by=reviewer)
    before = state(claim)

    with pytest.raises(NotPermitted, match="root wrote this verdict.*four-eyes"):
        workflow.approve(claim.pk, by=superuser)

    assert state(claim) == before
    assert not Verdict.objects.published().exists()


def test_editor_cannot_approve_a_verdict_they_wrote_but_another_editor_can(
    editor, second_editor, reviewer, default_scale
):
    claim = advance(ClaimFactory(), S.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, editor)
    add_independent_evidence(claim)
    workflow.submit(claim.pk, by=reviewer)
    before = state(claim)

    with pytest.raises(NotPermitted, match="four-eyes"):
        workflow.approve(claim.pk, by=editor)
    assert state(claim) == before

    workflow.approve(claim.pk, by=second_editor)

    verdict = Verdict.objects.published().get()
    assert verdict.claim == claim
    assert verdict.author == editor
    assert verdict.approver == second_editor
    assert claim.events.get(action="claims.verdict.published").actor_username == "second-editor"


def test_four_eyes_rule_hides_approve_from_the_author(editor, second_editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), S.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, editor)
    add_independent_evidence(claim)
    claim = advance(claim, S.IN_REVIEW, editor, reviewer)

    assert "approve" not in [t.action for t in workflow.available_transitions(claim, editor)]
    assert "approve" in [t.action for t in workflow.available_transitions(claim, second_editor)]


# --- The source policy --------------------------------------------------------

BBC = [("https://www.bbc.co.uk/a", REFUTES), ("https://news.bbc.co.uk/b", SUPPORTS)]
NOT_ENOUGH = {
    "one_source": ([("https://stats.example.org/table", REFUTES)], "at least 2 independent publishers.*has 1"),
    "two_from_one_publisher": (BBC, r"has 1: bbc\.co\.uk"),
    "two_that_only_add_context": (
        [("https://stats.example.org/table", CONTEXT), ("https://www.reuters.com/x", CONTEXT)],
        "supports or refutes",
    ),
}


@pytest.mark.parametrize(("sources", "message"), NOT_ENOUGH.values(), ids=NOT_ENOUGH.keys())
def test_claim_without_enough_independent_sources_cannot_be_submitted(researching, reviewer, sources, message):
    add_evidence(researching, *sources)
    before = state(researching)

    with pytest.raises(GuardFailed, match=message) as excinfo:
        workflow.submit(researching.pk, by=reviewer)

    assert state(researching) == before
    assert "evidence" in excinfo.value.errors


@pytest.mark.parametrize(("sources", "message"), NOT_ENOUGH.values(), ids=NOT_ENOUGH.keys())
def test_claim_without_enough_independent_sources_cannot_be_published(researching, editor, reviewer, sources, message):
    # Submitted with good sources, which were then replaced before approval.
    add_independent_evidence(researching)
    workflow.submit(researching.pk, by=reviewer)
    researching.evidence.all().delete()
    add_evidence(researching, *sources)
    before = state(researching)

    with pytest.raises(GuardFailed, match=message):
        workflow.approve(researching.pk, by=editor)

    assert state(researching) == before
    assert not Verdict.objects.published().exists()


def test_claim_with_two_independent_sources_can_be_submitted_and_published(researching, editor, reviewer):
    add_evidence(researching, *BBC[:1], ("https://www.ons.gov.uk/unemployment", CONTEXT))

    workflow.submit(researching.pk, by=reviewer)
    workflow.approve(researching.pk, by=editor)

    assert Claim.objects.get(pk=researching.pk).status == S.PUBLISHED
    assert Verdict.objects.published().get().claim_id == researching.pk


def test_the_minimum_number_of_independent_sources_is_a_setting(researching, reviewer, settings):
    settings.FACTCHECK_MIN_INDEPENDENT_SOURCES = 3
    add_independent_evidence(researching)

    with pytest.raises(GuardFailed, match="at least 3 independent publishers.*has 2"):
        workflow.submit(researching.pk, by=reviewer)

    add_evidence(researching, ("https://www.bbc.co.uk/news/unemployment", CONTEXT))
    assert workflow.submit(researching.pk, by=reviewer).status == S.IN_REVIEW


# --- Embargo ------------------------------------------------------------------


@pytest.fixture
def scheduled(editor, reviewer, default_scale) -> Claim:
    publish_at = timezone.now() + dt.timedelta(hours=2)
    return advance(ClaimFactory(), S.SCHEDULED, editor, reviewer, publish_at=publish_at)


def test_approve_with_a_future_publish_at_schedules_without_publishing(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), S.IN_REVIEW, editor, reviewer)
    publish_at = timezone.now() + dt.timedelta(hours=2)

    workflow.approve(claim.pk, by=editor, publish_at=publish_at)

    claim.refresh_from_db()
    assert claim.status == S.SCHEDULED
    assert not Verdict.objects.published().exists()
    assert not Claim.objects.published().exists()
    draft = claim.verdicts.get()
    assert (draft.status, draft.publish_at, draft.approver) == (Verdict.Status.DRAFT, publish_at, editor)
    event = claim.events.latest("pk")
    assert (event.action, event.to_status) == ("claims.verdict.scheduled", S.SCHEDULED)
    assert event.data["publish_at"] == publish_at.isoformat()
    assert published_events(claim) == 0


def test_publish_due_claims_publishes_nothing_before_the_embargo_lifts(scheduled):
    before = state(scheduled)

    assert publish_due_claims() == 0

    assert state(scheduled) == before
    assert not Verdict.objects.published().exists()


def test_publish_due_claims_publishes_once_after_the_embargo_lifts(scheduled, editor):
    Verdict.objects.filter(claim=scheduled).update(publish_at=timezone.now() - dt.timedelta(minutes=1))

    assert publish_due_claims() == 1
    assert publish_due_claims() == 0

    scheduled.refresh_from_db()
    assert scheduled.status == S.PUBLISHED
    verdict = Verdict.objects.published().get()
    assert verdict.claim == scheduled
    assert verdict.approver == editor
    assert published_events(scheduled) == 1
    assert scheduled.events.get(action="claims.verdict.published").actor_username == "system"


def test_publish_scheduled_with_a_later_now_publishes_the_claim(scheduled):
    due = scheduled.verdicts.get().publish_at

    assert workflow.publish_scheduled(scheduled.pk, now=due - dt.timedelta(seconds=1)) is None
    assert workflow.publish_scheduled(scheduled.pk, now=due) is not None
    assert workflow.publish_scheduled(scheduled.pk, now=due) is None

    assert Verdict.objects.published().get().published_at == due
    assert published_events(scheduled) == 1


def test_request_changes_on_a_scheduled_claim_calls_off_the_schedule(scheduled, editor):
    workflow.request_changes(scheduled.pk, by=editor, note="Hold: the ministry publishes new data tomorrow.")

    scheduled.refresh_from_db()
    assert scheduled.status == S.IN_RESEARCH
    draft = scheduled.verdicts.get()
    assert (draft.status, draft.publish_at, draft.approver) == (Verdict.Status.DRAFT, None, None)
    much_later = timezone.now() + dt.timedelta(days=30)
    assert workflow.due_scheduled_claim_ids(now=much_later) == []
    assert workflow.publish_scheduled(scheduled.pk, now=much_later) is None
    assert publish_due_claims() == 0
    assert not Verdict.objects.published().exists()


def test_a_scheduled_claim_cannot_be_approved_again(scheduled, editor):
    with pytest.raises(TransitionNotAllowed, match="approved, scheduled"):
        workflow.approve(scheduled.pk, by=editor)


# --- Corrections --------------------------------------------------------------


@pytest.fixture
def published(editor, reviewer, default_scale) -> Claim:
    return advance(ClaimFactory(), S.PUBLISHED, editor, reviewer)


@pytest.fixture
def correcting(published, editor) -> Claim:
    workflow.correct(published.pk, by=editor, note="The statistics office revised the 2025 figure.")
    published.refresh_from_db()
    return published


def test_published_revision_stays_public_while_a_correction_is_researched(correcting):
    assert correcting.status == S.IN_RESEARCH
    revisions = list(correcting.verdicts.order_by("revision").values_list("revision", "status"))
    assert revisions == [(1, Verdict.Status.PUBLISHED), (2, Verdict.Status.DRAFT)]
    public = Verdict.objects.published().get()
    assert public.revision == 1
    assert public.headline == "Unemployment fell by 3 percent"
    event = correcting.events.latest("pk")
    assert (event.action, event.from_status, event.to_status) == (
        "claims.verdict.correction_started",
        S.PUBLISHED,
        S.IN_RESEARCH,
    )


def test_correction_cannot_be_submitted_without_a_correction_note(correcting, reviewer):
    before = state(correcting)

    with pytest.raises(GuardFailed, match="correction note"):
        workflow.submit(correcting.pk, by=reviewer)

    assert state(correcting) == before


def test_correction_cannot_be_approved_without_a_correction_note(correcting, editor, reviewer):
    Verdict.objects.filter(claim=correcting, revision=2).update(correction_note="We said 3 percent; it was 2.")
    workflow.submit(correcting.pk, by=reviewer)
    Verdict.objects.filter(claim=correcting, revision=2).update(correction_note=" ")
    before = state(correcting)

    with pytest.raises(GuardFailed, match="correction note"):
        workflow.approve(correcting.pk, by=editor)

    assert state(correcting) == before
    assert Verdict.objects.published().get().revision == 1


def test_approved_correction_supersedes_the_old_revision(correcting, editor, reviewer):
    Verdict.objects.filter(claim=correcting, revision=2).update(
        headline="Unemployment fell by 2 percent", correction_note="We said 3 percent; the revised figure is 2."
    )
    workflow.submit(correcting.pk, by=reviewer)
    workflow.approve(correcting.pk, by=editor)

    correcting.refresh_from_db()
    assert correcting.status == S.PUBLISHED
    old, new = correcting.verdicts.order_by("revision")
    assert old.status == Verdict.Status.SUPERSEDED
    assert new.status == Verdict.Status.PUBLISHED
    assert new.correction_note == "We said 3 percent; the revised figure is 2."
    assert list(Verdict.objects.published()) == [new]
    assert old.headline == "Unemployment fell by 3 percent"
    assert published_events(correcting) == 2


# --- Retraction ---------------------------------------------------------------


def test_retract_needs_a_public_reason(published, editor):
    before = state(published)

    with pytest.raises(GuardFailed, match="needs: note"):
        workflow.retract(published.pk, by=editor, note="   ")

    assert state(published) == before
    assert Verdict.objects.published().count() == 1


def test_retraction_withdraws_the_verdict_and_keeps_the_history(published, editor):
    history = list(published.events.values_list("pk", "action", "from_status", "to_status"))

    workflow.retract(published.pk, by=editor, note="The document we relied on was forged.")

    published.refresh_from_db()
    assert published.status == S.RETRACTED
    verdict = published.verdicts.get()
    assert verdict.status == Verdict.Status.RETRACTED
    assert verdict.retraction_reason == "The document we relied on was forged."
    assert verdict.retracted_at is not None
    assert not Verdict.objects.published().exists()
    events = list(published.events.order_by("pk").values_list("pk", "action", "from_status", "to_status"))
    assert events[:-1] == history
    assert events[-1][1:] == ("claims.verdict.retracted", S.PUBLISHED, S.RETRACTED)
    assert [action for _, action, *_ in history] == [
        "claims.claim.accepted",
        "claims.claim.assigned",
        "claims.claim.research_started",
        "claims.claim.submitted",
        "claims.verdict.published",
    ]


# --- Stale edits --------------------------------------------------------------


def test_stale_expected_version_is_refused_before_the_status_check(editor, second_editor, default_scale):
    claim = ClaimFactory()
    loaded = claim.version
    workflow.accept(claim.pk, by=second_editor)
    before = state(claim)

    with pytest.raises(ConflictError, match="changed since you loaded it") as excinfo:
        workflow.dismiss(claim.pk, by=editor, note="Opinion.", expected_version=loaded)

    assert state(claim) == before
    assert f"you had version {loaded}, it is now version {loaded + 1}, status accepted" in excinfo.value.message


def test_stale_expected_version_is_refused_even_when_the_status_is_the_same_again(
    editor, second_editor, reviewer, default_scale
):
    claim = advance(ClaimFactory(), S.IN_REVIEW, editor, reviewer)
    loaded = claim.version
    # Meanwhile another editor sent it back, and the reviewer resubmitted.
    workflow.request_changes(claim.pk, by=second_editor, note="Which year?")
    workflow.submit(claim.pk, by=reviewer)
    before = state(claim)

    with pytest.raises(ConflictError, match="changed since you loaded it"):
        workflow.approve(claim.pk, by=editor, expected_version=loaded)

    assert state(claim) == before
    assert not Verdict.objects.published().exists()
    assert workflow.approve(claim.pk, by=editor, expected_version=loaded + 2).status == S.PUBLISHED


def test_conflict_leaves_the_audit_trail_untouched(published, editor):
    count = ReviewEvent.objects.count()

    with pytest.raises(ConflictError):
        workflow.retract(published.pk, by=editor, note="x", expected_version=published.version - 1)

    assert ReviewEvent.objects.count() == count

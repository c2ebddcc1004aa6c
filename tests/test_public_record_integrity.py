"""A published fact-check changes only through review (issue 13, findings 1 to 7).

Every change to a claim's record goes through ``claims.review.editing`` whatever the
door (internal API with an API key, the admin's forms with CSRF); what the
public reads comes from the published revision, frozen when it was approved.
"""

from __future__ import annotations

import lxml.html
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from claims.models import (
    APIKey,
    Claim,
    Claimant,
    Evidence,
    Rating,
    ReviewEvent,
    Verdict,
    WebhookDelivery,
    WebhookSubscription,
)
from claims.review import editing, workflow
from claims.review.roles import EDITORS

from .factories import (
    ClaimantFactory,
    ClaimFactory,
    EvidenceFactory,
    add_evidence,
    add_verdict_draft,
    advance,
    archive,
    member_of,
)

pytestmark = pytest.mark.django_db

SECRET = "QQPRIVATEQQ"
ORIGINAL_TEXT = "Unemployment fell by 3 percent in 2025 across the region."


def api(user, scope="write") -> APIClient:
    _, key = APIKey.objects.create_key(name=f"{user.username}-{scope}-{APIKey.objects.count()}", user=user, scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def admin_as(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def submit(client: Client, url: str, changes: dict | None = None, *, drop: tuple[str, ...] = ()):
    """Post the admin form on ``url`` as a browser would: its current values, the CSRF token, ``changes``."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    # The admin's change form (the claim page also has a form per workflow action).
    form = next(f for f in lxml.html.fromstring(page.content).forms if f.get("id", "").endswith("_form"))
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    for name in drop:
        data.pop(name, None)
    for name, value in (changes or {}).items():
        data[name] = value if isinstance(value, list) else [str(value)]
    return client.post(url, data)


@pytest.fixture
def published(editor, reviewer, default_scale):
    speaker = ClaimantFactory(name="Original Speaker", description="Minister of Labour")
    claim = ClaimFactory(text=ORIGINAL_TEXT, claimant=speaker, language="en")
    return advance(claim, Claim.Status.PUBLISHED, editor, reviewer)


@pytest.fixture
def second_editor(roles):
    return member_of(EDITORS, "editor2")


def public_surfaces(client: Client, claim: Claim) -> dict[str, str]:
    """Every public surface that shows the claim, anonymously: url -> body."""
    claim.refresh_from_db()
    urls = [
        "/api/v1/fact-checks/",
        "/api/v1/fact-checks/?claimant=Original%20Speaker",
        "/api/v1/fact-checks/?language=en",
        f"/api/v1/fact-checks/{claim.pk}/",
        f"/api/v1/fact-checks/{claim.pk}/claimreview",
        "/api/v1/fact-checks/match?q=unemployment%20fell%20by%203%20percent%20in%202025",
        "/fact-checks/",
        f"/fact-checks/{claim.slug}/",
        "/corrections/",
        "/fact-checks/feed/",
    ]
    bodies = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        bodies[url] = response.content.decode()
    for delivery in WebhookDelivery.objects.filter(claim=claim):
        bodies[f"webhook {delivery.message_id}"] = delivery.payload
    return bodies


def assert_nothing_private(client: Client, claim: Claim) -> dict[str, str]:
    bodies = public_surfaces(client, claim)
    for where, body in bodies.items():
        assert SECRET not in body, where
        assert SECRET.lower() not in body, where
    # Searches for the private words find nothing (their pages echo the query itself).
    assert client.get(f"/api/v1/fact-checks/?q={SECRET}").json()["results"] == []
    assert client.get(f"/api/v1/fact-checks/?claimant={SECRET}%20Speaker").json()["results"] == []
    found = client.get(f"/api/v1/fact-checks/match?q={SECRET}%20unemployment%20rose%20by%209%20percent").json()
    assert all(SECRET not in result["claim"] for result in found["results"])
    assert f"/fact-checks/{claim.slug}/" not in client.get(f"/fact-checks/?q={SECRET}").content.decode()
    record = client.get(f"/api/v1/fact-checks/{claim.pk}/").json()
    assert record["claim"] == ORIGINAL_TEXT
    assert record["claimant"]["name"] == "Original Speaker"
    assert client.get("/api/v1/fact-checks/?claimant=Original%20Speaker").json()["results"][0]["id"] == claim.pk
    return bodies


@pytest.fixture
def subscription(db):
    return WebhookSubscription.objects.create(url="https://hooks.example/in", events=["fact_check.corrected"])


# --- Finding 1: edits during a correction go public at once ----------------------


def test_claim_edits_during_a_correction_through_the_api_stay_private_until_approved(
    client, published, editor, reviewer, second_editor, subscription
):
    public_before = client.get(f"/api/v1/fact-checks/{published.pk}/").json()
    workflow.correct(published.pk, by=editor, note="The region is wrong.")
    response = api(reviewer).patch(
        f"/api/v1/claims/{published.pk}/",
        {"text": f"Unemployment rose by 9 percent {SECRET}.", "claimant_name": f"{SECRET} Speaker"},
        format="json",
    )
    assert response.status_code == 200, response.content
    # The desk sees the claim as the correction will publish it ...
    assert response.json()["text"] == f"Unemployment rose by 9 percent {SECRET}."
    assert api(editor).get(f"/api/v1/claims/{published.pk}/").json()["claimant"].startswith(f"{SECRET} Speaker")
    # ... the claim row and every public surface keep the published version.
    published.refresh_from_db()
    assert published.text == ORIGINAL_TEXT and published.claimant.name == "Original Speaker"
    assert_nothing_private(client, published)
    assert client.get(f"/api/v1/fact-checks/{published.pk}/").json() == public_before
    event = ReviewEvent.objects.filter(claim=published, action="claims.claim.changed").get()
    assert event.actor == reviewer and event.data["held_for_correction"] is True

    draft = published.verdicts.get(status=Verdict.Status.DRAFT)
    editing.save_draft(published.pk, by=reviewer, changes={"correction_note": "We fixed the figure."})
    workflow.submit(published.pk, by=reviewer)
    workflow.approve(published.pk, by=second_editor)

    record = client.get(f"/api/v1/fact-checks/{published.pk}/").json()
    assert record["claim"] == f"Unemployment rose by 9 percent {SECRET}."
    assert record["claimant"]["name"] == f"{SECRET} Speaker"
    published.refresh_from_db()
    assert published.text == record["claim"]
    assert WebhookDelivery.objects.filter(claim=published, event="fact_check.corrected").count() == 1
    assert SECRET in WebhookDelivery.objects.get(claim=published).payload
    draft.refresh_from_db()
    assert draft.status == Verdict.Status.PUBLISHED and draft.claim_text == record["claim"]


def test_claim_edits_during_a_correction_through_the_admin_stay_private_until_approved(
    client, published, editor, reviewer, second_editor
):
    workflow.correct(published.pk, by=editor, note="The region is wrong.")
    secret_speaker = ClaimantFactory(name=f"{SECRET} Speaker")
    page = f"/admin/claims/claim/{published.pk}/change/"
    response = submit(
        admin_as(reviewer),
        page,
        {
            "text": f"Unemployment rose {SECRET}.",
            "claimant": secret_speaker.pk,
            "verdicts-0-correction_note": "We corrected the figure.",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    # The form now shows the claim as the correction will publish it.
    assert f"Unemployment rose {SECRET}." in admin_as(reviewer).get(page).content.decode()
    assert_nothing_private(client, published)

    workflow.submit(published.pk, by=reviewer)
    workflow.approve(published.pk, by=second_editor)
    assert client.get(f"/api/v1/fact-checks/{published.pk}/").json()["claim"] == f"Unemployment rose {SECRET}."


def test_a_claimant_renamed_while_published_keeps_the_published_name_and_is_audited(client, published, editor):
    speaker = published.claimant
    response = submit(admin_as(editor), f"/admin/claims/claimant/{speaker.pk}/change/", {"name": f"{SECRET} Speaker"})
    assert response.status_code == 302
    speaker.refresh_from_db()
    assert speaker.name == f"{SECRET} Speaker"
    assert_nothing_private(client, published)
    event = ReviewEvent.objects.get(claim=published, action="claims.claimant.changed")
    assert event.actor == editor and event.data["fields"]["name"] == ["Original Speaker", f"{SECRET} Speaker"]


# --- Finding 2: evidence edited or deleted during a correction --------------------


def test_sources_edited_removed_or_added_during_a_correction_stay_private(
    client, published, editor, reviewer, second_editor
):
    before = client.get(f"/api/v1/fact-checks/{published.pk}/").json()["evidence"]
    workflow.correct(published.pk, by=editor, note="A source is wrong.")
    first, second = published.evidence.order_by("pk")
    # Through the admin, with CSRF: edit one source, delete the other.
    admin = admin_as(reviewer)
    edited = submit(admin, f"/admin/claims/evidence/{first.pk}/change/", {"title": f"{SECRET} title"})
    assert edited.status_code == 302
    deleted = admin.post(
        f"/admin/claims/evidence/{second.pk}/delete/",
        {"post": "yes", "csrfmiddlewaretoken": admin.cookies["csrftoken"].value},
    )
    assert deleted.status_code == 302
    # The claim page's inline, and the API, add new ones.
    assert (
        api(reviewer)
        .post(
            f"/api/v1/claims/{published.pk}/evidence/",
            {"url": f"https://{SECRET.lower()}.example/doc", "stance": "refutes", "excerpt": SECRET},
            format="json",
        )
        .status_code
        == 201
    )
    assert not Evidence.objects.filter(pk=second.pk).exists()
    # Its snapshot taken (publication waits for it).
    archive(Evidence.objects.get(claim=published, excerpt=SECRET))
    assert_nothing_private(client, published)
    assert client.get(f"/api/v1/fact-checks/{published.pk}/").json()["evidence"] == before
    actions = list(
        ReviewEvent.objects.filter(claim=published, action__startswith="claims.evidence.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["claims.evidence.changed", "claims.evidence.removed", "claims.evidence.added"]

    editing.save_draft(published.pk, by=reviewer, changes={"correction_note": "One source was wrong."})
    workflow.submit(published.pk, by=reviewer)
    workflow.approve(published.pk, by=second_editor)
    after = client.get(f"/api/v1/fact-checks/{published.pk}/").json()["evidence"]
    assert [e["title"] for e in after][0] == f"{SECRET} title"
    assert second.url not in {e["url"] for e in after}


def test_a_source_archived_after_publication_gains_its_fingerprint_and_nothing_else(
    client, editor, reviewer, default_scale
):
    from claims.evidence import snapshots

    claim = ClaimFactory()
    evidence, _ = add_evidence(
        claim, ("https://stats.example.org/a", "refutes"), ("https://www.reuters.com/b", "supports"), archived=False
    )
    archive(_)
    editing.override_archive(evidence.pk, by=editor, reason="The site refuses automated copies.")
    published = advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    source = client.get(f"/api/v1/fact-checks/{published.pk}/").json()["evidence"][0]
    assert (source["snapshot_sha256"], source["not_archived_reason"]) == (None, "The site refuses automated copies.")
    Evidence.objects.filter(pk=evidence.pk).update(
        title=f"{SECRET}", snapshot_sha256="cd" * 32, snapshot_fetched_at=timezone.now()
    )
    evidence.refresh_from_db()
    assert snapshots.record_on_published_revisions(evidence) == 1
    source = client.get(f"/api/v1/fact-checks/{published.pk}/").json()["evidence"][0]
    assert source["snapshot_sha256"] == "cd" * 32 and SECRET not in source["title"]
    assert source["not_archived_reason"] is None  # the fingerprint replaces the note
    assert snapshots.record_on_published_revisions(evidence) == 0  # once


# --- Finding 3: sources moved or added to a published fact-check -----------------


def test_a_reviewer_cannot_move_or_add_a_source_to_a_published_fact_check(client, published, editor, reviewer):
    own = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    mine = EvidenceFactory(claim=own, url="https://own.example/doc", title=f"{SECRET} source")
    before = client.get(f"/api/v1/fact-checks/{published.pk}/").json()
    admin = admin_as(reviewer)
    # Moving a source: the claim is read-only on the change form; a forged value is ignored.
    moved = submit(admin, f"/admin/claims/evidence/{mine.pk}/change/", {"claim": published.pk})
    assert moved.status_code == 302
    mine.refresh_from_db()
    assert mine.claim_id == own.pk
    # Adding a source to a published claim: it is not a claim they may choose.
    added = submit(
        admin,
        "/admin/claims/evidence/add/",
        {"claim": published.pk, "url": f"https://{SECRET.lower()}.example/x", "stance": "supports"},
    )
    assert added.status_code == 200 and "Select a valid choice" in added.content.decode()
    assert not Evidence.objects.filter(url__contains=SECRET.lower()).exists()
    # The API refuses the same, and the service under both.
    refused = api(reviewer).post(
        f"/api/v1/claims/{published.pk}/evidence/", {"url": "https://x.example/y", "stance": "supports"}, format="json"
    )
    assert refused.status_code == 403 and "record is fixed" in refused.json()["detail"]
    with pytest.raises(editing.RecordFixed):
        editing.attach_evidence(published.pk, by=editor, url="https://x.example/y", stance="supports")
    with pytest.raises(editing.RecordFixed, match="stays with its claim"):
        editing.update_evidence(mine.pk, by=editor, changes={"claim": published})
    assert client.get(f"/api/v1/fact-checks/{published.pk}/").json() == before


# --- Findings 4 and 5: four-eyes ---------------------------------------------------


DRAFT = {"rating": "False", "headline": "Unemployment did not fall", "summary": "It rose.", "explanation": "Data."}


def test_an_editor_who_rewrote_the_draft_cannot_approve_it(client, editor, reviewer, second_editor, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    assert api(reviewer).put(f"/api/v1/claims/{claim.pk}/verdict-draft/", DRAFT, format="json").status_code == 201
    rewrite = {**DRAFT, "headline": "The editor's own headline"}
    assert api(editor).put(f"/api/v1/claims/{claim.pk}/verdict-draft/", rewrite, format="json").status_code == 200
    add_evidence(claim, ("https://stats.example.org/a", "refutes"), ("https://www.reuters.com/b", "supports"))
    submitted = api(reviewer).post(f"/api/v1/claims/{claim.pk}/transitions/", {"action": "submit"}, format="json")
    assert submitted.status_code == 200, submitted.content
    refused = api(editor).post(f"/api/v1/claims/{claim.pk}/transitions/", {"action": "approve"}, format="json")
    assert refused.status_code == 403
    assert "four-eyes" in refused.content.decode() and "changed this verdict draft" in refused.content.decode()
    # The same in the admin: no Approve button, and a forged POST is refused.
    page = admin_as(editor).get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    assert "transition/approve/" not in page
    claim.refresh_from_db()
    forged = admin_as(editor)
    forged.get(f"/admin/claims/claim/{claim.pk}/change/")
    forged.post(
        f"/admin/claims/claim/{claim.pk}/transition/approve/",
        {"expected_version": claim.version, "csrfmiddlewaretoken": forged.cookies["csrftoken"].value},
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW

    approved = api(second_editor).post(f"/api/v1/claims/{claim.pk}/transitions/", {"action": "approve"}, format="json")
    assert approved.status_code == 200, approved.content
    verdict = Verdict.objects.published().get(claim=claim)
    assert verdict.headline == "The editor's own headline"
    assert set(verdict.contributors.values_list("username", flat=True)) == {"reviewer", "editor"}
    assert (verdict.author, verdict.submitted_by, verdict.approver) == (reviewer, reviewer, second_editor)


def test_a_superuser_cannot_publish_a_correction_alone(superuser, published, editor, reviewer, second_editor):
    workflow.correct(published.pk, by=superuser, note="Fix.")
    draft = published.verdicts.get(status=Verdict.Status.DRAFT)
    assert draft.author is None  # nobody wrote the copy yet
    editing.save_draft(
        published.pk, by=superuser, changes={"headline": "Rewritten by root", "correction_note": "Fixed."}
    )
    workflow.submit(published.pk, by=superuser)
    with pytest.raises(workflow.NotPermitted, match="root wrote this verdict.*four-eyes"):
        workflow.approve(published.pk, by=superuser)
    assert workflow.TRANSITIONS["approve"] not in workflow.available_transitions(published, superuser)
    workflow.approve(published.pk, by=second_editor)
    verdict = Verdict.objects.published().get(claim=published)
    assert verdict.author == superuser and verdict.approver == second_editor
    assert list(verdict.contributors.values_list("username", flat=True)) == ["root"]


def test_a_superuser_who_only_submitted_cannot_approve(superuser, editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    add_verdict_draft(claim, reviewer)
    add_evidence(claim, ("https://stats.example.org/a", "refutes"), ("https://www.reuters.com/b", "supports"))
    workflow.submit(claim.pk, by=superuser)
    with pytest.raises(workflow.NotPermitted, match="submitted this verdict"):
        workflow.approve(claim.pk, by=superuser)


# --- Finding 6: a draft made outside the workflow ---------------------------------


def test_verdicts_are_not_added_in_the_verdict_admin_and_correct_never_fails_on_a_stray_draft(
    published, editor, reviewer
):
    admin = admin_as(reviewer)
    assert admin.get("/admin/claims/verdict/add/").status_code == 403
    admin.get("/admin/claims/verdict/")
    forged = admin.post(
        "/admin/claims/verdict/add/",
        {"claim": published.pk, "rating": published.verdicts.get().rating_id, "headline": "x", "summary": "x",
         "explanation": "x", "csrfmiddlewaretoken": admin.cookies["csrftoken"].value},
    )  # fmt: skip
    assert forged.status_code == 403
    assert published.verdicts.count() == 1
    # A stray draft (made by hand in the database) gives a clear refusal, not a 500.
    add_verdict_draft(published, reviewer, revision=2)
    response = api(editor).post(
        f"/api/v1/claims/{published.pk}/transitions/", {"action": "correct", "note": "Fix."}, format="json"
    )
    assert response.status_code == 400 and "already has a verdict draft" in response.content.decode()


# --- Finding 7: other reviewers read, only the assignee and editors write --------


def test_a_reviewer_who_is_not_the_assignee_can_read_but_not_change_the_claim(editor, reviewer, roles, default_scale):
    from claims.review.roles import REVIEWERS

    other = member_of(REVIEWERS, "other-reviewer")
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    rating = Rating.objects.get(label="False", scale__is_default=True)
    editing.save_draft(claim.pk, by=reviewer, changes={**DRAFT, "rating": rating})
    client = api(other)
    assert client.get(f"/api/v1/claims/{claim.pk}/verdict-draft/").status_code == 200
    overwrite = client.put(
        f"/api/v1/claims/{claim.pk}/verdict-draft/", {**DRAFT, "headline": "Mine now"}, format="json"
    )
    assert overwrite.status_code == 403 and "Only the claim's assignee (reviewer)" in overwrite.json()["detail"]
    add = client.post(
        f"/api/v1/claims/{claim.pk}/evidence/", {"url": "https://x.example/", "stance": "supports"}, format="json"
    )
    assert add.status_code == 403
    edit = client.patch(f"/api/v1/claims/{claim.pk}/", {"text": "Changed by another reviewer."}, format="json")
    assert edit.status_code == 403
    # The admin shows them the claim read-only; a forged POST changes nothing.
    admin = admin_as(other)
    page = admin.get(f"/admin/claims/claim/{claim.pk}/change/").content.decode()
    assert 'name="text"' not in page
    submit(admin, f"/admin/claims/claim/{claim.pk}/change/", {"text": "Changed by another reviewer."})
    claim.refresh_from_db()
    assert claim.text != "Changed by another reviewer."
    assert claim.verdicts.get(status=Verdict.Status.DRAFT).headline == DRAFT["headline"]
    assert not claim.evidence.filter(url="https://x.example/").exists()


# --- Races: one success and one clear refusal --------------------------------------


def test_attaching_the_same_source_twice_is_a_clear_refusal(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    client = api(reviewer)
    body = {"url": "https://stats.example.org/same", "stance": "supports"}
    assert client.post(f"/api/v1/claims/{claim.pk}/evidence/", body, format="json").status_code == 201
    again = client.post(f"/api/v1/claims/{claim.pk}/evidence/", body, format="json")
    assert again.status_code == 400 and "already attached" in again.content.decode()
    assert claim.evidence.count() == 1


def test_a_published_revision_refuses_changes(published):
    verdict = Verdict.objects.published().get(claim=published)
    verdict.headline = "Quietly changed"
    with pytest.raises(ValueError, match="has been published, so it is fixed"):
        verdict.save()
    with pytest.raises(ValueError, match="has been published, so it is fixed"):
        verdict.save(update_fields=["headline"])
    assert Verdict.objects.get(pk=verdict.pk).headline != "Quietly changed"
    assert Claimant.objects.filter(name="Original Speaker").exists()


def _race(calls) -> list[int]:
    """Run the calls at the same moment, each on its own connection; their status codes."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        barrier.wait()
        try:
            results.append(call().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_parallel_adds_of_one_source_give_one_success_and_one_clear_refusal(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    body = {"url": "https://stats.example.org/raced", "stance": "supports"}
    clients = [api(reviewer), api(editor)]
    results = _race([lambda c=c: c.post(f"/api/v1/claims/{claim.pk}/evidence/", body, format="json") for c in clients])
    assert results[0] == 201 and results[1] in (400, 409), results
    assert claim.evidence.count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_first_drafts_make_one_draft_and_no_server_error(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)
    url = f"/api/v1/claims/{claim.pk}/verdict-draft/"
    clients = [api(reviewer), api(reviewer)]
    results = _race(
        [lambda c=c, n=n: c.put(url, {**DRAFT, "headline": f"Draft {n}"}, format="json") for n, c in enumerate(clients)]
    )
    # One makes the draft; the other, waiting on the claim's lock, then writes to it (or is told of the conflict).
    assert results[0] in (200, 409) and results[1] == 201, results
    assert claim.verdicts.filter(status=Verdict.Status.DRAFT).count() == 1

"""Readers who asked about a claim the desk later marks a duplicate: their tips follow
the canonical claim (its request count includes them) and they are sent its
fact-check, once per revision each, when it is published or at once if it already is."""

from __future__ import annotations

import pytest

from claims import tasks
from claims.matching import Match
from claims.models import Claim, ReviewEvent, Tip, TipReply, Verdict
from claims.review import workflow
from claims.tiplines import tips

from .factories import ArticleFactory, ClaimFactory, advance
from .tiplines_support import drain, post_whatsapp, published, whatsapp_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]

CANONICAL = "Unemployment fell by 3 percent in 2025 across the whole country."
# Worded so that matching does not join them: the desk does.
DUPLICATE = "The mayor said the new tram line carried two million passengers in its first month."
SENDERS = ["15550000001", "15550000002"]
OWN_SENDER = "15550000003"


def tips_on_a_new_claim(client, text: str, senders: list[str]) -> Claim:
    for sender in senders:
        assert post_whatsapp(client, whatsapp_text(text, sender=sender)).status_code == 200
        drain()
    claim = Claim.objects.get(text=text)
    assert claim.tips.count() == len(senders)
    return claim


def requests_in_triage(client, editor, claim: Claim) -> int:
    client.force_login(editor)
    page = client.get("/admin/claims/claim/", {"queue": "triage"})
    client.logout()
    return next(c.tip_requests for c in page.context["cl"].result_list if c.pk == claim.pk)


def texts_to(graph, sender: str) -> list[str]:
    return graph.texts_to(sender)


def test_requesters_of_a_duplicate_are_sent_the_canonical_fact_check_once(
    client, graph, editor, reviewer, default_scale
):
    duplicate = tips_on_a_new_claim(client, DUPLICATE, SENDERS)
    canonical = ClaimFactory(text=CANONICAL, article=ArticleFactory(), language="en")
    post_whatsapp(client, whatsapp_text(CANONICAL, sender=OWN_SENDER))
    drain()
    assert canonical.tips.count() == 1
    moved = sorted(duplicate.tips.values_list("pk", flat=True))

    workflow.mark_duplicate(duplicate.pk, by=editor, duplicate_of=canonical.pk)
    drain()
    assert graph.sent == []  # nothing published yet
    # The tips follow the canonical claim, with where they came from kept, and the audit says so.
    assert sorted(canonical.tips.values_list("pk", flat=True)) == sorted(
        [*moved, *Tip.objects.filter(requester__channel_id=OWN_SENDER).values_list("pk", flat=True)]
    )
    assert set(Tip.objects.filter(pk__in=moved).values_list("moved_from_claim", flat=True)) == {duplicate.pk}
    event = ReviewEvent.objects.get(claim=duplicate, action="claims.claim.marked_duplicate")
    assert event.data["moved_tips"] == moved
    assert not duplicate.tips.exists()
    assert requests_in_triage(client, editor, canonical) == 3

    canonical = advance(canonical, Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    for sender in [*SENDERS, OWN_SENDER]:
        [text] = texts_to(graph, sender)
        assert canonical.public_url in text
    assert len(graph.sent) == 3
    # Run again, the queueing and the sends send nothing new.
    verdict = Verdict.objects.published().get(claim=canonical)
    assert tasks.queue_tip_replies(canonical.pk, verdict.pk) == 0
    for reply in TipReply.objects.all():
        tasks.send_tip_reply(reply.pk)
    assert tasks.send_due_tip_replies() == 0
    drain()
    assert len(graph.sent) == 3
    assert TipReply.objects.filter(verdict=verdict, status=TipReply.Status.SENT).count() == 3


def test_a_duplicate_of_a_claim_already_published_gets_the_fact_check_when_marked(
    client, graph, editor, reviewer, default_scale
):
    canonical = published(editor, reviewer, CANONICAL)
    post_whatsapp(client, whatsapp_text("Did unemployment fall by 3 percent in 2025?", sender=OWN_SENDER))
    drain()
    assert len(texts_to(graph, OWN_SENDER)) == 1  # answered at once
    duplicate = tips_on_a_new_claim(client, DUPLICATE, SENDERS)
    assert all(texts_to(graph, s) == [] for s in SENDERS)

    workflow.mark_duplicate(duplicate.pk, by=editor, duplicate_of=canonical.pk)
    drain()
    for sender in SENDERS:
        [text] = texts_to(graph, sender)
        assert canonical.public_url in text
    assert len(texts_to(graph, OWN_SENDER)) == 1  # nothing more for the one answered at once
    assert canonical.tips.exclude(status=Tip.Status.SPAM).count() == 2
    verdict = Verdict.objects.published().get(claim=canonical)
    assert tasks.queue_tip_replies(canonical.pk, verdict.pk) == 0
    assert tasks.send_due_tip_replies() == 0
    assert len(graph.sent) == 3


def test_a_correction_of_the_canonical_claim_reaches_the_duplicates_requesters_too(
    client, graph, editor, reviewer, default_scale
):
    canonical = published(editor, reviewer, CANONICAL)
    duplicate = tips_on_a_new_claim(client, DUPLICATE, SENDERS[:1])
    workflow.mark_duplicate(duplicate.pk, by=editor, duplicate_of=canonical.pk)
    drain()
    workflow.correct(canonical.pk, by=editor, note="A figure was wrong.")
    canonical.verdicts.filter(status=Verdict.Status.DRAFT).update(correction_note="It fell by 2 percent.")
    advance(canonical, Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    assert len(texts_to(graph, SENDERS[0])) == 2
    assert TipReply.objects.filter(kind=TipReply.Kind.CORRECTION).count() == 1


def test_tips_of_a_chain_of_duplicates_end_on_the_root_and_keep_their_first_claim(client, graph, editor, default_scale):
    first = tips_on_a_new_claim(client, DUPLICATE, SENDERS[:1])
    middle = ClaimFactory(text="Tram ridership hit two million in a month.", article=ArticleFactory())
    root = ClaimFactory(text=CANONICAL, article=ArticleFactory())
    workflow.mark_duplicate(first.pk, by=editor, duplicate_of=middle.pk)
    workflow.mark_duplicate(middle.pk, by=editor, duplicate_of=root.pk)
    tip = Tip.objects.get()
    assert (tip.claim_id, tip.moved_from_claim_id) == (root.pk, first.pk)


def test_a_tip_matched_to_a_claim_marked_duplicate_meanwhile_is_linked_to_the_canonical_one(
    client, graph, editor, reviewer, default_scale, monkeypatch
):
    canonical = published(editor, reviewer, CANONICAL)
    duplicate = ClaimFactory(text=DUPLICATE, article=ArticleFactory())
    workflow.mark_duplicate(duplicate.pk, by=editor, duplicate_of=canonical.pk)
    stale = Match(
        kind="claim", id=duplicate.pk, claim=DUPLICATE, score=0.99, url="", publisher="", rating="",
        identifier="", date=None, status=Claim.Status.CANDIDATE,
    )  # fmt: skip

    # The match was read just before the claim was marked a duplicate.
    def match(text, *, public_only=True, **kwargs):
        return [] if public_only else [stale]

    monkeypatch.setattr(tips.matching, "match", match)
    post_whatsapp(client, whatsapp_text(DUPLICATE, sender=SENDERS[0]))
    drain()
    tip = Tip.objects.get()
    assert (tip.status, tip.claim_id) == (Tip.Status.LINKED, canonical.pk)
    [text] = texts_to(graph, SENDERS[0])  # the canonical claim is out: sent at once
    assert canonical.public_url in text

"""Tips the desk has not checked yet: a candidate claim, its request count, and every
requester sent the fact-check once per published revision (WhatsApp's 24-hour rule honoured)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from claims import tasks
from claims.models import Claim, Requester, Tip, TipReply, Verdict
from claims.review import workflow
from claims.tiplines import replies

from .factories import advance
from .tiplines_support import drain, post_whatsapp, whatsapp_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]

FIRST = "The new bridge over the Elbe cost 900 million euros, three times the original budget."
REWORDED = [
    "Is it true the Elbe bridge cost 900 million euros, three times its budget?",
    "I read that the new Elbe bridge cost three times the budget: 900 million euros",
    "Elbe bridge 900 million euros, three times the original budget?? true?",
]
SENDERS = ["15550000001", "15550000002", "15550000003", "15550000004"]


def send_tips(client):
    for sender, text in zip(SENDERS, [FIRST, *REWORDED], strict=True):
        assert post_whatsapp(client, whatsapp_text(text, sender=sender)).status_code == 200
        drain()


def test_unmatched_tip_becomes_a_candidate_and_reworded_tips_raise_its_request_count(client, graph, default_scale):
    send_tips(client)
    claim = Claim.objects.get()
    assert claim.status == Claim.Status.CANDIDATE
    assert claim.text == FIRST
    assert claim.tips.count() == 4
    statuses = list(Tip.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [Tip.Status.QUEUED, Tip.Status.LINKED, Tip.Status.LINKED, Tip.Status.LINKED]
    assert graph.sent == []  # nothing published yet: nothing to answer


def test_publishing_sends_each_requester_the_fact_check_once(client, graph, editor, reviewer, default_scale):
    send_tips(client)
    claim = Claim.objects.get()
    advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    claim.refresh_from_db()
    assert sorted(m["to"] for m in graph.sent) == SENDERS
    assert all(claim.public_url in m["text"]["body"] for m in graph.sent)
    assert TipReply.objects.filter(status=TipReply.Status.SENT).exclude(provider_message_id="").count() == 4
    # The send task and the queueing task, run again, send nothing new.
    verdict = Verdict.objects.published().get(claim=claim)
    assert tasks.queue_tip_replies(claim.pk, verdict.pk) == 0
    for reply in TipReply.objects.all():
        tasks.send_tip_reply(reply.pk)
    assert tasks.send_due_tip_replies() == 0
    drain()
    assert len(graph.sent) == 4


def test_a_correction_is_sent_once_more_to_each_requester(client, graph, editor, reviewer, default_scale):
    send_tips(client)
    claim = advance(Claim.objects.get(), Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    workflow.correct(claim.pk, by=editor, note="A figure was wrong.")
    claim.verdicts.filter(status=Verdict.Status.DRAFT).update(correction_note="The cost was 800 million.")
    advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    assert len(graph.sent) == 8
    assert TipReply.objects.filter(kind=TipReply.Kind.CORRECTION).count() == 4


def _requester_silent_for(hours: float) -> None:
    Requester.objects.update(last_message_at=timezone.now() - dt.timedelta(hours=hours))


def test_outside_the_24_hour_window_the_template_is_sent_when_configured(
    client, graph, editor, reviewer, default_scale, settings
):
    settings.WHATSAPP_REPLY_TEMPLATE = "fact_check_published"
    post_whatsapp(client, whatsapp_text(FIRST, sender=SENDERS[0]))
    drain()
    _requester_silent_for(25)
    claim = advance(Claim.objects.get(), Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    [sent] = graph.sent
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "fact_check_published"
    assert claim.public_url in [p["text"] for p in sent["template"]["components"][0]["parameters"]]
    reply = TipReply.objects.get()
    assert reply.status == TipReply.Status.SENT
    assert "24-hour window" in reply.reason


def test_outside_the_24_hour_window_without_a_template_the_reply_is_recorded_as_not_sent(
    client, graph, editor, reviewer, default_scale
):
    post_whatsapp(client, whatsapp_text(FIRST, sender=SENDERS[0]))
    drain()
    _requester_silent_for(25)
    advance(Claim.objects.get(), Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    assert graph.sent == []
    reply = TipReply.objects.get()
    assert reply.status == TipReply.Status.NOT_SENT
    assert reply.reason == replies.OUTSIDE_WINDOW == "not sent: outside the 24-hour window"


def test_inside_the_window_a_free_form_text_is_sent(client, graph, editor, reviewer, default_scale, settings):
    settings.WHATSAPP_REPLY_TEMPLATE = "fact_check_published"
    post_whatsapp(client, whatsapp_text(FIRST, sender=SENDERS[0]))
    drain()
    _requester_silent_for(23)
    advance(Claim.objects.get(), Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    assert [m["type"] for m in graph.sent] == ["text"]


def test_stop_means_nothing_more_is_sent(client, graph, editor, reviewer, default_scale):
    post_whatsapp(client, whatsapp_text(FIRST, sender=SENDERS[0]))
    post_whatsapp(client, whatsapp_text(" STOP ", sender=SENDERS[0]))
    drain()
    assert Tip.objects.count() == 1  # STOP is no tip
    assert Requester.objects.get().unsubscribed_at is not None
    advance(Claim.objects.get(), Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    assert graph.sent == []
    assert TipReply.objects.get().status == TipReply.Status.NOT_SENT

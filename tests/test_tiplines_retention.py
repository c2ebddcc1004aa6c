"""Retention: after FACTCHECK_TIP_RETENTION_DAYS who asked (and what) is erased; the counts stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from claims import tasks
from claims.models import Claim, OutboxMessage, Requester, Tip

from .tiplines_support import drain, post_whatsapp, whatsapp_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]


def test_after_the_retention_period_identities_are_gone_and_counts_stay(client, graph, settings, default_scale):
    settings.FACTCHECK_TIP_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)
    text = "The new bridge over the Elbe cost 900 million euros, three times the budget."
    post_whatsapp(client, whatsapp_text(text, sender="15559990001", sent_at=old))
    post_whatsapp(
        client, whatsapp_text("Elbe bridge cost 900 million euros, 3 times the budget?", sender="15559990002")
    )
    drain()
    claim = Claim.objects.get()
    assert claim.tips.count() == 2
    assert tasks.erase_expired_tip_identities() == 1
    erased, kept = Requester.objects.order_by("pk")
    assert (erased.channel_id, erased.email) == ("", "") and erased.erased_at is not None
    assert kept.channel_id == "15559990002" and kept.erased_at is None
    assert not Requester.objects.filter(channel_id="15559990001").exists()
    old_tip = Tip.objects.get(requester=erased)
    assert (old_tip.text, old_tip.message_id) == ("", "")
    # The counts stay: two tips, two requesters, the claim's request count.
    assert Tip.objects.count() == 2 and Requester.objects.count() == 2
    assert claim.tips.count() == 2
    assert tasks.erase_expired_tip_identities() == 0


def test_retention_erases_the_bodies_of_old_deliveries_whose_task_never_finished(client, graph, settings):
    settings.FACTCHECK_TIP_RETENTION_DAYS = 30
    post_whatsapp(client, whatsapp_text("Is the Elbe bridge 900 million?", sender="15559990003"))
    post_whatsapp(client, whatsapp_text("And the ferries?", sender="15559990004"))
    old, recent = OutboxMessage.objects.filter(task="claims.tasks.receive_channel_delivery").order_by("pk")
    # Relayed, but no worker ever finished them (say, the broker lost them).
    OutboxMessage.objects.filter(pk=old.pk).update(
        sent_at=timezone.now() - dt.timedelta(days=31), created_at=timezone.now() - dt.timedelta(days=31)
    )
    OutboxMessage.objects.filter(pk=recent.pk).update(sent_at=timezone.now())
    tasks.erase_expired_tip_identities()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.kwargs == {"channel": "whatsapp"}
    assert "15559990004" in recent.kwargs["body"]


def test_retention_erases_a_tips_link_its_title_and_why_it_was_not_read(settings, default_scale):
    settings.FACTCHECK_TIP_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)
    url = "http://10.0.0.1/x"
    kw = {"channel": "telegram", "url": url, "url_title": "A page", "url_error": f"Refused {url}: private."}
    expired = Tip.objects.create(received_at=old, media=b"\xff\xd8\xff", media_id="photo-1", **kw)
    recent = Tip.objects.create(**kw)
    tasks.erase_expired_tip_identities()
    expired.refresh_from_db()
    recent.refresh_from_db()
    assert (expired.url, expired.url_title, expired.url_error, expired.media_id) == ("", "", "", "")
    assert expired.media is None
    assert (recent.url, recent.url_title, recent.url_error) == (url, "A page", f"Refused {url}: private.")

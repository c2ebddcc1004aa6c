"""The tips inbox in the admin, requests per day on the dashboard, and the triage queue by requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from claims.models import Claim, Requester, Tip

from .factories import ClaimFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]

INBOX = "/admin/claims/tip/"


@pytest.fixture
def inbox(default_scale):
    requester = Requester.objects.create(channel="whatsapp", channel_id="15550009999", email="")
    popular, quiet = ClaimFactory(text="Popular claim"), ClaimFactory(text="Quiet claim")
    for n in range(3):
        Tip.objects.create(channel="whatsapp", text=f"tip {n} about it", claim=popular, status="linked", language="en")
    Tip.objects.create(channel="web", text="une rumeur", claim=quiet, status="queued", language="fr")
    Tip.objects.create(
        channel="telegram",
        text="old one",
        status="queued",
        requester=requester,
        received_at=timezone.now() - dt.timedelta(days=2),
    )
    return popular, quiet


def test_inbox_filters_by_channel_status_and_language(client, editor, inbox):
    client.force_login(editor)
    page = client.get(INBOX)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 5
    assert client.get(INBOX, {"channel": "web"}).context["cl"].result_count == 1
    assert client.get(INBOX, {"status": "linked"}).context["cl"].result_count == 3
    assert client.get(INBOX, {"language": "fr"}).context["cl"].result_count == 1
    # The requester's id is not shown in the inbox.
    assert "15550009999" not in page.content.decode()
    popular, _ = inbox
    assert f"/admin/claims/claim/{popular.pk}/change/" in page.content.decode()


def test_mark_spam_in_bulk_takes_tips_out_of_the_request_count(client, editor, inbox):
    popular, _ = inbox
    client.force_login(editor)
    ids = list(Tip.objects.filter(claim=popular).values_list("pk", flat=True)[:2])
    response = client.post(INBOX, {"action": "mark_spam", "_selected_action": ids})
    assert response.status_code == 302
    assert Tip.objects.filter(status="spam").count() == 2
    assert popular.tips.exclude(status="spam").count() == 1


def test_triage_queue_sorts_by_requests(client, editor, inbox):
    popular, quiet = inbox
    client.force_login(editor)
    column = 3  # list_display: checkbox(0), claim, possibly checked, asks (requested by)
    page = client.get("/admin/claims/claim/", {"queue": "triage", "o": str(column)})
    assert page.status_code == 200
    order = [c.pk for c in page.context["cl"].result_list]
    assert order.index(popular.pk) < order.index(quiet.pk)
    assert [c.tip_requests for c in page.context["cl"].result_list if c.pk in (popular.pk, quiet.pk)] == [3, 1]
    reverse = client.get("/admin/claims/claim/", {"queue": "triage", "o": f"-{column}"})
    order = [c.pk for c in reverse.context["cl"].result_list]
    assert order.index(quiet.pk) < order.index(popular.pk)


def test_dashboard_shows_requests_per_day(client, reviewer, inbox):
    client.force_login(reviewer)
    response = client.get("/admin/dashboard/")
    assert response.status_code == 200
    days = response.context["tip_days"]
    assert len(days) == 14
    assert days[-1].count == 4
    assert days[-3].count == 1
    assert sum(d.count for d in days) == Tip.objects.count()
    assert Claim.objects.count() == 2


def test_the_inbox_shows_why_a_link_was_not_read_and_where_a_moved_tip_came_from(client, editor, inbox):
    popular, quiet = inbox
    refused = Tip.objects.create(
        channel="whatsapp",
        text="http://10.0.0.1/x",
        url="http://10.0.0.1/x",
        url_error="Refused http://10.0.0.1/x: 10.0.0.1 is a private address.",
        status="linked",
        claim=popular,
        moved_from_claim=quiet,
    )
    read = Tip.objects.create(channel="web", url="https://example.org/a", url_title="A page", status="queued")
    client.force_login(editor)
    page = client.get(f"{INBOX}{refused.pk}/change/").content.decode()
    assert "10.0.0.1 is a private address." in page
    assert f"/admin/claims/claim/{quiet.pk}/change/" in page and "marked a duplicate" in page
    assert "A page" in client.get(f"{INBOX}{read.pk}/change/").content.decode()
    assert [t.pk for t in client.get(INBOX, {"link": "not_read"}).context["cl"].result_list] == [refused.pk]
    assert [t.pk for t in client.get(INBOX, {"link": "read"}).context["cl"].result_list] == [read.pk]
    assert client.get(INBOX, {"link": "none"}).context["cl"].result_count == 5

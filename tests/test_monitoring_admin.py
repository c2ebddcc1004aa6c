"""The monitoring changelists run a constant number of queries however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimRepeat, WatchedSource

from .factories import ClaimFactory, OutletFactory

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_sources(count: int) -> None:
    outlet = OutletFactory()
    start = WatchedSource.objects.count()
    for n in range(start, start + count):
        WatchedSource.objects.create(
            outlet=outlet,
            kind="feed",
            url=f"https://news{n}.example/feed.xml",
            consecutive_failures=n % 4,
            last_polled_at=timezone.now(),
            last_error="Could not fetch it: the server answered 503 Service Unavailable.",
        )


def add_repeats(count: int) -> None:
    original = ClaimFactory(text="The original claim we checked.")
    for _ in range(count):
        ClaimRepeat.objects.create(
            claim=ClaimFactory(), original=original, score=0.9, rating_label="False", rated_at=timezone.now()
        )


def test_watched_sources_changelist_queries_do_not_grow_with_rows(client, editor):
    client.force_login(editor)
    url = reverse("admin:claims_watchedsource_changelist")
    add_sources(2)
    few = queries(client, url)
    add_sources(18)
    # Session, user, permissions, the count, the page with its outlets (select_related),
    # the outlet filter's choices: none per row.
    assert queries(client, url) == few
    assert "FAILING (3 in a row)" in client.get(url).content.decode()


def test_repeats_queue_queries_do_not_grow_with_rows(client, editor):
    client.force_login(editor)
    url = reverse("admin:claims_repeatqueueclaim_changelist")
    add_repeats(2)
    few = queries(client, url)
    add_repeats(18)
    # The page joins each claim's repeat, its original and its article: none per row.
    assert queries(client, url) == few
    assert client.get(url).content.decode().count("repeated claim: already rated False on") == 20

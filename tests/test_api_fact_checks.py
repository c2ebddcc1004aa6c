"""The public read API: exactly what is published, for anyone."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.collaboration import checklists, notes
from claims.models import (
    Claim,
    Claimant,
    ClaimantContact,
    ClaimRepeat,
    ClaimTask,
    Requester,
    Tag,
    Tip,
    Verdict,
    WatchedSource,
    WebhookDelivery,
    WebhookSubscription,
)
from claims.review import editing, workflow
from claims.review.roles import EDITORS

from .factories import (
    ArticleFactory,
    ClaimantFactory,
    ClaimFactory,
    EvidenceFactory,
    OutletFactory,
    add_independent_evidence,
    add_verdict_draft,
    advance,
    archive,
    member_of,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/fact-checks/"
SECRET = "ZZSECRETZZ"


@pytest.fixture
def people(editor, reviewer, default_scale):
    return editor, reviewer


def publish(people, *, text="Unemployment fell by 3 percent in 2025.", claimant="Jane Doe", outlet=None, language="en"):
    editor, reviewer = people
    article = ArticleFactory(outlet=outlet or OutletFactory())
    speaker = Claimant.objects.filter(name=claimant).first() or ClaimantFactory(name=claimant)
    claim = ClaimFactory(text=text, claimant=speaker, article=article, language=language)
    return advance(claim, Claim.Status.PUBLISHED, editor, reviewer)


@pytest.fixture
def everything(people, default_scale):
    """A published fact-check plus secrets in every unpublished place."""
    editor, reviewer = people
    public = publish(people)
    # A correction under way: its draft, its new evidence and its notes are private.
    workflow.correct(public.pk, by=editor, note=f"internal {SECRET} note")
    public.verdicts.filter(status=Verdict.Status.DRAFT).update(headline=f"draft {SECRET}", correction_note=SECRET)
    EvidenceFactory(claim=public, url=f"https://{SECRET.lower()}.example/new", excerpt=SECRET)
    # The correction rewords the claim and its claimant is renamed: public only once approved.
    editing.update_claim(public.pk, by=reviewer, changes={"text": f"reworded {SECRET} claim"})
    editing.change_claimant(public.claimant_id, by=editor, changes={"name": f"{SECRET} renamed"})
    editing.update_evidence(
        public.evidence.order_by("pk").first().pk, by=reviewer, changes={"title": f"{SECRET} retitled"}
    )
    ClaimantContact.objects.create(claim=public, method="email", contact_details=SECRET, response=SECRET)
    # Sources cited without their archive: the reason is public once approved; who decided, never.
    secret_editor = member_of(EDITORS, f"{SECRET.lower()}-editor")
    new_source = public.evidence.get(excerpt=SECRET)
    editing.override_archive(new_source.pk, by=secret_editor, reason=f"correction's {SECRET} reason")
    overridden = ClaimFactory(text="Bus fares were abolished in 2024.")
    unarchived, _ = add_independent_evidence(overridden, archived=False)
    archive(_)
    editing.override_archive(unarchived.pk, by=secret_editor, reason="The site refuses automated copies.")
    advance(overridden, Claim.Status.PUBLISHED, editor, reviewer)
    for status in [s for s in Claim.Status.values if s not in ("published", "duplicate", "retracted", "scheduled")]:
        claim = ClaimFactory(text=f"{status} claim {SECRET}", claimant=ClaimantFactory(name=f"{SECRET} {status}"))
        if status != "candidate":
            target = status if status != "dismissed" else None
            if target:
                advance(claim, target, editor, reviewer)
            else:
                workflow.dismiss(claim.pk, by=editor, note=SECRET)
    scheduled = ClaimFactory(text=f"embargoed {SECRET}")
    advance(scheduled, Claim.Status.SCHEDULED, editor, reviewer)
    retracted = ClaimFactory(text=f"retracted {SECRET}")
    advance(retracted, Claim.Status.RETRACTED, editor, reviewer)
    draft_only = ClaimFactory(text=f"drafted {SECRET}")
    add_verdict_draft(draft_only, reviewer, headline=f"draft headline {SECRET}")
    add_private_collaboration(public, editor, reviewer)
    # Monitoring: what the desk watches, how it fails, and a repeat not yet linked.
    WatchedSource.objects.create(
        outlet=public.article.outlet,
        kind="feed",
        url=f"https://{SECRET.lower()}.example/feed.xml",
        include_patterns=SECRET,
        last_error=SECRET,
    )
    repeat = ClaimFactory(text=f"repeated {SECRET}")
    ClaimRepeat.objects.create(
        claim=repeat, original=public, score=0.9, rating_label=SECRET[:10], rated_at=timezone.now()
    )
    return public, retracted, overridden


def add_private_collaboration(claim: Claim, editor, reviewer) -> None:
    """Notes, a removed note, a task answer, a private tag and notifications, each carrying SECRET."""
    notes.add_note(by=reviewer, claim=claim, body=f"note {SECRET} for @editor")
    notes.remove_note(notes.add_note(by=editor, claim=claim, body=f"removed {SECRET}").pk, by=editor)
    notes.add_note(by=editor, article=claim.article, body=f"article note {SECRET}")
    task = ClaimTask.objects.create(claim=claim, label=f"task {SECRET}")
    checklists.update_task(task.pk, by=reviewer, expected_version=1, answer=f"answer {SECRET}", checked=True)
    Tag.objects.get_or_create(name=f"private {SECRET}")[0].claims.add(claim)


def test_list_shows_published_fact_checks_with_their_public_record(client, people):
    claim = publish(people, claimant="Jens Stoltenberg")
    response = client.get(LIST)
    assert response.status_code == 200
    [item] = response.json()["results"]
    verdict = Verdict.objects.published().get(claim=claim)
    assert item["id"] == claim.pk
    assert item["claim"] == claim.text
    assert item["claimant"]["name"] == "Jens Stoltenberg"
    assert item["headline"] == verdict.headline
    assert item["rating"] == {
        "label": verdict.rating.label,
        "value": verdict.rating.value,
        "best": 5,
        "worst": 1,
        "definition": verdict.rating.definition,
        "scale": "Standard v1",
    }
    assert {e["url"] for e in item["evidence"]} == set(claim.evidence.values_list("url", flat=True))
    assert item["appearances"][0]["url"] == claim.article.url
    assert item["url"].endswith(f"/fact-checks/{claim.slug}/")
    assert item["corrections"] == []


def test_leak_sweep_nothing_unpublished_reaches_anonymous_clients(client, everything):
    public, retracted, overridden = everything
    urls = [
        LIST,
        f"{LIST}{overridden.pk}/",
        f"/fact-checks/{overridden.slug}/",
        f"/fact-checks/{public.slug}/",
        f"{LIST}?q=claim",
        f"{LIST}?q={SECRET}",
        f"{LIST}?page_size=100",
        f"{LIST}?ordering=published",
        f"{LIST}?language=en",
        f"{LIST}{public.pk}/",
        f"{LIST}{public.pk}/claimreview",
    ]
    urls += [f"{LIST}{pk}/" for pk in Claim.objects.exclude(pk=public.pk).values_list("pk", flat=True)]
    urls += [f"{LIST}{pk}/claimreview" for pk in Claim.objects.exclude(pk=public.pk).values_list("pk", flat=True)]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert SECRET not in response.content.decode(), url
        assert SECRET.lower() not in response.content.decode(), url
    assert [item["id"] for item in client.get(LIST).json()["results"]] == [overridden.pk, public.pk]
    reasons = [e["not_archived_reason"] for e in client.get(f"{LIST}{overridden.pk}/").json()["evidence"]]
    assert reasons == ["The site refuses automated copies.", None]
    assert client.get(f"{LIST}?q={SECRET}").json()["results"] == []
    assert client.get(f"{LIST}{retracted.pk}/").status_code == 404


def test_leak_sweep_notes_tasks_and_private_tags_reach_no_public_page_feed_claimreview_or_webhook(
    client, people, settings
):
    """A published claim whose notes, task answers and private tag carry SECRET: none of it is public."""
    settings.CELERY_TASK_ALWAYS_EAGER = False  # webhook bodies are recorded, not sent
    editor, reviewer = people
    WebhookSubscription.objects.create(url="https://partner.example/hooks", events=["fact_check.published"])
    claim = ClaimFactory(text="Unemployment fell by 3 percent in 2025.", article=ArticleFactory())
    advance(claim, Claim.Status.IN_RESEARCH, editor, reviewer)
    add_private_collaboration(claim, editor, reviewer)
    advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    add_private_collaboration(claim, editor, reviewer)  # and after publication too
    claim.refresh_from_db()
    urls = [
        LIST,
        f"{LIST}?q={SECRET}",
        f"{LIST}{claim.pk}/",
        f"{LIST}{claim.pk}/claimreview",
        f"{LIST}match?q=unemployment%20fell",
        "/fact-checks/",
        f"/fact-checks/{claim.slug}/",
        "/fact-checks/feed/",
        "/corrections/",
        "/methodology/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SECRET not in body and SECRET.lower() not in body, url
    [delivery] = WebhookDelivery.objects.all()
    assert str(claim.pk) in delivery.payload
    assert SECRET not in delivery.payload and SECRET.lower() not in delivery.payload
    exported = io.StringIO()
    call_command("export_claimreview", stdout=exported)
    assert f"/fact-checks/{claim.slug}/" in exported.getvalue() and SECRET not in exported.getvalue()


@pytest.mark.usefixtures("fresh_matching")
def test_leak_sweep_tips_requesters_and_emails_reach_no_public_surface(client, people, settings):
    """A tip's text, its requester's channel id and e-mail, its link's title and why the link
    or image was not read, a Telegram photo, and the duplicate claim a tip came from: private on
    every public page, API response, feed, ClaimReview and webhook payload, through publication
    and an instant answer."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    editor, reviewer = people
    WebhookSubscription.objects.create(
        url="https://hooks.example.org/in", events=["fact_check.published", "fact_check.corrected"]
    )
    claim = ClaimFactory(text="Unemployment fell by 3 percent in 2025.", article=ArticleFactory())
    secret_id, secret_email = f"wa{SECRET}", f"{SECRET.lower()}@example.org"
    whatsapp = Requester.objects.create(channel="whatsapp", channel_id=secret_id)
    web = Requester.objects.create(channel="web", channel_id=secret_email, email=secret_email)
    for requester in (whatsapp, web):
        Tip.objects.create(channel=requester.channel, text=f"tip {SECRET} text", requester=requester, claim=claim)
        Tip.objects.create(channel=requester.channel, text=f"spam {SECRET}", requester=requester, status="spam")
    telegram = Requester.objects.create(channel="telegram", channel_id=f"tg{SECRET}")
    Tip.objects.create(
        channel="telegram",
        text="photo",
        requester=telegram,
        claim=claim,
        url=f"https://{SECRET.lower()}.example.org/post",
        url_title=f"title {SECRET}",
        url_error=f"Refused https://{SECRET.lower()}.example.org/post: {SECRET}",
        media_id=f"photo-{SECRET}",
        media=b"\xff\xd8\xff" + SECRET.encode(),
        media_type="image/jpeg",
        media_error=f"The photo {SECRET} was too large.",
    )
    # Tips that came from a claim marked a duplicate of this one.
    duplicate = ClaimFactory(text=f"a duplicate {SECRET}", article=ArticleFactory())
    Tip.objects.create(channel="whatsapp", text=f"asked {SECRET}", requester=whatsapp, claim=duplicate)
    workflow.mark_duplicate(duplicate.pk, by=editor, duplicate_of=claim.pk)
    assert Tip.objects.filter(moved_from_claim=duplicate, claim=claim).exists()
    claim = advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    answered = client.post(
        "/api/v1/tips/",
        {"text": "Unemployment fell 3 percent in 2025?", "email": f"other{SECRET.lower()}@example.org"},
        content_type="application/json",
    )
    assert answered.status_code == 201 and answered.json()["answer"]["url"] == claim.public_url
    surfaces = [
        LIST,
        f"{LIST}?q=tip%20text",
        f"{LIST}{claim.pk}/",
        f"{LIST}{claim.pk}/claimreview",
        f"{LIST}match?q=unemployment",
        f"{LIST}match?q=tip%20text",
        "/fact-checks/",
        f"/fact-checks/{claim.slug}/",
        "/fact-checks/?q=tip%20text",
        "/fact-checks/feed/",
        "/corrections/",
        "/methodology/",
        "/tips/",
    ]
    bodies = {url: client.get(url).content.decode() for url in surfaces}
    # Searching the secret finds nothing (the query itself is echoed, so it is not swept).
    assert client.get(f"{LIST}match?q={SECRET}").json()["results"] == []
    assert client.get(f"{LIST}?q={SECRET}").json()["results"] == []
    bodies["tip answer"] = answered.content.decode()
    bodies.update({f"webhook {d.pk}": d.payload for d in WebhookDelivery.objects.all()})
    assert any(claim.public_url in body for body in bodies.values())
    assert WebhookDelivery.objects.exists()
    for where, body in bodies.items():
        for secret in (SECRET, SECRET.lower(), secret_id, secret_email, f"tg{SECRET}"):
            assert secret not in body, where


def test_previous_revision_stays_readable_while_a_correction_is_researched(client, everything):
    public, _, _ = everything
    item = client.get(f"{LIST}{public.pk}/").json()
    assert item["revision"] == 1
    assert len(item["evidence"]) == 2  # the source added for the correction is not public yet


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rating=False", {"a"}),
        ("rating=false", {"a"}),
        ("claimant=Ann%20Lee", {"b"}),
        ("outlet=one.example", {"a"}),
        ("language=ar", {"b"}),
        ("q=unemployment%20percent", {"a"}),
        ("q=pensions", {"b"}),
    ],
)
def test_filters(client, people, default_scale, query, expected):
    a = publish(people, text="Unemployment fell by 3 percent.", outlet=OutletFactory(domain="one.example"))
    b = publish(people, text="Pensions rose by half.", claimant="Ann Lee", language="ar")
    Verdict.objects.filter(claim=b).update(
        rating=default_scale.ratings.get(label="True"), headline="Pensions rose by half", summary="Pension data agree."
    )
    Verdict.objects.filter(claim=a).update(rating=default_scale.ratings.get(label="False"))
    names = {a.pk: "a", b.pk: "b"}
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.content
    assert {names[item["id"]] for item in response.json()["results"]} == expected


def test_published_after_and_before(client, people):
    old = publish(people, text="Old claim about taxes.")
    new = publish(people, text="New claim about taxes.")
    Verdict.objects.filter(claim=old).update(published_at=timezone.now() - dt.timedelta(days=30))
    cutoff = (timezone.now() - dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    after = client.get(LIST, {"published_after": cutoff}).json()["results"]
    before = client.get(LIST, {"published_before": cutoff}).json()["results"]
    assert [i["id"] for i in after] == [new.pk]
    assert [i["id"] for i in before] == [old.pk]


def test_published_after_takes_any_offset_and_compares_in_utc(client, people):
    claim = publish(people, text="A claim about ferries.")
    Verdict.objects.filter(claim=claim).update(published_at=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))
    # -16:34 is beyond the offsets PostgreSQL accepts; the filter resolves it to UTC first.
    after = client.get(LIST, {"published_after": "2026-03-01T19:30:00-16:34"})  # 2026-03-02 12:04 UTC
    assert after.status_code == 200, after.content
    assert after.json()["results"] == []
    before = client.get(LIST, {"published_after": "2026-02-28T19:20:00-16:34"})  # 2026-03-01 11:54 UTC
    assert [item["id"] for item in before.json()["results"]] == [claim.pk]
    overflow = client.get(LIST, {"published_before": "9999-12-31T23:00:00-05:00"})
    assert overflow.status_code == 400
    assert "9999" in overflow.content.decode()


@pytest.mark.parametrize("query", ["status=draft", "ordering=status", "ordering=-author", "author=reviewer"])
def test_filtering_or_ordering_by_a_field_that_is_not_public_is_refused(client, people, query):
    publish(people)
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert response.json()  # says which parameter and what to use instead


def test_cursor_pagination_walks_every_fact_check_once(client, people):
    ids = {publish(people, text=f"Claim number {i} about wages.").pk for i in range(5)}
    seen, url = [], f"{LIST}?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(ids) and len(seen) == 5


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_list_runs_a_constant_number_of_queries_whatever_the_page_size(client, people, page_size):
    for i in range(3):
        publish(people, text=f"Claim number {i} about wages.")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{LIST}?page_size={page_size}")
    for i in range(3, 12):
        publish(people, text=f"Claim number {i} about wages.")
    with CaptureQueriesContext(connection) as many:
        client.get(f"{LIST}?page_size={page_size}")
    # 1 the change marker (count, last update) for the ETag, 2 the page of
    # verdicts with claim, claimant, article, outlet, rating and scale,
    # 3 the scales' ratings, 4 evidence, 5 revisions, 6 duplicates' appearances.
    assert len(many) == len(few) <= 6


def test_conditional_requests_get_304_until_something_is_published(client, people):
    publish(people)
    first = client.get(LIST)
    assert first["ETag"] and first["Last-Modified"]
    again = client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    publish(people, text="Another claim about rents.")
    assert client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_detail_etag_changes_after_a_correction(client, people):
    editor, reviewer = people
    claim = publish(people)
    first = client.get(f"{LIST}{claim.pk}/")
    assert client.get(f"{LIST}{claim.pk}/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    workflow.correct(claim.pk, by=editor, note="Wrong year.")
    claim.verdicts.filter(status=Verdict.Status.DRAFT).update(correction_note="We fixed the year.")
    workflow.submit(claim.pk, by=reviewer)
    workflow.approve(claim.pk, by=editor)
    after = client.get(f"{LIST}{claim.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    body = after.json()
    assert body["revision"] == 2
    assert body["corrections"][0]["note"] == "We fixed the year."
    assert body["modified_at"] > body["published_at"]


def test_cors_allows_any_origin_to_read(client, people):
    publish(people)
    response = client.get(LIST, HTTP_ORIGIN="https://partner.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(LIST, HTTP_ORIGIN="https://partner.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "POST" not in preflight.get("Access-Control-Allow-Methods", "")


def test_claimreview_endpoint_serves_json_ld(client, people):
    claim = publish(people)
    body = client.get(f"{LIST}{claim.pk}/claimreview").json()
    assert body["@type"] == "ClaimReview"
    assert body["url"].endswith(f"/fact-checks/{claim.slug}/")


def test_writes_are_refused(client, people):
    claim = publish(people)
    assert client.post(LIST, {}).status_code in (403, 405)
    assert client.delete(f"{LIST}{claim.pk}/").status_code in (403, 405)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's web-search syntax")
def test_search_understands_phrases_and_exclusions_on_postgresql(client, people):
    a = publish(people, text="Unemployment fell by 3 percent in Riverton.")
    publish(people, text="Unemployment rose in Lakeside.")
    Verdict.objects.filter(claim=a).update(headline="Riverton unemployment fell", summary="It fell.")
    found = client.get(LIST, {"q": '"unemployment fell" -lakeside'}).json()["results"]
    assert [item["id"] for item in found] == [a.pk]

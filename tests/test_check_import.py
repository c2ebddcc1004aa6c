"""Importing a Meedan Check workspace export (issue 19): what becomes what, repeatability, dry runs."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from claims.checkimport.maps import DEFAULT_STATUS_MAP
from claims.checkimport.services import PublishedFactCheck, import_published_fact_checks
from claims.checkimport.steps import requester_id
from claims.matching import backends
from claims.models import (
    Claim,
    Claimant,
    ClaimTask,
    ExternalReview,
    ImportedRecord,
    OutboxMessage,
    Requester,
    ReviewEvent,
    Tag,
    Tip,
    TipReply,
    Verdict,
)
from claims.review.roles import EDITORS, REVIEWERS
from claims.tiplines import tips as tips_service

from .checkexport import (
    ARABIC_QUOTE,
    ARABIC_TIP,
    HEADERS,
    MULTILINE_QUOTE,
    SECRET_EMAIL,
    TIP_TEXT,
    TIP_UID,
    csv_bytes,
    export_files,
    write_zip,
)

User = get_user_model()


@pytest.fixture(autouse=True)
def fresh_match_indexes():
    backends.forget_stats()
    backends.forget_memory_indexes()
    yield
    backends.forget_stats()
    backends.forget_memory_indexes()


@pytest.fixture
def export_zip(tmp_path):
    return write_zip(tmp_path / "riverton.zip", export_files())


def run(path, *options) -> dict:
    out = StringIO()
    call_command("import_check_export", str(path), "--format", "json", *options, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def counts(report: dict) -> dict:
    return {kind: (k["created"], k["skipped"], k["kept_for_later"], k["failed"]) for kind, k in report["kinds"].items()}


def stored() -> dict:
    return {
        "claims": Claim.objects.count(),
        "verdicts": Verdict.objects.count(),
        "users": User.objects.count(),
        "claimants": Claimant.objects.count(),
        "references": ExternalReview.objects.count(),
        "records": ImportedRecord.objects.count(),
        "events": ReviewEvent.objects.count(),
        "tags": Tag.objects.count(),
        "tag_links": Tag.claims.through.objects.count(),
        "tasks": ClaimTask.objects.count(),
        "tips": Tip.objects.count(),
        "requesters": Requester.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


EXPECTED = {
    # kind: (created, skipped, kept for later, failed)
    "workspace": (0, 1, 0, 0),
    "user": (3, 0, 0, 0),
    "tag": (3, 0, 0, 0),
    "item": (6, 0, 0, 1),
    "fact_check": (3, 0, 1, 0),
    "explainer": (0, 0, 1, 0),
    "annotation": (3, 0, 0, 1),
    "tipline_request": (4, 0, 0, 1),
    "tipline_newsletter": (0, 0, 1, 0),
}


def test_import_creates_claims_fact_checks_and_users_from_check_headers(export_zip, default_scale, roles):
    report = run(export_zip)
    assert report["source"] == "check:42"
    assert counts(report) == EXPECTED
    assert report["missing_files"] == []
    assert report["errors"] == [
        {
            "file": "workspace_item_data.csv",
            "row": 5,
            "reason": "status 'half_baked_custom' is not in the status map (add it with --status-map)",
        },
        {
            "file": "workspace_annotations_data.csv",
            "row": 3,
            "reason": "no imported item '105' (missing from the export, or refused)",
        },
        {
            "file": "workspace_tipline_requests_data.csv",
            "row": 5,
            "reason": "no readable date in 'Creation date' ('last tuesday'): a tip keeps its original date",
        },
    ]

    # Items: the quote with commas and a newline, the Arabic one, a link, media; the unknown status is not guessed.
    texts = set(Claim.objects.values_list("text", flat=True))
    assert MULTILINE_QUOTE in texts and ARABIC_QUOTE in texts
    assert not Claim.objects.filter(text__contains="nobody mapped").exists()
    by_item = {r.external_id: r for r in ImportedRecord.objects.filter(kind="item")}
    link = Claim.objects.get(pk=by_item["103"].object_id)
    assert link.text == "Viral post about floods" and link.status == Claim.Status.ACCEPTED
    assert by_item["103"].data["media_url"] == "https://social.example/posts/1"
    photo = by_item["104"]
    assert photo.data["media_type"] == "UploadedImage"
    assert photo.data["media_url"] == "https://files.example/uploads/bridge.jpg"
    assert Claim.objects.get(pk=photo.object_id).status == Claim.Status.CANDIDATE
    audio = Claim.objects.get(pk=by_item["107"].object_id)
    assert audio.text == "https://files.example/uploads/voice-note.ogg"
    assert by_item["101"].data["tags"] == ["transport", "budget"]
    assert by_item["101"].data["description"] == "Said at the council meeting"
    arabic = Claim.objects.get(pk=by_item["102"].object_id)
    assert arabic.claimant.name == "وزارة الصحة"
    assert str(arabic.claimed_on) == "2024-06-01"
    assert ReviewEvent.objects.filter(action="claims.claim.imported").count() == 6 + 2

    # Fact-checks: published on their items with Check's URL as canonical; imported ones are references.
    buses = Claim.objects.get(pk=by_item["101"].object_id)
    assert buses.status == Claim.Status.PUBLISHED
    assert buses.public_url == "https://riverton-desk.example/checks/free-buses"
    verdict = buses.verdicts.get()
    assert verdict.status == Verdict.Status.PUBLISHED and verdict.rating.label == "False"
    assert verdict.claim_text == MULTILINE_QUOTE and verdict.claimant_name == "Mayor Jane Doe"
    assert arabic.verdicts.get().rating.label == "True" and arabic.verdicts.get().language == "ar"
    reference = ExternalReview.objects.get()
    assert reference.url == "https://other.example/fc/flood" and reference.source == "check-import"
    fact_checks = {r.external_id: r for r in ImportedRecord.objects.filter(kind="fact_check")}
    assert fact_checks["203"].object_id is None and fact_checks["203"].data["report_status"] == "unpublished"

    # Users: inactive, no usable password, in the group their Check role maps to.
    ada, ed, col = (User.objects.get(email=e) for e in ("ada@desk.example", SECRET_EMAIL, "col@desk.example"))
    assert [u.is_active for u in (ada, ed, col)] == [False, False, False]
    assert not any(u.has_usable_password() for u in (ada, ed, col))
    assert [list(u.groups.values_list("name", flat=True)) for u in (ada, ed, col)] == [
        [EDITORS],
        [EDITORS],
        [REVIEWERS],
    ]

    # Tags: private rows on the item's claim.
    assert sorted(buses.tags.values_list("name", flat=True)) == ["budget", "transport"]
    assert list(arabic.tags.values_list("name", flat=True)) == ["health"]
    assert not Tag.objects.filter(public=True).exists()

    # Tasks: the answered cells, checked, not required, no template, Check's task id left out of the label.
    tasks = {(t.claim_id, t.label): t for t in ClaimTask.objects.all()}
    assert set(tasks) == {
        (buses.pk, "Where was it first posted?"),
        (link.pk, "Where was it first posted?"),
        (link.pk, "Source checked?"),
    }
    first = tasks[(buses.pk, "Where was it first posted?")]
    assert first.answer == "Facebook, then WhatsApp" and first.is_done and not first.required
    assert first.template_id is None and tasks[(link.pk, "Source checked?")].answer == "yes"
    assert not ClaimTask.objects.filter(claim_id=by_item["106"].object_id).exists()
    event = ReviewEvent.objects.get(claim=link, action="claims.task.imported")
    assert event.data["labels"] == ["Where was it first posted?", "Source checked?"]
    assert event.data["check_task_ids"] == ["7", "8"] and event.actor_username == "check-import"

    # Tips: original dates, channels, an anonymous requester per uid, queued, nothing sent.
    tips = {t.text: t for t in Tip.objects.select_related("requester")}
    assert set(tips) == {TIP_TEXT, ARABIC_TIP, "And this bridge photo?", "Is the flood video old?"}
    arabic_tip = tips[ARABIC_TIP]
    assert arabic_tip.received_at.isoformat() == "2024-07-02T05:00:00+00:00"
    assert arabic_tip.language == "ar" and arabic_tip.channel == "telegram"
    assert tips["Is the flood video old?"].channel == "web"
    assert tips[TIP_TEXT].requester == tips["And this bridge photo?"].requester
    assert (
        tips[TIP_TEXT].requester.channel_id
        == requester_id(TIP_UID)
        == hashlib.sha256(f"check:{TIP_UID}".encode()).hexdigest()
    )
    assert tips[TIP_TEXT].requester.last_message_at.isoformat() == "2024-07-03T08:00:00+00:00"
    assert Requester.objects.count() == 3
    assert not Requester.objects.filter(channel_id__contains="uid").exists()
    assert {t.status for t in tips.values()} == {Tip.Status.QUEUED}
    assert all(t.processed_at and t.claim_id is None for t in tips.values())
    # Processed already: the tip pipeline never answers imported history, even when it would match.
    assert tips_service.process(tips[TIP_TEXT].pk) == Tip.Status.QUEUED
    assert TipReply.objects.count() == 0
    assert not OutboxMessage.objects.filter(task__contains="tip").exists()


def test_second_run_creates_nothing(export_zip, default_scale, roles):
    run(export_zip)
    before = stored()
    again = run(export_zip)
    assert stored() == before
    created = {kind: k["created"] for kind, k in again["kinds"].items()}
    assert set(created.values()) == {0}
    assert again["kinds"]["item"]["skipped"] == 6
    assert again["kinds"]["fact_check"]["skipped"] == 4
    assert again["kinds"]["user"]["skipped"] == 3
    assert again["kinds"]["tag"]["skipped"] == 3
    assert again["kinds"]["annotation"]["skipped"] == 3
    assert again["kinds"]["tipline_request"]["skipped"] == 4


def test_dry_run_writes_nothing_and_reports_the_same_counts(export_zip, default_scale, roles):
    before = stored()
    dry = run(export_zip, "--dry-run")
    assert dry["dry_run"] is True
    assert stored() == before
    real = run(export_zip)
    assert counts(dry) == counts(real) == EXPECTED
    assert dry["errors"] == real["errors"]


def test_unpacked_folder_imports_like_the_zip(tmp_path, default_scale, roles):
    folder = tmp_path / "riverton"
    folder.mkdir()
    for name, data in export_files().items():
        (folder / name).write_bytes(data)
    assert counts(run(folder)) == EXPECTED


def test_status_map_file_overrides_the_default(tmp_path, export_zip, default_scale, roles):
    status_map = tmp_path / "statuses.json"
    status_map.write_text(json.dumps({"half_baked_custom": "dismissed", "in_progress": {"status": "candidate"}}))
    report = run(export_zip, "--status-map", str(status_map))
    # Only the tip without a date is left; item 105's task answers now find its claim.
    assert [e["file"] for e in report["errors"]] == ["workspace_tipline_requests_data.csv"]
    assert report["kinds"]["annotation"]["created"] == 5
    assert report["kinds"]["item"]["created"] == 7
    record = ImportedRecord.objects.get(kind="item", external_id="105")
    assert Claim.objects.get(pk=record.object_id).status == Claim.Status.DISMISSED
    record = ImportedRecord.objects.get(kind="item", external_id="103")
    assert Claim.objects.get(pk=record.object_id).status == Claim.Status.CANDIDATE


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"x": "published"}', "is not one an import may create"),
        ('{"x": {"status": "accepted", "rating": "Pants on fire"}}', "is not on the default rating scale"),
        ("[1, 2]", "expected a JSON object"),
        ("{nope", "not a readable JSON file"),
    ],
)
def test_bad_status_map_is_refused_with_nothing_written(tmp_path, export_zip, default_scale, roles, content, message):
    status_map = tmp_path / "statuses.json"
    status_map.write_text(content)
    with pytest.raises(CommandError, match=message):
        run(export_zip, "--status-map", str(status_map))
    assert stored()["records"] == 0


def test_default_status_map_covers_checks_core_statuses():
    assert set(DEFAULT_STATUS_MAP) == {"undetermined", "not_applicable", "in_progress", "false", "verified"}


def test_missing_required_column_stops_the_import_before_anything_is_written(tmp_path, default_scale, roles):
    files = export_files()
    files["workspace_item_data.csv"] = files["workspace_item_data.csv"].replace(b"Media type", b"Kind", 1)
    path = write_zip(tmp_path / "bad.zip", files)
    with pytest.raises(CommandError, match="workspace_item_data.csv: required column\\(s\\) 'Media type' missing"):
        run(path)
    assert stored()["users"] == 0 and stored()["records"] == 0


def test_a_workspace_without_tasks_has_no_annotations_file(tmp_path, default_scale, roles):
    report = run(write_zip(tmp_path / "no-tasks.zip", export_files(tasks=False)))
    assert report["missing_files"] == ["workspace_annotations_data.csv"]
    assert "annotation" not in report["kinds"]
    assert ClaimTask.objects.count() == 0 and report["kinds"]["item"]["created"] == 6


def test_older_tipline_file_name_and_its_shifted_columns_are_read(tmp_path, default_scale, roles):
    files = export_files()
    del files["workspace_tipline_requests_data.csv"]
    # The first rake task wrote no platform value: five values under six headers.
    files["workspace_tipline_requets_data.csv"] = csv_bytes(
        HEADERS["workspace_tipline_requests_data.csv"],
        [
            ["401", "en", "2024-07-01 08:00:00 UTC", TIP_UID, TIP_TEXT],
            ["402", "ar", "2024-07-02 08:00:00 UTC", "uid-2", ARABIC_TIP],
        ],
    )
    report = run(write_zip(tmp_path / "old.zip", files))
    assert report["kinds"]["tipline_request"]["created"] == 2
    assert report["kinds"]["tipline_request"]["file"] == "workspace_tipline_requets_data.csv"
    tip = Tip.objects.get(text=TIP_TEXT)
    assert tip.received_at.isoformat() == "2024-07-01T08:00:00+00:00" and tip.channel == "web"
    assert tip.requester.channel_id == requester_id(TIP_UID)
    assert Tip.objects.get(text=ARABIC_TIP).language == "ar"


def test_text_summary_lists_kinds_and_the_bad_row(export_zip, default_scale, roles):
    out = StringIO()
    call_command("import_check_export", str(export_zip), stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "Source: check:42" in text
    assert "workspace_item_data.csv row 5: status 'half_baked_custom' is not in the status map" in text
    assert "tipline_request" in text and "needs the tip" not in text


def test_imported_fact_checks_are_public_and_matched_for_a_reworded_claim(client, export_zip, default_scale, roles):
    run(export_zip)
    listing = client.get("/api/v1/fact-checks/").json()["results"]
    urls = {item["url"] for item in listing}
    assert urls == {
        "https://riverton-desk.example/checks/free-buses",
        "https://riverton-desk.example/ar/checks/vaccine",
    }
    buses = next(item for item in listing if item["url"].endswith("free-buses"))
    assert client.get(f"/api/v1/fact-checks/{buses['id']}/").json()["rating"]["label"] == "False"
    response = client.get("/api/v1/fact-checks/match", {"q": "Riverton council paid 14 million for free buses"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results and results[0]["url"] == "https://riverton-desk.example/checks/free-buses"


def test_imported_users_cannot_log_in_until_invited(client, export_zip, default_scale, roles):
    run(export_zip)
    user = User.objects.get(email="ada@desk.example")
    assert client.login(username=user.username, password="") is False
    response = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": "anything"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    user.set_password("invited-and-chosen-pass")
    user.is_active = True
    user.save()
    assert client.login(username=user.username, password="invited-and-chosen-pass") is True


def test_imported_emails_tips_and_requesters_never_reach_a_public_surface(client, export_zip, default_scale, roles):
    run(export_zip)
    ids = [item["id"] for item in client.get("/api/v1/fact-checks/").json()["results"]]
    slugs = Claim.objects.filter(pk__in=ids).values_list("slug", flat=True)
    urls = [
        "/api/v1/fact-checks/",
        "/api/v1/fact-checks/match?q=buses",
        "/fact-checks/",
        "/fact-checks/feed/",
        "/tips/",
        # Words of the tips (the whole text would come back as the echoed query).
        "/api/v1/fact-checks/match?q=neighbour+says+buses+free",
        "/api/v1/fact-checks/match?q=الحافلات مجانية",
        *(f"/api/v1/fact-checks/{pk}/" for pk in ids),
        *(f"/api/v1/fact-checks/{pk}/claimreview" for pk in ids),
        *(f"/fact-checks/{slug}/" for slug in slugs),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SECRET_EMAIL not in body and "zzsecret" not in body.lower(), url
        assert "desk.example" not in body.replace("riverton-desk.example", ""), url
        # Tips and their requesters are private; so are tags nobody marked public.
        for private in (
            TIP_TEXT,
            "zztip",
            ARABIC_TIP,
            TIP_UID,
            *Requester.objects.values_list("channel_id", flat=True),
        ):
            assert private not in body, (url, private)
        assert "transport" not in body, url


def test_a_published_fact_check_is_imported_once_onto_a_claim(export_zip, default_scale, roles):
    run(export_zip)
    record = ImportedRecord.objects.get(kind="fact_check", external_id="201")
    claim = Claim.objects.get(pk=record.object_id)
    entry = PublishedFactCheck(
        claim_id=claim.pk,
        rating=claim.verdicts.get().rating,
        headline="again",
        summary="again",
        canonical_url="https://elsewhere.example/x",
        language="en",
        source={},
    )
    verdicts, refused = import_published_fact_checks([entry])
    assert verdicts == {}
    assert "is not an imported claim waiting for its fact-check" in refused[claim.pk]
    claim.refresh_from_db()
    assert claim.canonical_url == "https://riverton-desk.example/checks/free-buses"
    assert claim.verdicts.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_import_of_the_same_workspace_at_once_is_refused(export_zip, default_scale, roles):
    if connection.vendor != "postgresql":
        pytest.skip("the session lock is PostgreSQL's; SQLite takes one writer at a time")
    other = psycopg.connect(**connection.get_connection_params())
    try:
        key = int.from_bytes(hashlib.sha256(b"checkimport:check:42").digest()[:8], "big", signed=True)
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        with pytest.raises(CommandError, match="another import of check:42 is running"):
            run(export_zip)
        assert Claim.objects.count() == 0 and ImportedRecord.objects.count() == 0
        other.execute("SELECT pg_advisory_unlock(%s)", [key])
        assert run(export_zip)["kinds"]["item"]["created"] == 6
    finally:
        other.close()

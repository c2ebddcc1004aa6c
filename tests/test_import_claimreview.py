"""Importing other publishers' fact-checks: `manage.py import_claimreview`."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DataError

from claims.matching import imports
from claims.matching.imports import SOURCE_CLAIMREVIEW, SOURCE_GOOGLE
from claims.models import Claim, ExternalReview, RatingScale, Verdict
from claims.normalize import normalize_url

pytestmark = pytest.mark.django_db


def claimreview(number: int = 1, **overrides) -> dict:
    record = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "identifier": f"check-{number}",
        "url": f"https://checker.example/fact-check/{number}",
        "name": f"Fact-check number {number}",
        "claimReviewed": f"Unemployment fell by {number} percent.",
        "author": {"@type": "Organization", "name": "Checker", "url": "https://www.checker.example"},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 1,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "False",
        },
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": "Dana Whitfield"},
            "datePublished": "2024-05-01",
            "appearance": {"@type": "CreativeWork", "url": "https://news.example/story", "description": "a speech"},
        },
        "inLanguage": "en",
        "datePublished": "2024-05-03",
    }
    return record | overrides


def google_claim(number: int = 1, *reviews: dict) -> dict:
    return {
        "text": f"Europe lost power on day {number}.",
        "claimant": "x.com",
        "claimDate": "2025-04-28T19:23:46Z",
        "claimReview": list(reviews) or [google_review(number)],
    }


def google_review(number: int = 1, **overrides) -> dict:
    review = {
        "publisher": {"name": "Misbar", "site": "misbar.com"},
        "url": f"https://www.misbar.com/factcheck/{number}",
        "title": f"Power cut in some countries only ({number})",
        "reviewDate": "2025-04-28T20:00:00Z",
        "textualRating": "misleading",
        "languageCode": "en",
    }
    return review | overrides


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def write_lines(tmp_path, name: str, lines: list) -> str:
    return write(tmp_path, name, "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines))


def run(*paths: str) -> dict:
    out = StringIO()
    call_command("import_claimreview", *paths, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def counts(result: dict) -> tuple[int, int, int, int]:
    return result["created"], result["updated"], result["skipped"], len(result["errors"])


def rating_of(url: str) -> str | None:
    review = ExternalReview.objects.select_related("local_rating").get(url=url)
    return review.local_rating.label if review.local_rating else None


# --- Input shapes ------------------------------------------------------------------


def test_imports_a_single_claimreview_object(tmp_path, default_scale):
    result = run(write(tmp_path, "one.jsonld", claimreview(1)))

    assert counts(result) == (1, 0, 0, 0)
    review = ExternalReview.objects.get()
    assert review.url == "https://checker.example/fact-check/1"
    assert review.identifier == "check-1"
    assert (review.publisher_name, review.publisher_site) == ("Checker", "checker.example")
    assert review.title == "Fact-check number 1"
    assert review.claim_reviewed == "Unemployment fell by 1 percent."
    assert review.claimant_name == "Dana Whitfield"
    assert review.claim_date == dt.date(2024, 5, 1)
    assert review.review_date == dt.date(2024, 5, 3)
    assert (review.appearance_url, review.appearance_description) == ("https://news.example/story", "a speech")
    assert (review.rating_text, review.rating_value, review.best_rating, review.worst_rating) == ("False", 1, 5, 1)
    assert review.local_rating.label == "False"
    assert (review.language, review.source) == ("en", SOURCE_CLAIMREVIEW)
    assert review.raw == claimreview(1)


def test_imports_an_array_of_claimreviews(tmp_path, default_scale):
    result = run(write(tmp_path, "many.json", [claimreview(1), claimreview(2), claimreview(3)]))

    assert counts(result) == (3, 0, 0, 0)
    assert ExternalReview.objects.count() == 3


def test_imports_the_claimreviews_of_a_graph_and_ignores_its_other_nodes(tmp_path, default_scale):
    review = claimreview(1, author={"@id": "https://checker.example/#org"})
    del review["@context"]
    page = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": "https://checker.example/fact-check/1", "name": "A page"},
            {"@type": "Organization", "@id": "https://checker.example/#org", "name": "Checker Graph"},
            review,
        ],
    }

    result = run(write(tmp_path, "page.jsonld", page))

    assert counts(result) == (1, 0, 0, 0)
    assert ExternalReview.objects.get().publisher_name == "Checker Graph"


def test_imports_json_lines(tmp_path, default_scale):
    path = write_lines(tmp_path, "reviews.jsonl", [claimreview(1), "", claimreview(2), claimreview(3)])

    assert counts(run(path)) == (3, 0, 0, 0)


def test_accepts_the_varied_shapes_of_claimreview_fields(tmp_path, default_scale):
    record = claimreview(
        1,
        author="Checker Inc.",
        datePublished="2024-05-03T23:30:00-05:00",
        reviewRating={"@type": "Rating", "alternateName": "Mostly True"},
        itemReviewed={
            "@type": "Claim",
            "author": "Dana Whitfield",
            "appearance": ["https://social.example/post/9?utm_source=x", {"description": "a repost"}],
        },
    )
    second = claimreview(2, itemReviewed={"@type": "Claim", "firstAppearance": {"url": "https://tv.example/clip"}})

    assert counts(run(write(tmp_path, "shapes.json", [record, second]))) == (2, 0, 0, 0)
    first = ExternalReview.objects.get(identifier="check-1")
    assert (first.publisher_name, first.publisher_site) == ("Checker Inc.", "checker.example")
    assert first.claimant_name == "Dana Whitfield"
    assert first.review_date == dt.date(2024, 5, 3)  # the date as published, in its own offset
    assert (first.appearance_url, first.appearance_description) == ("https://social.example/post/9", "a repost")
    assert (first.rating_text, first.rating_value, first.local_rating.label) == ("Mostly True", None, "Mostly true")
    assert ExternalReview.objects.get(identifier="check-2").appearance_url == "https://tv.example/clip"


def test_imports_a_google_api_response_as_one_review_per_claimreview_entry(tmp_path, default_scale):
    two_reviews = google_claim(
        1, google_review(1), google_review(2, publisher={"name": "Fatabyyano", "site": "fatabyyano.net"})
    )
    response = {"claims": [two_reviews, google_claim(3)], "nextPageToken": "abc"}

    result = run(write(tmp_path, "response.json", response))

    assert counts(result) == (3, 0, 0, 0)
    review = ExternalReview.objects.get(url="https://www.misbar.com/factcheck/2")
    assert (review.publisher_name, review.publisher_site, review.source) == (
        "Fatabyyano",
        "fatabyyano.net",
        SOURCE_GOOGLE,
    )
    assert review.claim_reviewed == "Europe lost power on day 1."
    assert review.claimant_name == "x.com"
    assert (review.claim_date, review.review_date) == (dt.date(2025, 4, 28), dt.date(2025, 4, 28))
    assert (review.title, review.rating_text, review.language) == (
        "Power cut in some countries only (2)",
        "misleading",
        "en",
    )
    assert review.local_rating.label == "Misleading"
    assert review.raw == {**two_reviews, "claimReview": [two_reviews["claimReview"][1]]}


def test_imports_a_bare_array_of_google_claims(tmp_path, default_scale):
    assert counts(run(write(tmp_path, "claims.json", [google_claim(1), google_claim(2)]))) == (2, 0, 0, 0)


def test_empty_google_response_imports_nothing(tmp_path, default_scale):
    assert counts(run(write(tmp_path, "empty.json", {}))) == (0, 0, 0, 0)


# --- Per-record errors ------------------------------------------------------------


def test_malformed_json_line_is_reported_with_its_line_number_and_the_rest_imports(tmp_path, default_scale):
    path = write_lines(tmp_path, "reviews.jsonl", [claimreview(1), '{"@type": "ClaimReview", "url": ', claimreview(3)])

    result = run(path)

    assert counts(result) == (2, 0, 0, 1)
    assert result["errors"][0]["file"] == path
    assert result["errors"][0]["line"] == 2
    assert "not valid JSON" in result["errors"][0]["message"]
    assert ExternalReview.objects.count() == 2


def test_records_without_url_or_claim_or_with_bad_dates_are_reported_by_index(tmp_path, default_scale):
    records = [
        claimreview(0),
        claimreview(1, url=""),
        claimreview(2, url="ftp://checker.example/2"),
        claimreview(3, claimReviewed="  "),
        claimreview(4, datePublished="last Tuesday"),
        claimreview(5, itemReviewed={"datePublished": "2024-13-45"}),
        "not an object",
        claimreview(7),
    ]
    path = write(tmp_path, "bad.json", records)

    result = run(path)

    assert counts(result) == (2, 0, 0, 6)
    assert [(e["file"], e["index"]) for e in result["errors"]] == [(path, i) for i in range(1, 7)]
    messages = [e["message"] for e in result["errors"]]
    assert "no review URL" in messages[0]
    assert "only http and https" in messages[1]
    assert "no claim text" in messages[2]
    assert "bad date in datePublished" in messages[3]
    assert "bad date in itemReviewed.datePublished" in messages[4]
    assert "expected a JSON object" in messages[5]


def test_google_claim_without_text_is_an_error_for_each_of_its_reviews(tmp_path, default_scale):
    claim = google_claim(1, google_review(1), google_review(2)) | {"text": ""}

    result = run(write(tmp_path, "claims.json", [claim, google_claim(3)]))

    assert counts(result) == (1, 0, 0, 2)
    assert [(e["index"], e["message"]) for e in result["errors"]] == [
        (0, "claimReview[0]: no claim text (text)"),
        (0, "claimReview[1]: no claim text (text)"),
    ]


def test_malformed_first_line_still_reads_the_file_as_json_lines(tmp_path, default_scale):
    path = write_lines(tmp_path, "reviews.jsonl", ["{not json", claimreview(2), claimreview(3)])

    result = run(path)

    assert counts(result) == (2, 0, 0, 1)
    assert result["errors"][0]["line"] == 1


def test_a_record_the_database_refuses_is_reported_and_the_rest_of_its_batch_imports(
    tmp_path, default_scale, monkeypatch
):
    write_batch = imports._write_batch

    def refuse_review_2(batch, scale):
        if any(review.url.endswith("/2") for review in batch):
            raise DataError("value too long for type character varying(200)")
        return write_batch(batch, scale)

    monkeypatch.setattr(imports, "_write_batch", refuse_review_2)
    path = write(tmp_path, "a.json", [claimreview(1), claimreview(2), claimreview(3)])

    result = run(path)

    assert counts(result) == (2, 0, 0, 1)
    assert result["errors"] == [
        {"file": path, "index": 1, "message": "the database refused it: value too long for type character varying(200)"}
    ]
    assert sorted(ExternalReview.objects.values_list("identifier", flat=True)) == ["check-1", "check-3"]


def test_human_summary_lists_errors_with_their_place(tmp_path, default_scale):
    path = write_lines(tmp_path, "reviews.jsonl", [claimreview(1), "{oops", claimreview(1)])
    out = StringIO()

    call_command("import_claimreview", path, stdout=out)

    summary = out.getvalue()
    assert "created: 1\n" in summary
    assert "skipped: 1 (1 repeating a review URL earlier in the input)" in summary
    assert "errors:  1\n" in summary
    assert f"{path} line 2: not valid JSON" in summary


def test_unreadable_file_stops_the_import_before_anything_is_written(tmp_path, default_scale):
    good = write(tmp_path, "good.json", [claimreview(1)])

    with pytest.raises(CommandError, match="missing.json"):
        run(good, str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match=r"neither a JSON document nor JSON lines \(line 1"):
        run(good, write(tmp_path, "broken.json", '[{"url": "https://checker.example/1"'))
    assert not ExternalReview.objects.exists()


def test_long_rating_text_is_kept_exactly_as_published(tmp_path, default_scale):
    explanation = "اتضح أن هذا الادعاء مضلل " * 20
    result = run(write(tmp_path, "claims.json", [google_claim(1, google_review(1, textualRating=explanation))]))

    assert counts(result) == (1, 0, 0, 0)
    assert not result.get("warnings")
    review = ExternalReview.objects.get()
    assert review.rating_text == explanation.strip()
    assert review.raw["claimReview"][0]["textualRating"] == explanation


# --- Rating mapping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        # By value: rescaled linearly onto True=5 … False=1, nearest rating.
        ({"ratingValue": 4, "bestRating": 5, "worstRating": 1, "alternateName": "Größtenteils richtig"}, "Mostly true"),
        ({"ratingValue": "7", "bestRating": "10", "worstRating": "0", "alternateName": "Plutôt vrai"}, "Mostly true"),
        ({"ratingValue": 1, "bestRating": 1, "worstRating": 5, "alternateName": "Wahr"}, "True"),
        ({"ratingValue": 2, "bestRating": 3, "worstRating": 1}, "Half true"),
        # By label, case-insensitive, with synonyms.
        ({"ratingValue": 1, "bestRating": 6, "worstRating": 1, "alternateName": "Pants on Fire!"}, "False"),
        ({"ratingValue": 3, "bestRating": 6, "worstRating": 1, "alternateName": "Mostly False"}, "Mostly false"),
        ({"ratingValue": 4, "bestRating": 6, "worstRating": 1, "alternateName": "Half True"}, "Half true"),
        ({"alternateName": "MISLEADING"}, "Misleading"),
        ({"alternateName": "Missing context"}, "Misleading"),
        ({"alternateName": "Unverified"}, "Unproven"),
        ({"alternateName": "مضلّل"}, "Misleading"),
        # The label wins over rescaling: PolitiFact's False (2 of 1–6) would round to Mostly false.
        ({"ratingValue": 2, "bestRating": 6, "worstRating": 1, "alternateName": "False"}, "False"),
        # No local rating: the Flip-O-Meter, texts with no match, values off the scale.
        ({"alternateName": "Full Flop"}, None),
        ({"alternateName": "Half Flip"}, None),
        ({"alternateName": "وليدة ذكاء إصطناعي"}, None),
        ({"ratingValue": 9, "bestRating": 5, "worstRating": 1, "alternateName": "Sehr gut"}, None),
        ({}, None),
    ],
)
def test_rating_is_mapped_onto_the_default_scale_by_label_or_value(tmp_path, default_scale, rating, expected):
    run(write(tmp_path, "one.json", claimreview(1, reviewRating={"@type": "Rating", **rating})))

    review = ExternalReview.objects.get()
    assert rating_of(review.url) == expected
    assert review.rating_text == rating.get("alternateName", "")


def test_rating_is_kept_unmapped_when_there_is_no_default_scale(tmp_path, default_scale):
    RatingScale.objects.update(is_default=False)

    run(write(tmp_path, "one.json", claimreview(1)))

    review = ExternalReview.objects.get()
    assert (review.rating_text, review.local_rating) == ("False", None)


# --- Idempotence -------------------------------------------------------------------------


def test_reimporting_the_same_files_changes_nothing(tmp_path, default_scale):
    paths = [
        write(tmp_path, "a.json", [claimreview(1), claimreview(2)]),
        write_lines(tmp_path, "b.jsonl", [claimreview(3)]),
        write(tmp_path, "c.json", {"claims": [google_claim(4)]}),
    ]
    assert counts(run(*paths)) == (4, 0, 0, 0)
    before = list(ExternalReview.objects.order_by("pk").values_list("pk", "url", "updated_at"))

    assert counts(run(*paths)) == (0, 0, 4, 0)

    assert list(ExternalReview.objects.order_by("pk").values_list("pk", "url", "updated_at")) == before


def test_changed_record_is_updated_in_place(tmp_path, default_scale):
    path = write(tmp_path, "a.json", [claimreview(1), claimreview(2)])
    run(path)
    original = ExternalReview.objects.get(identifier="check-1")

    corrected = claimreview(1, reviewRating={"@type": "Rating", "alternateName": "Half True"})
    result = run(write(tmp_path, "a.json", [corrected, claimreview(2)]))

    assert counts(result) == (0, 1, 1, 0)
    review = ExternalReview.objects.get(identifier="check-1")
    assert review.pk == original.pk
    assert (review.rating_text, review.rating_value, review.local_rating.label) == ("Half True", None, "Half true")
    assert review.raw == corrected
    assert review.updated_at > original.updated_at
    assert review.imported_at == original.imported_at


def test_review_urls_are_matched_after_normalization(tmp_path, default_scale):
    run(write(tmp_path, "a.json", claimreview(1)))

    variant = claimreview(1, url="https://CHECKER.example:443/fact-check/1?utm_source=feed#verdict")
    result = run(write(tmp_path, "b.json", variant))

    assert (result["created"], result["updated"]) == (0, 1)  # raw differs: the URL as published
    assert ExternalReview.objects.get().url == "https://checker.example/fact-check/1"


def test_a_review_url_repeated_in_one_import_keeps_its_first_record(tmp_path, default_scale):
    shortened = google_review(1, title="Power cut in some ...")
    path = write(tmp_path, "claims.json", [google_claim(1), google_claim(1, shortened)])

    result = run(path)

    assert counts(result) == (1, 0, 1, 0)
    assert result["duplicates"] == 1
    assert ExternalReview.objects.get().title == "Power cut in some countries only (1)"
    assert counts(run(path)) == (0, 0, 2, 0)


def test_imported_reviews_are_references_attributed_to_their_publisher_not_verdicts(tmp_path, default_scale):
    run(write(tmp_path, "a.json", [claimreview(1), google_claim(2)]))

    assert not Verdict.objects.exists()
    assert not Claim.objects.exists()
    assert sorted(ExternalReview.objects.values_list("publisher_name", "source")) == [
        ("Checker", SOURCE_CLAIMREVIEW),
        ("Misbar", SOURCE_GOOGLE),
    ]


# --- The shared data -----------------------------------------------------------------------

POLITIFACT = "claimreview/politifact-ct2021-2b.claimreview.jsonl"
GOOGLE_SAMPLE = "claimreview/google-factcheck-api-sample.json"


def test_every_politifact_record_imports_with_its_rating_mapped(shared_data, default_scale):
    result = run(str(shared_data / POLITIFACT))

    assert counts(result) == (19_250, 0, 0, 0)
    mapped = {
        (text, label): ExternalReview.objects.filter(rating_text=text, local_rating__label=label).count()
        for text, label in [
            ("True", "True"),
            ("Mostly True", "Mostly true"),
            ("Half True", "Half true"),
            ("Mostly False", "Mostly false"),
            ("False", "False"),
            ("Pants on Fire!", "False"),
        ]
    }
    assert mapped == {
        ("True", "True"): 2471,
        ("Mostly True", "Mostly true"): 3217,
        ("Half True", "Half true"): 3412,
        ("Mostly False", "Mostly false"): 3125,
        ("False", "False"): 4442,
        ("Pants on Fire!", "False"): 2314,
    }
    # The Flip-O-Meter: 172 Full Flop, 70 Half Flip, 27 No Flip.
    assert ExternalReview.objects.filter(local_rating__isnull=True).count() == 269
    assert ExternalReview.objects.filter(publisher_name="PolitiFact", publisher_site="politifact.com").count() == 19_250


def test_every_review_entry_of_the_google_sample_is_accounted_for(shared_data, default_scale):
    claims = json.loads((shared_data / GOOGLE_SAMPLE).read_text(encoding="utf-8"))
    entries = [review for claim in claims for review in claim["claimReview"]]
    distinct_urls = {normalize_url(review["url"]) for review in entries}

    result = run(str(shared_data / GOOGLE_SAMPLE))

    # The sample repeats some reviews (the same URL found by several searches,
    # at times with a title cut short): each URL is one row.
    assert result["errors"] == []
    assert result["created"] == len(distinct_urls) == ExternalReview.objects.count()
    assert result["created"] + result["duplicates"] + len(result["errors"]) == len(entries) == 1776
    assert all(len(raw["claimReview"]) == 1 for raw in ExternalReview.objects.values_list("raw", flat=True))


def test_importing_both_shared_files_twice_creates_nothing_new(shared_data, default_scale):
    paths = [str(shared_data / POLITIFACT), str(shared_data / GOOGLE_SAMPLE)]
    first = run(*paths)
    rows = ExternalReview.objects.count()
    latest_update = ExternalReview.objects.latest("updated_at").updated_at

    second = run(*paths)

    assert first["created"] == rows == 19_250 + 1_291
    assert (second["created"], second["updated"], second["errors"]) == (0, 0, [])
    assert second["skipped"] == first["created"] + first["skipped"]
    assert ExternalReview.objects.count() == rows
    assert ExternalReview.objects.latest("updated_at").updated_at == latest_update

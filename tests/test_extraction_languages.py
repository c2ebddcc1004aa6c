"""Beyond English, never silently (issue 20): each text's language is detected,
languages without a trained model are scored by the general scorer, every
candidate says which scorer gave its score, and `extract_claims --all` lists every
sentence, candidate or not."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from claims.extraction import languages
from claims.extraction.candidates import extract_candidates, read_article

DATA = Path(__file__).resolve().parent / "data"
SEED = "seed/000_421e45027504a804.txt"


def samples() -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / "language_samples.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, text = line.split("\t")
            rows.append((language, text))
    return rows


def test_language_detection_on_short_sentences_reaches_the_measured_accuracy():
    # Measured (MODEL_CARD.md, "Languages"): 158 of 161 right, 59 of 62 of four words or fewer.
    rows = samples()
    assert {language for language, _ in rows} == {"en", "es", "fr", "de", "pt", "ru", "ar"}
    right = [languages.detect_language(text) == language for language, text in rows]
    short = [ok for ok, (_, text) in zip(right, rows, strict=True) if len(text.split()) <= 4]
    assert sum(right) / len(right) >= 0.96
    assert sum(short) / len(short) >= 0.93


def test_a_text_confidently_outside_the_desk_languages_keeps_its_language():
    swedish = (
        "Regeringen meddelade på tisdagen att arbetslösheten har minskat till sju procent, "
        "den lägsta nivån sedan krisen, och att fler ungdomar nu har fast anställning än tidigare."
    )
    assert languages.detect_language(swedish) == "sv"
    assert languages.detect_language("?!") == ""


def test_only_english_goes_to_the_english_model():
    assert languages.scorer_for("en") == languages.scorer_for("en-GB") == "en"
    assert {languages.scorer_for(code) for code in ("es", "ar", "fr", "de", "pt", "sv", "")} == {"general"}


def _with_numbers_and_sources(reading):
    return [s for s in reading.sentences if re.search(r"\d", s.text) and s.claimant is not None]


@pytest.mark.parametrize(
    ("name", "language", "speakers"),
    [
        (
            "article_es.txt",
            "es",
            {
                "Yolanda Díaz",
                "Alberto Núñez Feijóo",
                "Banco de España",
                "Juan Pérez",
                "Instituto Nacional de Estadística",
            },
        ),
        ("article_ar.txt", "ar", {"سامي الخطيب", "البنك المركزي", "وزارة المالية", "عمر حداد", "خالد العمري"}),
    ],
)
def test_spanish_and_arabic_articles_give_general_candidates_with_speakers(name, language, speakers):
    text = (DATA / name).read_text(encoding="utf-8")
    # The page claimed to be English: the text's own language wins.
    reading = read_article(text, language="en")
    assert reading.language == language
    candidates = extract_candidates(text, language="en")
    assert candidates
    assert {c.scorer for c in candidates} == {"general"}
    assert {c.language for c in candidates} == {language}
    assert speakers <= {c.claimant.name for c in candidates if c.claimant}
    # Every sentence with a number and a named source is a candidate here.
    assert all(s.is_candidate for s in _with_numbers_and_sources(reading))


@pytest.mark.parametrize("name", ["article_es.txt", "article_ar.txt"])
def test_extract_claims_all_lists_every_sentence_with_its_score_and_scorer(name, tmp_path):
    path = DATA / name
    out = StringIO()
    call_command("extract_claims", str(path), format="json", every_sentence=True, stdout=out)
    listed = json.loads(out.getvalue())
    text = path.read_text(encoding="utf-8")
    reading = read_article(text)
    assert [s["text"] for s in listed["sentences"]] == [s.text for s in reading.sentences]
    for sentence in listed["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert sentence["scorer"] == "general"
        if re.search(r"\d", sentence["text"]) and sentence["claimant"]:
            # none silently disappears: a candidate, or there with its score
            assert sentence["candidate"] or sentence["score"] is not None
        if sentence["score"] is None:
            assert sentence["status"].startswith("not scored")

    # With a threshold nothing reaches, the same sentences are still listed, scored.
    out = StringIO()
    call_command("extract_claims", str(path), format="json", every_sentence=True, threshold=1.0, stdout=out)
    strict = json.loads(out.getvalue())["sentences"]
    assert len(strict) == len(listed["sentences"])
    assert [s["score"] for s in strict] == [s["score"] for s in listed["sentences"]]

    # The candidates of the plain output are exactly those marked as candidates.
    out = StringIO()
    call_command("extract_claims", str(path), format="json", stdout=out)
    plain = json.loads(out.getvalue())
    assert sorted(c["start"] for c in plain) == sorted(s["start"] for s in listed["sentences"] if s["candidate"])
    assert {c["scorer"] for c in plain} == {"general"}


def test_the_maximum_and_threshold_apply_per_scorer():
    # An English article quoting two sentences in Arabic: those go to the general
    # scorer, and each scorer keeps its own best one.
    text = "\n\n".join(
        [
            "Unemployment in Jordan rose to 22 percent last year, the highest level since 1990, the statistics office said.",
            "Energy Minister Sami Khatib said fuel prices had risen 12 percent since January.",
            "The government has spent more than it planned on fuel subsidies, and it says that the deficit will shrink.",
            "قال وزير الطاقة سامي الخطيب إن أسعار الوقود ارتفعت بنسبة 12 في المئة منذ يناير.",
            "وفقا للبنك المركزي، بلغ معدل التضخم 4.5 في المئة في سبتمبر.",
        ]
    )
    reading = read_article(text, language="en", max_claims=1, threshold=0.0)
    assert reading.language == "en"
    assert [s.scorer for s in reading.sentences] == ["en", "en", "en", "general", "general"]
    candidates = reading.candidates()
    assert sorted(c.scorer for c in candidates) == ["en", "general"]
    assert [s.status for s in reading.sentences].count("over the per-article maximum") == 3


def test_seed_article_zelensky_pleas_are_candidates_attributed_to_zelensky(shared_data):
    text = (shared_data / SEED).read_text(encoding="utf-8")
    candidates = extract_candidates(text)
    pleas = [c for c in candidates if "has been pleading" in c.text or "has been begging NATO" in c.text]
    assert len(pleas) == 2
    assert {c.claimant.name for c in pleas} == {"Volodymyr Zelensky"}
    assert {c.scorer for c in candidates} == {"en"}

"""Claim matching beyond English and beyond the exact words: each text lexed in its
own language on both databases, the same lexemes in Python as in PostgreSQL's
index, and numbers and synonyms found however they are written."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection

from claims.matching import backends, match, text
from claims.models import ExternalReview

pytestmark = pytest.mark.django_db

migration_0025 = importlib.import_module("claims.migrations.0025_match_document_per_language")

# Sentences written for these tests: numbers, named sources, inflections.
SENTENCES = [
    ("en", "The U.S. co-sponsored 3,000,000 COVID-19 tests, 9.2 percent more than in 2019, the minister said."),
    ("en", "Internationally, universal healthcare costs organizations $4,300 per worker (75-100 hours)."),
    ("es", "El ministro dijo que los trabajadores ganaron 3 millones de euros más en 2023, según el informe."),
    ("fr", "Selon le ministre, le chômage a baissé de 2 % l'année dernière dans les régions françaises."),
    ("de", "Die Regierung hat nach Angaben des Ministers 40 Prozent mehr Geld für Schulen ausgegeben."),
    ("pt", "O presidente afirmou que as exportações brasileiras cresceram 12 por cento no último ano."),
    ("ar", "قال وزير الصحة إن عدد المستشفيات الحكومية ارتفع إلى 120 مستشفى خلال العام الماضي."),
    ("ar", "وفقا للرئيسِ، انقطعت الكهرباءُ عن جميع أنحاء أوروبا يوم 28 أبريل."),
    ("ru", "Министр заявил, что экспорт нефти вырос на 5 процентов, according to Reuters."),
    ("xx", "Klingon words stay words: qapla' batlh 2024"),
]


def review(claim: str, *, language: str = "", title: str = "", key: str = "") -> ExternalReview:
    return ExternalReview.objects.create(
        url=f"https://factcheck.example/{key or abs(hash(claim))}/",
        publisher_name="Desk",
        claim_reviewed=claim,
        title=title,
        language=language,
        claim_date=dt.date(2024, 1, 10),
        source="claimreview",
    )


@pytest.fixture(autouse=True)
def fresh_matching_caches():
    backends.forget_stats()
    backends.forget_memory_indexes()
    yield
    backends.forget_stats()
    backends.forget_memory_indexes()


def test_language_tags_pick_a_text_search_configuration():
    assert text.config_for("") == text.config_for(None) == "english"
    assert text.config_for("es") == text.config_for("ES") == "spanish"
    assert text.config_for("pt-BR") == text.config_for("pt_BR") == "portuguese"
    assert text.config_for("ar") == "arabic"
    assert text.config_for("tlh") == "simple"


def test_the_migrations_table_of_languages_is_the_one_python_reads():
    assert migration_0025.CONFIGS == text.CONFIGS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares with PostgreSQL's to_tsvector")
@pytest.mark.parametrize(("language", "sentence"), SENTENCES)
def test_python_lexemes_are_the_ones_postgresql_indexes(language, sentence):
    stored = review(sentence, language=language)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array(SELECT lexeme FROM unnest(match_document)) FROM claims_externalreview WHERE id = %s",
            [stored.pk],
        )
        (indexed,) = cursor.fetchone()
    assert set(indexed) == set(text.lexemes(sentence, text.config_for(language)))


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        # Spanish: plural and singular, verb forms.
        (
            "Los trabajadores ganaron 3 millones de euros en las fábricas del país.",
            "Un trabajador gana 3 millones de euros en una fábrica",
        ),
        # French: plural and singular.
        ("Les hôpitaux publics ont fermé 40 services d'urgence.", "un hôpital public a fermé 40 urgences"),
        # Arabic: the article and the plural (المستشفيات / مستشفى).
        (
            "قال وزير الصحة إن عدد المستشفيات الحكومية ارتفع إلى 120 مستشفى",
            "وزير صحة: 120 مستشفى حكومي",
        ),
    ],
)
def test_a_claim_finds_a_fact_check_of_its_language_in_other_inflections(stored, query):
    language = {"L": "es", "u": "fr"}.get(query[0], "ar")
    target = review(stored, language=language, key="target")
    review("The ministry of health opened 120 new offices in 2023.", language="en", key="other")
    found = match(query, language=language, top=2)
    assert found and found[0].id == target.pk


@pytest.mark.parametrize(
    ("stored", "other", "query"),
    [
        (
            "The state spent 3 million dollars on the new stadium.",
            "The state spent 7 million dollars on the new stadium.",
            "The state spent $3,000,000 on a stadium",
        ),
        (
            "Eighty percent of antibiotics go to livestock.",
            "Twenty percent of antibiotics go to livestock.",
            "80% of antibiotics go to livestock",
        ),
        (
            "NASA says the Earth will go dark for six days.",
            "NASA says the Earth will go dark for nine days.",
            "NASA: the earth goes dark for 6 days",
        ),
        (
            "Jobless claims fell in Ohio last year.",
            "Insurance claims fell in Ohio last year.",
            "Unemployment claims fell in Ohio",
        ),
    ],
)
def test_numbers_and_synonyms_match_however_they_are_written(stored, other, query):
    # The same words with another number, or without the synonym, is ranked below.
    target, _ = review(stored, key="target"), review(other, key="other")
    review("Officials said claims about Ohio were checked.", key="unrelated")
    found = match(query, top=3)
    assert found[0].id == target.pk


def test_expansions_are_other_spellings_not_the_querys_own_words():
    extra = text.expansions("Incomes fell $4,300 and 3 million people, 78% of them")
    assert {"3000000", "4300", "percent"} <= extra
    assert "incom" not in extra and "3" not in extra
    assert text.expansions("Los precios subieron 3 millones", "spanish") == frozenset()
    assert text.numbers("eighty percent, 3 million, 3,000,000 and 9.2") >= {"80", "3000000", "9.2"}
    # float() reads these; they are no numbers.
    assert text.numbers("nan infinity inf") == frozenset()


def test_the_match_endpoint_matches_in_the_language_asked_for(client):
    target = review("Los trabajadores ganaron 3 millones de euros en las fábricas.", language="es", key="es")
    response = client.get("/api/v1/fact-checks/match", {"q": "un trabajador gana 3 millones", "language": "es"})
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["id"] == target.pk
    refused = client.get("/api/v1/fact-checks/match", {"q": "wages", "language": "not a tag"})
    assert refused.status_code == 400 and "language" in refused.json()


def test_the_installed_stemmer_is_the_pinned_release_the_model_was_trained_with():
    import importlib.metadata
    import re
    from pathlib import Path

    from claims.matching import ranking

    requirements = (Path(__file__).resolve().parent.parent / "requirements.txt").read_text()
    pinned = re.search(r"^snowballstemmer==(\S+)", requirements, re.MULTILINE).group(1)
    installed = importlib.metadata.version("snowballstemmer")
    # Another release stems some words otherwise than PostgreSQL 15's index does.
    assert installed == pinned, f"snowballstemmer {installed} is installed; requirements.txt pins {pinned}"
    assert ranking.default_model().info["snowballstemmer"] == pinned

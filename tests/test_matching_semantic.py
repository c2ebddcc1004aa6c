"""The optional semantic backend: a tiny Model2Vec model the tests make (synonyms share
a vector), embeddings in PostgreSQL with pgvector, blended into ``match``.

Everything that needs pgvector runs on PostgreSQL (CI installs the extension with
.ci/install-pgvector) and is skipped, saying why, on SQLite or on a server without
it. Off by default, and misconfiguration, are tested on both databases.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import tasks
from claims.matching import backends, checks, embedding, match, semantic
from claims.matching.imports import import_reviews, parse_text
from claims.models import Claim, ExternalReview
from claims.review import editing

from .factories import ClaimFactory
from .model2vec_support import write_model2vec
from .test_matching import REVIEWS, make_reviews

pytestmark = pytest.mark.django_db

# Words that mean the same to the tiny model: each group shares one vector.
SYNONYMS = [
    ("ferries", "boats"),
    ("stopped", "halted"),
    ("sailing", "voyages"),
    ("across", "over"),
    ("bay", "gulf"),
    ("mayor", "governor"),
    ("closed", "shut"),
    ("libraries", "bookstores"),
]
# A fact-check that shares no word with its query (the synonyms above excepted).
FERRIES = "Ferries stopped sailing across the bay."
BOATS = "Boats halted voyages over gulf"
LIBRARIES = "The mayor closed every library branch."
WORDS = " ".join([*(claim + " " + title for claim, title, *_ in REVIEWS), FERRIES, BOATS, LIBRARIES, "library branch"])
DIMENSIONS = 32


def make_tiny_model(directory: Path, *, dimensions: int = DIMENSIONS) -> Path:
    """A Model2Vec directory as StaticModel.save_pretrained writes it: a word-level
    tokenizer over the tests' words, one random vector per word, one per synonym group."""
    words = sorted(set(re.findall(r"\w+", WORDS.lower())) | {w for group in SYNONYMS for w in group})
    vocabulary = {"[UNK]": 0, **{w: i for i, w in enumerate(words, start=1)}}
    rng = np.random.default_rng(20)
    vectors = rng.normal(size=(len(vocabulary), dimensions)).astype(np.float32)
    vectors[0] = 0.0
    for group in SYNONYMS:
        shared = rng.normal(size=dimensions).astype(np.float32)
        for word in group:
            vectors[vocabulary[word]] = shared
    # Function words weigh little, as in a trained model.
    for word in ("the", "a", "in", "of", "for", "by", "has", "have", "that", "s"):
        if word in vocabulary:
            vectors[vocabulary[word]] *= 0.05
    return write_model2vec(directory, vocabulary, vectors)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("semantic") / "tiny-model2vec")


@pytest.fixture(autouse=True)
def fresh_semantic_state():
    backends.forget_stats()
    backends.forget_memory_indexes()
    embedding.forget()
    semantic.forget()
    yield
    backends.forget_stats()
    backends.forget_memory_indexes()
    embedding.forget()
    semantic.forget()


def pgvector_available() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None


needs_pgvector = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the semantic store is PostgreSQL with pgvector; this run is SQLite"
)


@pytest.fixture
def pgvector():
    if not pgvector_available():
        pytest.skip("this PostgreSQL server has no pgvector extension (bash .ci/install-pgvector installs it)")


@pytest.fixture
def semantic_on(settings, tiny_model, pgvector):
    settings.FACTCHECK_EMBEDDING_MODEL = str(tiny_model)
    # Outbox work runs in this process once committed (CI sets a broker URL, which turns it off).
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return tiny_model


def index_command(*args: str) -> dict:
    out = io.StringIO()
    call_command("semantic_index", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def stored_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, object_id, digest, embedding::text FROM {semantic.TABLE} ORDER BY 1, 2")  # noqa: S608
        return cursor.fetchall()


def ferries_review() -> ExternalReview:
    return ExternalReview.objects.create(
        url="https://www.example.org/fact-checks/ferries/",
        identifier="ferries-2020",
        publisher_name="Example Checks",
        publisher_site="example.org",
        claim_reviewed=FERRIES,
        title="No, the ferries kept running",
        claim_date=dt.date(2020, 5, 1),
        rating_text="False",
        source="claimreview",
    )


# --- The model -------------------------------------------------------------------------


def test_tiny_model_loads_from_its_directory_and_synonyms_share_a_vector(tiny_model):
    model = embedding.load(tiny_model)
    assert (model.library, model.dimensions) == ("model2vec", DIMENSIONS)
    boats, ferries, libraries = model.encode([BOATS, FERRIES, LIBRARIES])
    assert np.isclose(np.linalg.norm(boats), 1.0)
    assert boats @ ferries > 0.9
    assert boats @ ferries > boats @ libraries + 0.5
    # Another model (other vectors, same files) has another fingerprint.
    other = embedding.load(make_tiny_model(tiny_model.parent / "other", dimensions=DIMENSIONS + 1))
    assert other.fingerprint != model.fingerprint


def test_a_model_name_is_never_taken_for_the_hub(tmp_path, monkeypatch):
    # A name like the hub's ("org/model") is refused before any library sees it.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(embedding.EmbeddingModelError, match="absolute path"):
        embedding.load("minishlab/potion-base-8M")
    with pytest.raises(embedding.EmbeddingModelError, match="no such directory"):
        embedding.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(embedding.EmbeddingModelError, match="not a Model2Vec model directory"):
        embedding.load(tmp_path / "empty")


# --- Off by default --------------------------------------------------------------------


def test_off_by_default_matching_is_unchanged_and_never_reads_the_store(settings):
    assert settings.FACTCHECK_EMBEDDING_MODEL == ""
    reviews = make_reviews()
    queries = ["Workers' wages have not been going up in a very long time.", "Boats halted voyages over the gulf"]

    def lexical(text):
        # matching as it was before the semantic backend: candidates, re-ranking, what to show
        from claims.matching import describe, ranking

        query = ranking.Query(text)
        found, stats = backends.candidates(query, public_only=True, exclude_claim=None)
        return [m.as_dict() for m in describe(ranking.rank(query, found, stats)[:10], public_only=True)[:5]]

    with CaptureQueriesContext(connection) as queries_run:
        results = [[m.as_dict() for m in match(text)] for text in queries]
    assert results == [lexical(text) for text in queries]
    assert results[0][0]["id"] == reviews[0].pk
    assert not any(semantic.TABLE in q["sql"] for q in queries_run.captured_queries)
    assert semantic.ready() is False
    assert checks.semantic_backend(databases=["default"]) == []


def test_off_by_default_nothing_is_queued_for_embedding(django_capture_on_commit_callbacks):
    from claims.models import OutboxMessage

    line = json.dumps({"@type": "ClaimReview", "url": "https://example.org/fc/1", "claimReviewed": FERRIES})
    with django_capture_on_commit_callbacks(execute=False):
        import_reviews(parse_text(line))
    assert not OutboxMessage.objects.filter(task=semantic.INDEX_TASK).exists()


@needs_pgvector
def test_with_the_store_built_but_the_setting_unset_matching_is_unchanged(settings, tiny_model, pgvector):
    make_reviews()
    ferries_review()
    before = [[m.as_dict() for m in match(text)] for text in (BOATS, REVIEWS[2][0])]
    settings.FACTCHECK_EMBEDDING_MODEL = str(tiny_model)
    index_command()
    settings.FACTCHECK_EMBEDDING_MODEL = ""
    semantic.forget()
    assert [[m.as_dict() for m in match(text)] for text in (BOATS, REVIEWS[2][0])] == before


# --- Indexing ----------------------------------------------------------------------------


@needs_pgvector
def test_indexing_twice_gives_the_same_rows(semantic_on):
    reviews = make_reviews()
    ClaimFactory(text=LIBRARIES)
    first = index_command()
    assert first["created"] == len(REVIEWS) + 1 and first["updated"] == 0
    rows = stored_rows()
    second = index_command()
    assert (second["created"], second["updated"], second["deleted"]) == (0, 0, 0)
    assert second["unchanged"] == len(REVIEWS) + 1
    assert stored_rows() == rows
    # A deleted review's row goes at the next run.
    reviews[0].delete()
    assert index_command()["deleted"] == 1
    assert semantic.ready()


@needs_pgvector
def test_a_model_of_another_size_needs_a_rebuild(semantic_on, settings):
    make_reviews()
    index_command()
    settings.FACTCHECK_EMBEDDING_MODEL = str(make_tiny_model(semantic_on.parent / "wider", dimensions=48))
    embedding.forget()
    [problem] = checks.semantic_backend(databases=["default"])
    assert problem.id == "claims.E022" and "--rebuild" in problem.hint
    with pytest.raises(CommandError, match="--rebuild"):
        index_command()
    assert index_command("--rebuild")["created"] == len(REVIEWS)
    assert checks.semantic_backend(databases=["default"]) == []


# --- Query time --------------------------------------------------------------------------


@needs_pgvector
def test_a_query_reaches_a_fact_check_that_shares_no_word_with_it(semantic_on, settings):
    make_reviews()
    review = ferries_review()
    settings.FACTCHECK_EMBEDDING_MODEL = ""
    assert review.pk not in [m.id for m in match(BOATS)]  # lexically out of reach
    settings.FACTCHECK_EMBEDDING_MODEL = str(semantic_on)
    index_command()
    found = match(BOATS)
    assert (found[0].kind, found[0].id) == ("external", review.pk)
    assert found[0].score > settings.FACTCHECK_SEMANTIC_WEIGHT * 0.9
    assert all(found[0].score > other.score for other in found[1:])
    # A lexical match keeps its place: the reworded wages claim still finds its fact-check first.
    assert match("Workers' wages have not been going up in a very long time.")[0].identifier == "vclaim-test-00"


@needs_pgvector
def test_semantic_neighbours_keep_to_what_the_caller_may_see(semantic_on, editor, reviewer):
    claim = ClaimFactory(text=FERRIES)
    index_command()
    # Not published: editors see it, the public does not.
    assert [m.id for m in match(BOATS, public_only=False)][:1] == [claim.pk]
    assert claim.pk not in [m.id for m in match(BOATS)]
    assert claim.pk not in [m.id for m in match(BOATS, public_only=False, exclude_claim=claim.pk)]


# --- Kept up to date through the outbox ---------------------------------------------------


@needs_pgvector
def test_an_edited_claim_is_embedded_again_through_the_matching_task(
    semantic_on, editor, django_capture_on_commit_callbacks
):
    claim = ClaimFactory(text=LIBRARIES)
    index_command()
    [(_, _, old_digest, old_vector)] = stored_rows()
    # Unrelated: too far to join the candidates.
    assert claim.pk not in [m.id for m in match(BOATS, public_only=False)]
    with django_capture_on_commit_callbacks(execute=True):
        editing.update_claim(claim.pk, by=editor, changes={"text": FERRIES})
    [(_, _, new_digest, new_vector)] = stored_rows()
    assert new_digest != old_digest and new_vector != old_vector
    assert [m.id for m in match(BOATS, public_only=False)][:1] == [claim.pk]
    # The task again: nothing to do.
    tasks.match_claims([claim.pk])
    assert stored_rows()[0][2] == new_digest


@needs_pgvector
def test_imported_reviews_are_embedded_through_the_outbox(semantic_on, django_capture_on_commit_callbacks):
    index_command()
    line = json.dumps(
        {"@type": "ClaimReview", "url": "https://example.org/fc/ferries", "claimReviewed": FERRIES, "author": "X"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = import_reviews(parse_text(line))
    assert report.created == 1
    [(kind, pk, _, _)] = stored_rows()
    assert (kind, pk) == ("external", ExternalReview.objects.get().pk)
    assert match(BOATS)[0].id == pk


# --- Misconfiguration: said clearly, never a 500 -----------------------------------------


def test_a_missing_model_directory_is_a_system_check_error_and_a_command_error(settings, tmp_path):
    settings.FACTCHECK_EMBEDDING_MODEL = str(tmp_path / "not-installed")
    [problem] = [p for p in checks.semantic_backend() if p.id == "claims.E020"]
    assert "no such directory" in problem.msg and "FACTCHECK_EMBEDDING_MODEL" in problem.msg
    with pytest.raises(CommandError, match="no such directory|PostgreSQL"):
        call_command("semantic_index", skip_checks=True)


def test_manage_py_check_names_the_problem_with_its_id(settings, tmp_path):
    settings.FACTCHECK_EMBEDDING_MODEL = str(tmp_path / "not-installed")
    with pytest.raises(SystemCheckError, match=r"claims\.E020.*no such directory"):
        call_command("check")


def test_a_transformer_directory_needs_sentence_transformers(tmp_path):
    # A transformer's config (not a static model): read by sentence-transformers only,
    # which is not installed here (or, where it is, cannot load this empty model).
    model = tmp_path / "bert"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    with pytest.raises(embedding.EmbeddingModelError, match="sentence-transformers"):
        embedding.load(model)


def test_a_model2vec_config_naming_its_architecture_is_read_by_model2vec(tiny_model, tmp_path):
    # Model2Vec's distillation writes "model_type": "model2vec" and "architectures":
    # ["StaticModel"] in config.json: a static model all the same, never sent to
    # sentence-transformers (whose own directories hold modules.json).
    model = tmp_path / "potion-like"
    model.mkdir()
    for name in ("tokenizer.json", "model.safetensors"):
        (model / name).write_bytes((tiny_model / name).read_bytes())
    (model / "config.json").write_text(
        json.dumps({"model_type": "model2vec", "architectures": ["StaticModel"], "normalize": True})
    )
    assert embedding.load(model).library == "model2vec"
    (model / "modules.json").write_text("[]")
    assert embedding._is_transformer(model)


def test_an_unloadable_model_is_a_system_check_error(settings, tmp_path):
    broken = make_tiny_model(tmp_path / "broken")
    (broken / "model.safetensors").write_bytes(b"not a tensor file")
    settings.FACTCHECK_EMBEDDING_MODEL = str(broken)
    [problem] = checks.semantic_backend()
    assert problem.id == "claims.E020" and "could not be loaded" in problem.msg


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite case")
def test_on_sqlite_the_setting_is_refused_clearly_and_matching_stays_lexical(settings, tiny_model, client):
    make_reviews()
    before = [m.as_dict() for m in match(REVIEWS[0][0])]
    settings.FACTCHECK_EMBEDDING_MODEL = str(tiny_model)
    [problem] = checks.semantic_backend(databases=["default"])
    assert problem.id == "claims.E021" and "needs PostgreSQL" in problem.msg
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("semantic_index", skip_checks=True)
    assert [m.as_dict() for m in match(REVIEWS[0][0])] == before
    assert client.get("/api/v1/fact-checks/match", {"q": BOATS}).status_code == 200


@needs_pgvector
def test_a_server_without_pgvector_is_refused_clearly(settings, tiny_model, monkeypatch):
    settings.FACTCHECK_EMBEDDING_MODEL = str(tiny_model)
    monkeypatch.setattr(semantic, "extension", lambda using="default": (False, False))
    [problem] = checks.semantic_backend(databases=["default"])
    assert problem.id == "claims.E021" and "no pgvector extension" in problem.msg
    with pytest.raises(CommandError, match="no pgvector extension"):
        call_command("semantic_index", skip_checks=True)


@needs_pgvector
def test_a_store_not_built_yet_is_a_warning_and_matching_stays_lexical(semantic_on):
    make_reviews()
    [problem] = checks.semantic_backend(databases=["default"])
    assert problem.id == "claims.W020"
    assert match(REVIEWS[0][0])[0].identifier == "vclaim-test-00"


@needs_pgvector
def test_a_model_broken_after_indexing_leaves_matching_lexical_not_failing(semantic_on, settings, client, caplog):
    make_reviews()
    index_command()
    settings.FACTCHECK_EMBEDDING_MODEL = str(semantic_on.parent / "removed")
    embedding.forget()
    assert match(REVIEWS[0][0])[0].identifier == "vclaim-test-00"
    assert "semantic matching skipped" in caplog.text
    response = client.get("/api/v1/fact-checks/match", {"q": REVIEWS[0][0]})
    assert response.status_code == 200


@needs_pgvector
def test_claims_without_text_the_model_knows_get_no_row(semantic_on):
    ClaimFactory(text="Zzyzx qwerty")  # no word of the tiny model's vocabulary
    assert index_command()["created"] == 0
    assert Claim.objects.count() == 1

"""The optional semantic backend: sentence embeddings of what ``match`` searches,
stored in PostgreSQL with pgvector, blended into the lexical ranking.

Off unless ``FACTCHECK_EMBEDDING_MODEL`` names a model directory (see
``embedding``); with it unset nothing here runs and matching is what it was.
On, it needs PostgreSQL with the ``vector`` extension: the system checks
(``claims.E020``-``E022``, ``claims.W020``) and ``manage.py semantic_index`` say what is
missing, and a query that cannot use it is answered lexically (logged), never
with an error.

The store is one table this module owns (``TABLE``; created by
``semantic_index``, not by a migration, so a database without pgvector
migrates as before): a row per claim or imported review, its embedding, and a
digest of the model's fingerprint and the text embedded, so indexing again
re-encodes only what changed (a new model changes every digest). Two partial
HNSW indexes (cosine), one per kind. Rows are kept current by the outbox
path matching already uses: the ``match_claims`` task embeds its claims
before matching them, and an import of reviews queues ``index_semantic``.

At query time the nearest claims and reviews (``NEIGHBOURS`` of each, at least
``MIN_NEIGHBOUR_SIMILARITY`` close) join the lexical candidates; every candidate is scored by the re-ranker as before and by
its cosine similarity to the query, and ranked by
``(1 - w) * re-ranker score + w * max(cosine, 0)``, ``w`` being
``FACTCHECK_SEMANTIC_WEIGHT``. The blend is not calibrated like the re-ranker
alone: measure it on your model before trusting the triage threshold.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connections, transaction

from claims import outbox
from claims.models import Claim, ExternalReview

from .backends import claim_filter_sql
from .embedding import Embedder, EmbeddingModelError, cached
from .ranking import Candidate, CorpusStats, Query, rank
from .text import config_for

logger = logging.getLogger(__name__)

TABLE = "claims_semantic_embedding"
INDEX_TASK = "claims.tasks.index_semantic"
TASK_BATCH = 500
# Nearest neighbours of each kind added to the lexical candidates, when at least this
# close to the query (cosine): a judgement, not fitted (no model is shipped to fit it
# on), so that a query nothing resembles is not answered with its least distant records.
NEIGHBOURS = 25
MIN_NEIGHBOUR_SIMILARITY = 0.5
# HNSW's search breadth: at least the neighbours asked for.
EF_SEARCH = 100
BATCH_SIZE = 500
READY_TTL = 60.0


class SemanticError(Exception):
    """The semantic backend cannot run here; the message says what is missing and what to do."""


def configured() -> bool:
    return bool(settings.FACTCHECK_EMBEDDING_MODEL)


def embedder() -> Embedder:
    """The configured model (loaded once per process); ``SemanticError`` says why not."""
    try:
        return cached(settings.FACTCHECK_EMBEDDING_MODEL)
    except EmbeddingModelError as exc:
        raise SemanticError(f"FACTCHECK_EMBEDDING_MODEL: {exc}") from None


# --- What the database offers ------------------------------------------------------------


def extension(using: str = "default") -> tuple[bool, bool]:
    """(pgvector is available to this server, it is installed in this database)."""
    if connections[using].vendor != "postgresql":
        return False, False
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT installed_version FROM pg_available_extensions WHERE name = 'vector'")
        row = cursor.fetchone()
    return row is not None, bool(row and row[0])


def stored_dimensions(using: str = "default") -> int | None:
    """The size of the stored embeddings, or None when the table does not exist."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT a.atttypmod FROM pg_attribute a
            WHERE a.attrelid = to_regclass(%s) AND a.attname = 'embedding' AND NOT a.attisdropped
            """,
            [TABLE],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def database_problem(using: str = "default") -> str:
    """Why this database cannot hold the embeddings ("" when it can)."""
    if connections[using].vendor != "postgresql":
        return (
            "semantic matching needs PostgreSQL with the pgvector extension; this database is "
            f"{connections[using].vendor}. Set DATABASE_URL to PostgreSQL, or unset FACTCHECK_EMBEDDING_MODEL."
        )
    try:
        available, _ = extension(using)
    except DatabaseError as exc:
        return f"could not ask PostgreSQL for the pgvector extension: {exc}"
    if not available:
        return (
            "the PostgreSQL server has no pgvector extension ('vector' is not in pg_available_extensions): "
            "install it (on Debian, bash .ci/install-pgvector as root), or unset FACTCHECK_EMBEDDING_MODEL."
        )
    return ""


# --- The store ---------------------------------------------------------------------------


def ensure_store(dimensions: int, *, rebuild: bool = False, using: str = "default") -> bool:
    """Create the extension and the table when missing (True when created; ``ensure_indexes``
    adds the indexes once it is filled).

    A table holding embeddings of another size is refused unless ``rebuild``,
    which drops it first (every row is then embedded again).
    """
    problem = database_problem(using)
    if problem:
        raise SemanticError(problem)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        if rebuild:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        existing = stored_dimensions(using)
        if existing is not None:
            if existing != dimensions:
                raise SemanticError(
                    f"the stored embeddings have {existing} dimensions and the model gives {dimensions}: "
                    "run `python manage.py semantic_index --rebuild`."
                )
            return False
        cursor.execute(
            f"""
            CREATE TABLE {TABLE} (
                kind text NOT NULL CHECK (kind IN ('claim', 'external')),
                object_id bigint NOT NULL,
                digest text NOT NULL,
                embedding vector({int(dimensions)}) NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (kind, object_id)
            )
            """
        )
    forget()
    return True


# Building an HNSW graph in memory is many times faster than growing it row by row:
# a first fill inserts into the bare table and builds the indexes after.
INDEX_BUILD_MEMORY = "512MB"


def ensure_indexes(using: str = "default") -> bool:
    """The two partial HNSW indexes (cosine), built when missing (True when built)."""
    built = False
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
        for kind in ("claim", "external"):
            name = f"{TABLE}_{kind}_hnsw"
            cursor.execute("SELECT to_regclass(%s) IS NULL", [name])
            if cursor.fetchone()[0]:
                cursor.execute(
                    f"CREATE INDEX {name} ON {TABLE} USING hnsw (embedding vector_cosine_ops) WHERE kind = '{kind}'"
                )
                built = True
    return built


_ready: dict[str, tuple[float, bool]] = {}


def ready(using: str = "default") -> bool:
    """The model is configured, the database is PostgreSQL and the table exists
    (looked up once a minute per process)."""
    if not configured() or connections[using].vendor != "postgresql":
        return False
    now = time.monotonic()
    cached_state = _ready.get(using)
    if cached_state is not None and now - cached_state[0] < READY_TTL:
        return cached_state[1]
    try:
        state = stored_dimensions(using) is not None
    except DatabaseError:
        state = False
    _ready[using] = (now, state)
    return state


def forget() -> None:
    """Forget whether the table exists (after creating it; in tests)."""
    _ready.clear()


def vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


def digest(model: Embedder, text: str) -> str:
    return hashlib.sha256(f"{model.fingerprint}\x00{text}".encode()).hexdigest()[:32]


def document_text(text: str, title: str = "") -> str:
    """What is embedded: the claim as stated (a review's title when it states none)."""
    return " ".join((text or title or "").split())


@dataclass
class IndexReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _documents(kind: str, using: str, ids: Sequence[int] | None) -> Iterable[list[tuple[int, str]]]:
    """(pk, text) batches in pk order, for every row of the kind or the given ids."""
    if kind == "claim":
        rows = Claim.objects.using(using).order_by("pk").values_list("pk", "text", "text")
    else:
        rows = ExternalReview.objects.using(using).order_by("pk").values_list("pk", "claim_reviewed", "title")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH_SIZE])
        if not batch:
            return
        last = batch[-1][0]
        yield [(pk, document_text(text, title if kind == "external" else "")) for pk, text, title in batch]


def _write(kind: str, batch: list[tuple[int, str]], model: Embedder, using: str, report: IndexReport) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT object_id, digest FROM {TABLE} WHERE kind = %s AND object_id = ANY(%s)",  # noqa: S608 (our table)
            [kind, [pk for pk, _ in batch]],
        )
        stored = dict(cursor.fetchall())
        wanted = [(pk, text, digest(model, text)) for pk, text in batch]
        changed = [(pk, text, d) for pk, text, d in wanted if stored.get(pk) != d]
        report.unchanged += len(wanted) - len(changed)
        vectors = model.encode([text for _, text, _ in changed]) if changed else []
        upserts, empty = [], []
        for (pk, _, d), vector in zip(changed, vectors, strict=True):
            # Nothing the model knows (no text, or no token it has): no row, rather than a zero vector
            # whose cosine distance is undefined.
            if vector.any():
                upserts.append((kind, pk, d, vector_literal(vector)))
            else:
                empty.append(pk)
        if upserts:
            cursor.executemany(
                f"""
                INSERT INTO {TABLE} (kind, object_id, digest, embedding, updated_at)
                VALUES (%s, %s, %s, %s::vector, now())
                ON CONFLICT (kind, object_id)
                DO UPDATE SET digest = EXCLUDED.digest, embedding = EXCLUDED.embedding, updated_at = now()
                """,  # noqa: S608 (our table)
                upserts,
            )
            for _, pk, _, _ in upserts:
                if pk in stored:
                    report.updated += 1
                else:
                    report.created += 1
        if empty:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE kind = %s AND object_id = ANY(%s)",  # noqa: S608 (our table)
                [kind, empty],
            )
            report.deleted += cursor.rowcount


def index(
    *,
    using: str = "default",
    claim_ids: Sequence[int] | None = None,
    review_ids: Sequence[int] | None = None,
    log: Callable[[str], None] | None = None,
) -> IndexReport:
    """Embed what is missing or changed, in batches of ``BATCH_SIZE`` (one transaction
    each), and drop the rows of deleted records. Without ids: every claim and review;
    with ids, only those (and no sweep for deleted rows). Idempotent."""
    model = embedder()
    if stored_dimensions(using) is None:
        raise SemanticError("the embeddings table does not exist yet: run `python manage.py semantic_index`.")
    report = IndexReport()
    everything = claim_ids is None and review_ids is None
    for kind, ids in (("claim", claim_ids), ("external", review_ids)):
        if not everything and not ids:
            continue
        done = 0
        for batch in _documents(kind, using, None if everything else ids):
            with transaction.atomic(using=using):
                _write(kind, batch, model, using, report)
            done += len(batch)
            if log and everything:
                log(f"{kind}: {done} read")
    if everything:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            for kind, table in (("claim", Claim._meta.db_table), ("external", ExternalReview._meta.db_table)):
                cursor.execute(
                    f"DELETE FROM {TABLE} e WHERE e.kind = %s "  # noqa: S608 (our table names)
                    f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = e.object_id)",
                    [kind],
                )
                report.deleted += cursor.rowcount
    return report


def index_quietly(*, claim_ids: Sequence[int] = (), review_ids: Sequence[int] = (), using: str = "default") -> int:
    """``index`` for the background path: does nothing when the backend is off or not set
    up yet, and logs (rather than raises) a model or database that fails, so the
    lexical work the task also does goes on."""
    if not ready(using) or not (claim_ids or review_ids):
        return 0
    try:
        report = index(using=using, claim_ids=list(claim_ids), review_ids=list(review_ids))
    except (SemanticError, DatabaseError) as exc:
        logger.error("semantic index not updated: %s", exc)
        return 0
    return report.created + report.updated


def queue_indexing(*, review_ids: Iterable[int] = (), claim_ids: Iterable[int] = ()) -> None:
    """Queue the embedding of these records (inside the transaction that changed them);
    nothing when the backend is off."""
    if not configured():
        return
    reviews, claims = sorted(set(review_ids)), sorted(set(claim_ids))
    # In tasks of at most TASK_BATCH records: each ends well within the tasks' time limit.
    for start in range(0, max(len(reviews), len(claims)), TASK_BATCH):
        outbox.enqueue(
            INDEX_TASK,
            queue=settings.FACTCHECK_EXTRACT_QUEUE,
            review_ids=reviews[start : start + TASK_BATCH],
            claim_ids=claims[start : start + TASK_BATCH],
        )


# --- Query time --------------------------------------------------------------------------


def similarities(
    vector: np.ndarray,
    known: Sequence[tuple[str, int]],
    *,
    using: str,
    public_only: bool,
    exclude_claim: int | None,
    neighbours: int = NEIGHBOURS,
) -> dict[tuple[str, int], float]:
    """Cosine similarity to the query of its nearest claims and reviews, and of ``known``
    (the lexical candidates) where they are stored."""
    literal = vector_literal(vector)
    claim_filter, filter_params = claim_filter_sql(public_only, exclude_claim)
    sql = f"""
        SELECT kind, object_id, 1 - (embedding <=> %s::vector) FROM (
            (SELECT e.kind, e.object_id, e.embedding FROM {TABLE} e
             WHERE e.kind = 'claim'
               AND EXISTS (SELECT 1 FROM claims_claim c WHERE c.id = e.object_id AND {claim_filter})
             ORDER BY e.embedding <=> %s::vector LIMIT %s)
            UNION ALL
            (SELECT e.kind, e.object_id, e.embedding FROM {TABLE} e
             WHERE e.kind = 'external'
             ORDER BY e.embedding <=> %s::vector LIMIT %s)
            UNION ALL
            (SELECT e.kind, e.object_id, e.embedding FROM {TABLE} e
             JOIN unnest(%s::text[], %s::bigint[]) AS k(kind, object_id)
               ON e.kind = k.kind AND e.object_id = k.object_id)
        ) found
    """  # noqa: S608 (fixed SQL; every value is a parameter)
    params = [
        literal,
        *filter_params,
        literal,
        neighbours,
        literal,
        neighbours,
        [kind for kind, _ in known],
        [pk for _, pk in known],
    ]
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        # The claim filter is applied while the index is walked (pgvector 0.8's iterative
        # scan; an older pgvector ignores the setting and may return fewer claims).
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(EF_SEARCH)])
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
        cursor.execute(sql, params)
        return {(kind, pk): float(sim) for kind, pk, sim in cursor.fetchall()}


def _load_candidates(keys: Sequence[tuple[str, int]], using: str) -> list[Candidate]:
    """The records the lexical stage did not find, as candidates for the re-ranker."""
    claim_ids = [pk for kind, pk in keys if kind == "claim"]
    review_ids = [pk for kind, pk in keys if kind == "external"]
    found = []
    if claim_ids:
        rows = (
            Claim.objects.using(using)
            .filter(pk__in=claim_ids)
            .values_list("pk", "text", "claimed_on", "article__published_at", "claimant__name", "language")
        )
        for pk, text, claimed_on, published_at, claimant, language in rows:
            date = claimed_on or (published_at.date() if published_at else None)
            found.append(
                Candidate(
                    kind="claim", pk=pk, text=text, date=date, claimant=claimant or "", config=config_for(language)
                )
            )
    if review_ids:
        rows = (
            ExternalReview.objects.using(using)
            .filter(pk__in=review_ids)
            .values_list("pk", "claim_reviewed", "title", "claim_date", "claimant_name", "language")
        )
        for pk, text, title, date, claimant, language in rows:
            found.append(
                Candidate(
                    kind="external",
                    pk=pk,
                    text=text,
                    title=title,
                    date=date,
                    claimant=claimant,
                    config=config_for(language),
                )
            )
    return found


def blend(
    query: Query,
    lexical: Sequence[Candidate],
    stats: CorpusStats,
    *,
    using: str,
    public_only: bool,
    exclude_claim: int | None,
) -> list[tuple[Candidate, float]]:
    """The lexical candidates and the query's nearest neighbours, ranked by the blended score."""
    model = embedder()
    vector = model.encode([query.text])[0]
    if not vector.any():
        return rank(query, lexical, stats)
    known = [(c.kind, c.pk) for c in lexical]
    cosine = similarities(vector, known, using=using, public_only=public_only, exclude_claim=exclude_claim)
    lexical_keys = set(known)
    extra = _load_candidates(
        [key for key, sim in cosine.items() if key not in lexical_keys and sim >= MIN_NEIGHBOUR_SIMILARITY], using
    )
    candidates = [*lexical, *extra]
    # Lexical candidates not embedded yet (added since the last indexing): encoded now.
    missing = [c for c in candidates if (c.kind, c.pk) not in cosine]
    if missing:
        vectors = model.encode([document_text(c.text, c.title) for c in missing])
        for c, v in zip(missing, vectors, strict=True):
            cosine[(c.kind, c.pk)] = float(v @ vector)
    weight = settings.FACTCHECK_SEMANTIC_WEIGHT
    scored = [
        (c, (1.0 - weight) * p + weight * max(cosine.get((c.kind, c.pk), 0.0), 0.0))
        for c, p in rank(query, candidates, stats)
    ]
    scored.sort(key=lambda pair: (-pair[1], pair[0].kind, pair[0].pk))
    return scored

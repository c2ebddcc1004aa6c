"""Candidate lists: the first, cheap stage of matching, one per database.

Both backends score a candidate the same way, an approximate BM25: the idf of
every query lexeme the document holds, summed, times BM25's length factor
(term counts ignored: claims rarely repeat a word). Only the documents that
hold at least one of the query's lexemes are scored.

- PostgreSQL: each table has a stored generated ``match_document`` tsvector
  with a GIN index (migration 0013), so the lexeme filter is an index scan;
  document frequencies come from the planner's statistics on that column
  (``pg_stats.most_common_elems``, kept by ANALYZE/autovacuum), so a query
  never counts rows. When the query's lexemes would together touch more than
  ``ROW_BUDGET`` rows, a document holding only one of the commoner ones is not
  read (``filter_plan``: rare lexemes alone, commoner ones in pairs, a
  tsquery like ``'rare' | ('common1' & 'common2')``), so scoring stays near
  the budget however large the tables grow. pg_trgm's ``similarity()`` is
  computed for the short list only.
- SQLite (and training): ``MemoryIndex``, a sparse lexeme matrix of every
  matchable row held in the process, rebuilt when rows are added or deleted
  (edits are looked for once a minute). Correct and fast enough for the
  embedded default; not meant for millions of rows.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.db import connections
from django.db.models import Count, Max, Q

from claims.models import Claim, ExternalReview, Verdict

from .ranking import Candidate, Model, Query, default_model
from .text import config_for, lexemes

# How many candidates the re-ranker sees, unless the model says otherwise (Model.candidates).
CANDIDATES = 100
# The first stage filters on at most this many of the query's rarest lexemes,
# and drops the commoner ones once together they would touch ROW_BUDGET rows.
ROW_BUDGET = 10_000
MAX_FILTER_TERMS = 12
MAX_PAIRED_TERMS = 6
PAIRED_TERM_ROWS = 5 * ROW_BUDGET
# Query expansions (other spellings of its numbers, synonyms) pick out documents
# too, the rarest first, within what is left of the row budget.
MAX_EXPANSION_TERMS = 6
# Claims never proposed as matches for editors: dismissed ones and duplicates
# (their canonical claim stands for them).
HIDDEN_STATUSES = (Claim.Status.DISMISSED, Claim.Status.DUPLICATE)
STATS_TTL = 300.0
_lock = threading.Lock()


@dataclass(frozen=True)
class FilterPlan:
    """Which documents the first stage scores: those holding any of ``single``
    (the query's rarest lexemes) or at least two of ``paired`` (the next commonest)."""

    single: list[str]
    paired: list[str]

    @property
    def terms(self) -> list[str]:
        return self.single + self.paired


def filter_plan(terms: Sequence[str], df: Callable[[str], float], extra: Sequence[str] = ()) -> FilterPlan:
    """The rarest lexemes, at most ``MAX_FILTER_TERMS`` and only while together they
    touch at most ``ROW_BUDGET`` rows; then up to ``MAX_PAIRED_TERMS`` commoner ones
    held by at most ``PAIRED_TERM_ROWS`` rows each, which only count together: a
    document holding two of them is read, one holding one is not. Lexemes in more
    rows than that (on a large collection: "say", "year") pick nothing out; they
    still count in the re-ranking, as do the rest. Then the rarest of the query's
    expansions (``extra``, at most ``MAX_EXPANSION_TERMS``) that fit in what is left
    of the budget, alone."""
    ordered = sorted(terms, key=lambda t: (df(t), t))
    single, rows = [], 0.0
    for term in ordered:
        if len(single) >= MAX_FILTER_TERMS or rows + df(term) > ROW_BUDGET:
            break
        single.append(term)
        rows += df(term)
    paired = [t for t in ordered[len(single) :] if df(t) <= PAIRED_TERM_ROWS][:MAX_PAIRED_TERMS]
    added = 0
    for term in sorted((t for t in extra if df(t) > 0), key=lambda t: (df(t), t)):
        if added >= MAX_EXPANSION_TERMS or rows + df(term) > ROW_BUDGET:
            break
        single.append(term)
        rows += df(term)
        added += 1
    return FilterPlan(single=single, paired=paired if len(paired) >= 2 else [])


def length_factor(model: Model) -> tuple[float, float]:
    """BM25's (k1 + 1) / (1 + k1 (1 - b + b len / avgdl)) as (k1 + 1) / (c0 + c1 len)."""
    return 1.0 + model.k1 * (1.0 - model.b), model.k1 * model.b / model.avgdl["all"]


# --- In memory (SQLite, training) -----------------------------------------------


class MemoryIndex:
    """Documents as a sparse document-by-lexeme matrix; ``df`` and ``documents`` make it a ``CorpusStats``."""

    def __init__(self, docs: Iterable[Candidate]):
        self.docs: list[Candidate] = list(docs)
        vocabulary: dict[str, int] = {}
        indptr, indices = [0], []
        for doc in self.docs:
            doc.terms = tuple(lexemes(doc.text, doc.config))
            doc.title_terms = tuple(lexemes(doc.title, doc.config)) if doc.title else ()
            distinct = set(doc.terms).union(doc.title_terms)
            indices.extend(vocabulary.setdefault(t, len(vocabulary)) for t in distinct)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(self.docs), max(len(vocabulary), 1)))
        self.lengths = np.diff(matrix.indptr).astype(float)
        self._df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(float)
        # By column: a query reads the columns of its lexemes.
        self.matrix = matrix.tocsc()
        self.vocabulary = vocabulary
        self.documents = float(len(self.docs))
        self.kinds = np.array([doc.kind == "claim" for doc in self.docs], dtype=bool)
        self.pks = np.array([doc.pk for doc in self.docs], dtype=np.int64)

    def df(self, lexeme: str) -> float:
        column = self.vocabulary.get(lexeme)
        return 0.0 if column is None else float(self._df[column])

    def search(
        self, query: Query, *, limit: int | None = None, mask: np.ndarray | None = None, model: Model | None = None
    ) -> list[Candidate]:
        model = model or default_model()
        limit = limit or model.candidates
        plan = filter_plan(
            [t for t in query.terms if t in self.vocabulary],
            self.df,
            [t for t in query.extra_terms if t in self.vocabulary] if model.expansion_weight > 0 else (),
        )
        if not plan.terms or not self.docs:
            return []
        columns = [self.vocabulary[t] for t in plan.terms]
        term_weights = query.term_weights(self, model.expansion_weight)
        weights = np.array([term_weights[t] for t in plan.terms])
        c0, c1 = length_factor(model)
        held = self.matrix[:, columns]
        scores = (held @ weights) * (model.k1 + 1.0) / (c0 + c1 * self.lengths)
        single = np.asarray(held[:, : len(plan.single)].sum(axis=1)).ravel() > 0
        paired = np.asarray(held[:, len(plan.single) :].sum(axis=1)).ravel() >= 2
        scores = np.where(single | paired, scores, 0.0)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        hits = np.flatnonzero(scores > 0)
        # Best first; ties by position, newest rows last in the table order given.
        order = hits[np.lexsort((hits, -scores[hits]))][:limit]
        result = []
        for i in order:
            doc = self.docs[i]
            result.append(
                Candidate(
                    kind=doc.kind,
                    pk=doc.pk,
                    text=doc.text,
                    title=doc.title,
                    date=doc.date,
                    claimant=doc.claimant,
                    score=float(scores[i]),
                    terms=doc.terms,
                    title_terms=doc.title_terms,
                    config=doc.config,
                )
            )
        return result


@dataclass
class _CachedIndex:
    rows: tuple  # count and largest id of each table
    edits: tuple  # latest update of each table
    checked_at: float
    index: MemoryIndex


_memory_indexes: dict[str, _CachedIndex] = {}
# Inserts and deletes are seen at once (a count or largest id changes); edits
# of existing rows need a scan for the latest update, so within this many
# seconds of the last look an edited text may still be matched as it was.
EDITS_CHECKED_EVERY = 60.0


def _rows(using: str) -> tuple:
    return tuple(
        tuple(model.objects.using(using).aggregate(n=Count("pk"), pk=Max("pk")).values())
        for model in (Claim, ExternalReview)
    )


def _edits(using: str) -> tuple:
    return tuple(model.objects.using(using).aggregate(at=Max("updated_at"))["at"] for model in (Claim, ExternalReview))


def _claim_documents(using: str) -> Iterable[Candidate]:
    rows = (
        Claim.objects.using(using)
        .order_by("pk")
        .values_list("pk", "text", "claimed_on", "article__published_at", "claimant__name", "language")
    )
    for pk, text, claimed_on, published_at, claimant, language in rows.iterator(chunk_size=2000):
        date = claimed_on or (published_at.date() if published_at else None)
        yield Candidate(kind="claim", pk=pk, text=text, date=date, claimant=claimant or "", config=config_for(language))


def _review_documents(using: str) -> Iterable[Candidate]:
    rows = (
        ExternalReview.objects.using(using)
        .order_by("pk")
        .values_list("pk", "claim_reviewed", "title", "claim_date", "claimant_name", "language")
    )
    for pk, text, title, date, claimant, language in rows.iterator(chunk_size=2000):
        yield Candidate(
            kind="external", pk=pk, text=text, title=title, date=date, claimant=claimant, config=config_for(language)
        )


def memory_index(using: str = "default") -> MemoryIndex:
    """The in-process index of this database's claims and imported reviews, rebuilt when they changed."""
    rows, now = _rows(using), time.monotonic()
    cached = _memory_indexes.get(using)
    if cached is not None and cached.rows == rows and now - cached.checked_at < EDITS_CHECKED_EVERY:
        return cached.index
    edits = _edits(using)
    with _lock:
        cached = _memory_indexes.get(using)
        if cached is not None and (cached.rows, cached.edits) == (rows, edits):
            cached.checked_at = now
            return cached.index
        docs = [*_claim_documents(using), *_review_documents(using)]
        _memory_indexes[using] = _CachedIndex(rows, edits, now, MemoryIndex(docs))
        return _memory_indexes[using].index


def forget_memory_indexes() -> None:
    _memory_indexes.clear()


def allowed_claims(using: str, *, public_only: bool, exclude_claim: int | None) -> Q:
    """Which of this desk's claims may be proposed."""
    if public_only:
        published = Verdict.objects.using(using).published().values("claim_id")
        condition = Q(pk__in=published)
    else:
        condition = ~Q(status__in=HIDDEN_STATUSES)
    if exclude_claim is not None:
        condition &= ~Q(pk=exclude_claim)
    return condition


def memory_candidates(
    query: Query, *, using: str, public_only: bool, exclude_claim: int | None, limit: int | None = None
) -> tuple[list[Candidate], MemoryIndex]:
    index = memory_index(using)
    allowed = set(
        Claim.objects.using(using)
        .filter(allowed_claims(using, public_only=public_only, exclude_claim=exclude_claim))
        .values_list("pk", flat=True)
    )
    mask = ~index.kinds | np.isin(index.pks, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
    return index.search(query, limit=limit, mask=mask), index


# --- PostgreSQL ---------------------------------------------------------------------


@dataclass
class TableStats:
    rows: float
    frequencies: dict[str, float]  # share of rows holding the lexeme
    floor: float  # share assumed for a lexeme the statistics do not list


class PostgresStats:
    """Document frequencies from the planner's statistics on ``match_document``."""

    def __init__(self, tables: Sequence[TableStats]):
        self.tables = list(tables)
        self.documents = float(sum(t.rows for t in self.tables))

    def df(self, lexeme: str) -> float:
        return sum(t.rows * t.frequencies.get(lexeme, t.floor) for t in self.tables)


_stats_cache: dict[str, tuple[float, PostgresStats]] = {}
MATCH_TABLES = (Claim._meta.db_table, ExternalReview._meta.db_table)


def postgres_stats(using: str = "default") -> PostgresStats:
    now = time.monotonic()
    cached = _stats_cache.get(using)
    if cached is not None and now - cached[0] < STATS_TTL:
        return cached[1]
    tables = []
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            LEFT JOIN pg_stats s
              ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'match_document'
            WHERE c.relname = ANY(%s) AND c.relkind = 'r'
            """,
            [list(MATCH_TABLES)],
        )
        for table, reltuples, elements, freqs in cursor.fetchall():
            rows = float(reltuples)
            if rows < 0:  # never analysed: count once (cached like the rest)
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (our own table names)
                rows = float(cursor.fetchone()[0])
            if elements and freqs:
                # The array ends with the minimum and maximum frequency and the null share.
                frequencies = dict(zip(elements, freqs[: len(elements)], strict=True))
                floor = freqs[len(elements)] / 2
            else:
                frequencies, floor = {}, 1.0 / max(rows, 1.0)
            tables.append(TableStats(rows=rows, frequencies=frequencies, floor=floor))
    stats = PostgresStats(tables)
    _stats_cache[using] = (now, stats)
    return stats


def forget_stats() -> None:
    """Forget cached statistics (after ANALYZE, or in tests)."""
    _stats_cache.clear()


def claim_filter_sql(public_only: bool, exclude_claim: int | None) -> tuple[str, list]:
    """``allowed_claims`` as SQL over claims aliased ``c``, with its parameters (the
    PostgreSQL stages: full text here, nearest neighbours in ``semantic``)."""
    if public_only:
        sql = "EXISTS (SELECT 1 FROM claims_verdict v WHERE v.claim_id = c.id AND v.status = %s)"
        params: list = [Verdict.Status.PUBLISHED]
    else:
        sql = "c.status <> ALL(%s)"
        params = [[str(s) for s in HIDDEN_STATUSES]]
    if exclude_claim is not None:
        sql += " AND c.id <> %s"
        params.append(exclude_claim)
    return sql, params


def _tsquery(term: str) -> str:
    # A literal lexeme in tsquery input syntax: no parsing, no stemming.
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def postgres_candidates(
    query: Query, *, using: str, public_only: bool, exclude_claim: int | None, limit: int | None = None
) -> tuple[list[Candidate], PostgresStats]:
    stats = postgres_stats(using)
    model = default_model()
    limit = limit or model.candidates
    plan = filter_plan(query.terms, stats.df, query.extra_terms if model.expansion_weight > 0 else ())
    terms = plan.terms
    if not terms:
        return [], stats
    term_weights = query.term_weights(stats, model.expansion_weight)
    weights = [term_weights[t] for t in terms]
    c0, c1 = length_factor(model)

    def score(alias: str) -> tuple[str, list]:
        # float8 throughout: a Python float parameter would otherwise be numeric, many times slower.
        cases = " + ".join(f"CASE WHEN {alias}.match_document @@ %s::tsquery THEN %s::float8 ELSE 0 END" for _ in terms)
        params = [value for t, w in zip(terms, weights, strict=True) for value in (_tsquery(t), w)]
        expression = f"({cases}) * %s::float8 / (%s::float8 + %s::float8 * length({alias}.match_document))"
        return expression, [*params, model.k1 + 1.0, c0, c1]

    pairs = [f"({_tsquery(a)} & {_tsquery(b)})" for a, b in itertools.combinations(plan.paired, 2)]
    any_term = " | ".join([_tsquery(t) for t in plan.single] + pairs)
    claim_score, claim_params = score("c")
    review_score, review_params = score("r")
    claim_filter, filter_params = claim_filter_sql(public_only, exclude_claim)
    sql = f"""
        WITH claim_hits AS (
            SELECT c.id, {claim_score} AS score
            FROM claims_claim c
            WHERE c.match_document @@ %s::tsquery AND {claim_filter}
            ORDER BY score DESC, c.id DESC
            LIMIT %s
        ), review_hits AS (
            SELECT r.id, {review_score} AS score
            FROM claims_externalreview r
            WHERE r.match_document @@ %s::tsquery
            ORDER BY score DESC, r.id DESC
            LIMIT %s
        )
        SELECT 'claim', c.id, c.text, '', COALESCE(c.claimed_on, (a.published_at AT TIME ZONE 'UTC')::date),
               COALESCE(cl.name, ''), h.score, similarity(c.text, %s), c.language
        FROM claim_hits h
        JOIN claims_claim c ON c.id = h.id
        LEFT JOIN claims_article a ON a.id = c.article_id
        LEFT JOIN claims_claimant cl ON cl.id = c.claimant_id
        UNION ALL
        SELECT 'external', r.id, r.claim_reviewed, r.title, r.claim_date, r.claimant_name, h.score,
               similarity(r.claim_reviewed, %s), r.language
        FROM review_hits h
        JOIN claims_externalreview r ON r.id = h.id
    """  # noqa: S608 (the interpolated parts are fixed SQL; every value is a parameter)
    params = [
        *claim_params,
        any_term,
        *filter_params,
        limit,
        *review_params,
        any_term,
        limit,
        query.text,
        query.text,
    ]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    candidates = [
        Candidate(
            kind=kind,
            pk=pk,
            text=text,
            title=title,
            date=date,
            claimant=claimant,
            score=float(s),
            trigram=float(t),
            config=config_for(language),
        )
        for kind, pk, text, title, date, claimant, s, t, language in rows
    ]
    candidates.sort(key=lambda c: (-c.score, c.kind, -c.pk))
    return candidates[:limit], stats


def candidates(
    query: Query, *, using: str = "default", public_only: bool, exclude_claim: int | None, limit: int | None = None
):
    """The candidate list and the document frequencies it was scored with."""
    vendor = connections[using].vendor
    fetch = postgres_candidates if vendor == "postgresql" else memory_candidates
    return fetch(query, using=using, public_only=public_only, exclude_claim=exclude_claim, limit=limit)

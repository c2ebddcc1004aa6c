"""Re-ranking a short candidate list: features and the learned model. No database.

Both backends hand over the same thing, a few dozen candidates with their
texts, and get them back scored by the same code, so PostgreSQL and SQLite
rank alike. ``FEATURES`` are every feature this module can compute: BM25 over
the claim and the review's title (idf from the backend's document
frequencies; a query's expansions, other spellings of its numbers and its
synonyms, weigh ``Model.expansion_weight`` of their idf), the share of the
query's idf mass a candidate covers, pg_trgm-style trigram similarity, shared
numbers, the candidate's BM25 rank, and how far apart the two claims' dates
are. A model uses the subset it names (``Model.features``), chosen with its
other settings by cross-validation on the CT2021-2B training queries grouped
by debate (``claims.matching.training``); a linear model trained pairwise
weighs them, and a sigmoid fitted on the same queries turns the result into a
score from 0 to 1.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from .text import DEFAULT_CONFIG, config_for, expansions, lexemes, numbers, trigram_similarity, trigrams

MODEL_PATH = Path(__file__).resolve().parent / "model.json"

FEATURES = (
    "bm25",  # BM25 of claim and title together, relative to the best candidate's
    "log_bm25",  # the same, absolute (log)
    "bm25_claim",  # BM25 of the claim alone, relative to the best candidate's overall BM25
    "bm25_title",  # BM25 of the title alone, likewise
    "coverage",  # share of the query's idf mass found in the candidate
    "trigram",  # pg_trgm similarity of the two claim texts
    "shared_numbers",  # numbers in both
    "numbers_missing",  # the query has numbers and the candidate none of them
    "log_rank",  # log(1 + rank by BM25 among the candidates)
    "days_before",  # log(1 + days the candidate was claimed before the query / 30)
    "after_query",  # the candidate was claimed more than a day after the query
    "same_day",
    "days_after",  # log(1 + days the candidate was claimed after the query / 30)
    "no_date",  # either date unknown (the four above are then 0)
    # BM25 of claim and title together relative to the query's own (the BM25 a document
    # holding just the query's lexemes would get): unlike log_bm25 it does not grow with
    # the collection's size, so a score means the same on a desk with 100 fact-checks.
    "bm25_query",
)
# The columns every model needs whatever else it uses: Platt scaling reads "no_date".
REQUIRED_FEATURES = ("no_date",)

# Same claimant (names compared case- and space-insensitively): added to the
# model's raw score. Not fitted: the CT2021-2B queries name no speaker, so
# the value is a judgement (about a third of the weight of a same-day claim).
CLAIMANT_BONUS = 0.5


class CorpusStats(Protocol):
    """Document frequencies of the searched collection."""

    documents: float

    def df(self, lexeme: str) -> float: ...


@dataclass
class Candidate:
    kind: str  # "claim" (this desk's) or "external"
    pk: int
    text: str
    title: str = ""
    date: dt.date | None = None
    claimant: str = ""
    # pg_trgm's similarity() when PostgreSQL computed it; else computed here.
    trigram: float | None = None
    score: float = 0.0
    # Lexemes of text and title when already known (the in-memory index keeps them).
    terms: tuple[str, ...] | None = None
    title_terms: tuple[str, ...] | None = None
    # The text-search configuration of the candidate's language (text.CONFIGS).
    config: str = DEFAULT_CONFIG


@dataclass
class Query:
    text: str
    date: dt.date | None = None
    claimant: str = ""
    language: str = ""
    config: str = field(init=False)
    terms: list[str] = field(init=False)
    # Lexemes searched for besides the query's own (text.expansions), at a reduced weight.
    extra_terms: list[str] = field(init=False)
    grams: frozenset[str] = field(init=False)
    numbers: frozenset[str] = field(init=False)

    def __post_init__(self):
        self.config = config_for(self.language)
        self.terms = sorted(set(lexemes(self.text, self.config)))
        self.extra_terms = sorted(expansions(self.text, self.config) - set(self.terms))
        self.grams = trigrams(self.text)
        self.numbers = numbers(self.text)

    def term_weights(self, stats: CorpusStats, expansion_weight: float) -> dict[str, float]:
        """Each searched lexeme's weight: its idf, times ``expansion_weight`` for an expansion."""
        weights = {t: idf(stats.df(t), stats.documents) for t in self.terms}
        if expansion_weight > 0:
            for t in self.extra_terms:
                if stats.df(t) > 0:
                    weights[t] = expansion_weight * idf(stats.df(t), stats.documents)
        return weights


@dataclass(frozen=True)
class Model:
    weights: tuple[float, ...]  # one per name in ``features``
    # Platt scaling: slope, intercept, and a shift for candidates scored without dates.
    platt: tuple[float, float, float]
    k1: float
    b: float
    avgdl: dict[str, float]  # "all", "claim", "title": average lengths in lexemes
    info: dict
    features: tuple[str, ...] = FEATURES
    # A query expansion's weight in BM25, as a share of its idf (0: expansions unused).
    expansion_weight: float = 0.0
    # How many candidates the first stage hands to the re-ranker.
    candidates: int = 100
    # The score at which the triage queue shows a match, calibrated with the model
    # (FACTCHECK_MATCH_MIN_SCORE overrides it); None: not calibrated.
    threshold: float | None = None

    def __post_init__(self):
        unknown = [name for name in self.features if name not in FEATURES]
        if unknown or any(name not in self.features for name in REQUIRED_FEATURES):
            raise ValueError(
                f"a matching model over unknown or missing features ({', '.join(unknown or REQUIRED_FEATURES)}); "
                "retrain it with `python manage.py train_matching`."
            )
        if len(self.weights) != len(self.features):
            raise ValueError("a matching model needs one weight per feature")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        data = json.loads(Path(path).read_text())
        return cls(
            weights=tuple(data["weights"]),
            platt=tuple(data["platt"]),
            k1=data["bm25"]["k1"],
            b=data["bm25"]["b"],
            avgdl=data["bm25"]["avgdl"],
            info=data.get("info", {}),
            features=tuple(data["features"]),
            expansion_weight=data.get("expansion_weight", 0.0),
            candidates=data.get("candidates", 100),
            threshold=data.get("threshold"),
        )

    def as_json(self) -> str:
        data = {
            "features": list(self.features),
            "weights": [round(w, 6) for w in self.weights],
            "platt": [round(v, 6) for v in self.platt],
            "bm25": {"k1": self.k1, "b": self.b, "avgdl": {k: round(v, 4) for k, v in self.avgdl.items()}},
            "expansion_weight": self.expansion_weight,
            "candidates": self.candidates,
            "threshold": self.threshold,
            "info": self.info,
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @property
    def columns(self) -> np.ndarray:
        """Where this model's features sit among ``FEATURES``."""
        return np.array([FEATURES.index(name) for name in self.features])

    def probability(self, raw: np.ndarray, undated: np.ndarray) -> np.ndarray:
        slope, intercept, undated_shift = self.platt
        return 1.0 / (1.0 + np.exp(-(slope * raw + intercept + undated_shift * undated)))


@lru_cache(maxsize=1)
def default_model() -> Model:
    return Model.load()


def forget_model() -> None:
    default_model.cache_clear()


def idf(df: float, documents: float) -> float:
    documents = max(documents, 1.0)
    df = min(max(df, 0.0), documents)
    return math.log(1.0 + (documents - df + 0.5) / (df + 0.5))


def _bm25(counts: dict[str, int], length: int, weights: dict[str, float], k1: float, b: float, avgdl: float) -> float:
    if not counts:
        return 0.0
    norm = k1 * (1.0 - b + b * length / max(avgdl, 1e-9))
    return sum(weights[t] * n * (k1 + 1.0) / (n + norm) for t, n in counts.items())


def _query_counts(terms: Sequence[str], weights: dict[str, float]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in terms:
        if t in weights:
            counts[t] = counts.get(t, 0) + 1
    return counts


def normalise_name(name: str) -> str:
    return " ".join(name.casefold().split())


def features(query: Query, candidates: Sequence[Candidate], stats: CorpusStats, model: Model) -> np.ndarray:
    """One row of ``FEATURES`` per candidate (all of them; ``Model.columns`` picks the model's)."""
    rows = np.zeros((len(candidates), len(FEATURES)))
    if not candidates:
        return rows
    weights = query.term_weights(stats, model.expansion_weight)
    total_idf = sum(weights[t] for t in query.terms) or 1.0
    k1, b, avgdl = model.k1, model.b, model.avgdl
    bm25_all, bm25_claim, bm25_title, coverage = [], [], [], []
    for candidate in candidates:
        claim_terms = candidate.terms if candidate.terms is not None else lexemes(candidate.text, candidate.config)
        title_terms = candidate.title_terms
        if title_terms is None:
            title_terms = lexemes(candidate.title, candidate.config) if candidate.title else ()
        claim_counts = _query_counts(claim_terms, weights)
        title_counts = _query_counts(title_terms, weights)
        all_counts = dict(claim_counts)
        for t, n in title_counts.items():
            all_counts[t] = all_counts.get(t, 0) + n
        bm25_all.append(_bm25(all_counts, len(claim_terms) + len(title_terms), weights, k1, b, avgdl["all"]))
        bm25_claim.append(_bm25(claim_counts, len(claim_terms), weights, k1, b, avgdl["claim"]))
        bm25_title.append(_bm25(title_counts, len(title_terms), weights, k1, b, avgdl["title"]))
        coverage.append(min(1.0, sum(weights[t] for t in all_counts) / total_idf))
    bm25_all_a = np.array(bm25_all)
    best = max(bm25_all_a.max(), 1e-9)
    own = dict.fromkeys(query.terms, 1)
    itself = max(_bm25(own, len(own), weights, k1, b, avgdl["all"]), 1e-9)
    # Rank by BM25 among these candidates (ties keep the order given).
    ranks = np.empty(len(candidates))
    ranks[np.argsort(-bm25_all_a, kind="stable")] = np.arange(len(candidates))
    for i, candidate in enumerate(candidates):
        trigram = candidate.trigram
        if trigram is None:
            trigram = trigram_similarity(query.grams, trigrams(candidate.text))
        cand_numbers = numbers(f"{candidate.text} {candidate.title}")
        shared = len(query.numbers & cand_numbers)
        row = [
            bm25_all_a[i] / best,
            math.log1p(bm25_all_a[i]),
            bm25_claim[i] / best,
            bm25_title[i] / best,
            coverage[i],
            trigram,
            shared,
            1.0 if query.numbers and not shared else 0.0,
            math.log1p(ranks[i]),
        ]
        if query.date and candidate.date:
            days = (query.date - candidate.date).days
            row += [
                math.log1p(max(days, 0) / 30),
                1.0 if days < -1 else 0.0,
                1.0 if days == 0 else 0.0,
                math.log1p(max(-days, 0) / 30),
                0.0,
            ]
        else:
            row += [0.0, 0.0, 0.0, 0.0, 1.0]
        row.append(min(bm25_all_a[i] / itself, 2.0))
        rows[i] = row
    return rows


NO_DATE = FEATURES.index("no_date")


def scores(query: Query, candidates: Sequence[Candidate], stats: CorpusStats, model: Model) -> np.ndarray:
    """Each candidate's probability of checking the query's claim."""
    rows = features(query, candidates, stats, model)
    raw = rows[:, model.columns] @ np.asarray(model.weights)
    if query.claimant:
        wanted = normalise_name(query.claimant)
        bonus = [CLAIMANT_BONUS if c.claimant and normalise_name(c.claimant) == wanted else 0.0 for c in candidates]
        raw = raw + np.asarray(bonus)
    return model.probability(raw, rows[:, NO_DATE])


def rank(
    query: Query, candidates: Sequence[Candidate], stats: CorpusStats, model: Model | None = None
) -> list[tuple[Candidate, float]]:
    """The candidates with their scores (0 to 1), best first."""
    if not candidates:
        return []
    model = model or default_model()
    probabilities = scores(query, candidates, stats, model)
    order = sorted(range(len(candidates)), key=lambda i: (-probabilities[i], candidates[i].kind, candidates[i].pk))
    return [(candidates[i], float(probabilities[i])) for i in order]

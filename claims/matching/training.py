"""Training and measuring the matching re-ranker on CLEF-2021 CheckThat! Task 2B (English).

The data (``../shared/data/matching/ct2021-2b/``): 702 sentences from US
political debates and speeches (``iclaim_id <TAB> sentence``), and TREC qrels
pointing each at the PolitiFact fact-checks (``vclaim_id``) that check it,
split into train and dev. The 19,250 fact-checks are the ClaimReview file
``politifact-ct2021-2b.claimreview.jsonl``, whose ``identifier`` is the vclaim_id.

Training uses the train queries only:

1. candidates: the in-memory index over the fact-checks, the same first stage
   SQLite matching uses;
2. features of each candidate (``ranking.FEATURES``), once with the debate's
   date (taken from the query id, ``YYYYMMDD_...``: the day the sentence was
   said) and once without it, so the model also ranks queries whose date is
   unknown;
3. a linear model fitted on pairs (every relevant candidate against the
   ``NEGATIVES_PER_POSITIVE`` best-placed irrelevant ones of its query,
   logistic loss), with the regularisation C chosen from ``C_GRID`` by
   ``FOLDS``-fold cross-validation over whole debates, measured by MAP@5;
4. a sigmoid on the model's output, fitted on the train candidates (Platt
   scaling), so a score reads as a probability that the candidate checks the claim.

The dev queries are only ever scored, never trained on.

Measures (as trec_eval's ``map_cut`` and CheckThat!'s scorer): AP@k sums the
precision at each relevant result within the first k and divides by the
number of relevant fact-checks; MRR is the reciprocal rank of the first
relevant result within the list returned; P@k is the share of relevant
results among the first k.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from .backends import CANDIDATES, MemoryIndex
from .imports import ImportedReview, InputError, read_reviews
from .ranking import FEATURES, Candidate, Model, Query, features
from .text import lexemes

QUERIES_FILE = "train-dev.queries.tsv"
QRELS_FILES = {"train": "train.qrels.tsv", "dev": "dev.qrels.tsv"}
REFERENCES_FILE = "politifact-ct2021-2b.claimreview.jsonl"
C_GRID = (0.1, 1.0, 10.0)
FOLDS = 5
NEGATIVES_PER_POSITIVE = 50
BM25_K1 = 1.2
BM25_B = 0.75


class DataError(ValueError):
    """The data is missing or not in the expected format."""


@dataclass(frozen=True)
class Dataset:
    queries: dict[str, str]
    qrels: dict[str, dict[str, set[str]]]  # split -> query id -> relevant identifiers

    def split(self, name: str) -> list[tuple[str, str, set[str]]]:
        """(query id, text, relevant identifiers) of one split, in a fixed order."""
        return [(qid, self.queries[qid], relevant) for qid, relevant in sorted(self.qrels[name].items())]


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"{path}: {exc.strerror or exc}") from None


def load_dataset(folder: Path) -> Dataset:
    queries: dict[str, str] = {}
    for number, line in enumerate(_lines(folder / QUERIES_FILE), start=1):
        if not line.strip():
            continue
        qid, sep, text = line.partition("\t")
        if not sep or not text.strip():
            raise DataError(f"{folder / QUERIES_FILE} line {number}: expected iclaim_id<TAB>sentence")
        queries[qid.strip()] = text.strip()
    qrels: dict[str, dict[str, set[str]]] = {}
    for split, name in QRELS_FILES.items():
        pairs: dict[str, set[str]] = defaultdict(set)
        for number, line in enumerate(_lines(folder / name), start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 4 or fields[0] not in queries:
                raise DataError(f"{folder / name} line {number}: expected a known iclaim_id, 0, a vclaim_id and 1")
            if fields[3] != "0":
                pairs[fields[0]].add(fields[2])
        qrels[split] = dict(pairs)
    return Dataset(queries=queries, qrels=qrels)


def debate_date(query_id: str) -> dt.date | None:
    """The date a CT2021-2B sentence was said: its id starts with the debate's YYYYMMDD."""
    try:
        return dt.datetime.strptime(query_id[:8], "%Y%m%d").date()
    except ValueError:
        return None


def load_references(path: Path) -> list[ImportedReview]:
    try:
        records = list(read_reviews(path))
    except InputError as exc:
        raise DataError(str(exc)) from None
    reviews = [r for r in records if isinstance(r, ImportedReview)]
    if not reviews:
        raise DataError(f"{path}: no ClaimReview records")
    return reviews


def reference_index(reviews: Sequence[ImportedReview]) -> tuple[MemoryIndex, list[str]]:
    """The fact-checks as an in-memory index (pk = position) and their identifiers."""
    docs = [
        Candidate(
            kind="external", pk=i, text=r.claim_reviewed, title=r.title, date=r.claim_date, claimant=r.claimant_name
        )
        for i, r in enumerate(reviews)
    ]
    return MemoryIndex(docs), [r.identifier for r in reviews]


def average_lengths(reviews: Sequence[ImportedReview]) -> dict[str, float]:
    claims = [len(lexemes(r.claim_reviewed)) for r in reviews]
    titles = [len(lexemes(r.title)) for r in reviews]
    return {
        "claim": float(np.mean(claims)),
        "title": float(np.mean(titles)),
        "all": float(np.mean(np.add(claims, titles))),
    }


# --- Measures ---------------------------------------------------------------------------


def average_precision(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    found, total = 0, 0.0
    for position, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            found += 1
            total += found / position
    return total / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    return next((1.0 / position for position, item in enumerate(ranked, start=1) if item in relevant), 0.0)


def precision(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for item in ranked[:k] if item in relevant) / k


def measures(rankings: Mapping[str, Sequence[str]], relevant: Mapping[str, set[str]]) -> dict[str, float]:
    """MAP@1, MAP@5, MRR and P@5 over the queries of ``relevant``."""
    queries = sorted(relevant)
    if not queries:
        return {"queries": 0, "map@1": 0.0, "map@5": 0.0, "mrr": 0.0, "p@5": 0.0}

    def mean(fn: Callable[[Sequence[str], set[str]], float]) -> float:
        return float(np.mean([fn(rankings.get(q, []), relevant[q]) for q in queries]))

    return {
        "queries": len(queries),
        "map@1": mean(lambda r, rel: average_precision(r, rel, 1)),
        "map@5": mean(lambda r, rel: average_precision(r, rel, 5)),
        "mrr": mean(reciprocal_rank),
        "p@5": mean(lambda r, rel: precision(r, rel, 5)),
    }


# --- Training -----------------------------------------------------------------------------


@dataclass
class Example:
    query_id: str
    identifiers: list[str]  # the candidates', in first-stage order
    features: np.ndarray
    labels: np.ndarray


def examples(
    index: MemoryIndex,
    identifiers: Sequence[str],
    model: Model,
    items: Iterable[tuple[str, str, set[str]]],
    *,
    with_date: bool,
) -> list[Example]:
    result = []
    for qid, text, relevant in items:
        query = Query(text, date=debate_date(qid) if with_date else None)
        found = index.search(query, limit=CANDIDATES, model=model)
        ids = [identifiers[c.pk] for c in found]
        result.append(
            Example(
                query_id=qid,
                identifiers=ids,
                features=features(query, found, index, model),
                labels=np.array([i in relevant for i in ids], dtype=bool),
            )
        )
    return result


def _pairs(batch: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    differences = []
    for example in batch:
        positives = np.flatnonzero(example.labels)
        negatives = np.flatnonzero(~example.labels)[:NEGATIVES_PER_POSITIVE]
        for p in positives:
            differences.extend(example.features[p] - example.features[n] for n in negatives)
    if not differences:
        raise DataError("no relevant fact-check among the candidates of any training query")
    x = np.asarray(differences)
    # Both orders, so the classes balance and no intercept is needed.
    return np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))]


def fit_weights(batch: Sequence[Example], c: float) -> np.ndarray:
    x, y = _pairs(batch)
    classifier = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    return classifier.fit(x, y).coef_[0]


def rankings(batch: Sequence[Example], weights: np.ndarray) -> dict[str, list[str]]:
    result = {}
    for example in batch:
        raw = example.features @ weights
        order = np.argsort(-raw, kind="stable")
        result[example.query_id] = [example.identifiers[i] for i in order]
    return result


def _debate(query_id: str) -> str:
    return query_id.rsplit("_", 1)[0]


def cross_validated_map(
    dated: Sequence[Example], undated: Sequence[Example], relevant: Mapping[str, set[str]], c: float
) -> float:
    """MAP@5 (dated queries) of C, each fold's debates held out of its training."""
    groups = [_debate(e.query_id) for e in dated]
    found: dict[str, list[str]] = {}
    for train_idx, test_idx in GroupKFold(n_splits=FOLDS).split(dated, groups=groups):
        weights = fit_weights([dated[i] for i in train_idx] + [undated[i] for i in train_idx], c)
        found.update(rankings([dated[i] for i in test_idx], weights))
    return measures(found, {e.query_id: relevant[e.query_id] for e in dated})["map@5"]


def platt(batch: Sequence[Example], weights: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and undated shift mapping the model's output to a probability.

    Dated and undated scores sit on different levels (the date features move
    every candidate of a query), so whether dates were compared is an input.
    """
    rows = np.concatenate([e.features for e in batch])
    x = np.column_stack([rows @ weights, rows[:, FEATURES.index("no_date")]])
    labels = np.concatenate([e.labels for e in batch])
    classifier = LogisticRegression(C=1e4, max_iter=5000).fit(x, labels)
    return float(classifier.coef_[0][0]), float(classifier.intercept_[0]), float(classifier.coef_[0][1])


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def train(matching_dir: Path, references_path: Path, *, log: Callable[[str], None] = lambda _: None) -> Model:
    dataset = load_dataset(matching_dir)
    reviews = load_references(references_path)
    index, identifiers = reference_index(reviews)
    # Features need BM25's average lengths: a first model with no weights carries them.
    lengths = average_lengths(reviews)
    base = Model(weights=(0.0,) * len(FEATURES), platt=(1.0, 0.0, 0.0), k1=BM25_K1, b=BM25_B, avgdl=lengths, info={})
    train_items = dataset.split("train")
    relevant = {qid: rel for qid, _, rel in train_items}
    dated = examples(index, identifiers, base, train_items, with_date=True)
    undated = examples(index, identifiers, base, train_items, with_date=False)
    scores = {c: cross_validated_map(dated, undated, relevant, c) for c in C_GRID}
    for c, value in scores.items():
        log(f"C={c}: cross-validated train MAP@5 {value:.4f}")
    best_c = max(C_GRID, key=lambda c: (round(scores[c], 6), -c))
    weights = fit_weights([*dated, *undated], best_c)
    calibration = platt([*dated, *undated], weights)
    recall = float(np.mean([e.labels.sum() / len(relevant[e.query_id]) for e in dated]))
    info = {
        "trained_on": "CLEF-2021 CheckThat! Task 2B (English) train queries; PolitiFact fact-checks",
        "train_queries": len(train_items),
        "references": len(reviews),
        "candidates": CANDIDATES,
        "candidate_recall_train": round(recall, 4),
        "c": best_c,
        "cross_validated_map5": {str(c): round(v, 4) for c, v in scores.items()},
        "folds": FOLDS,
        "negatives_per_positive": NEGATIVES_PER_POSITIVE,
        "data": {
            QUERIES_FILE: file_digest(matching_dir / QUERIES_FILE),
            QRELS_FILES["train"]: file_digest(matching_dir / QRELS_FILES["train"]),
            references_path.name: file_digest(references_path),
        },
        "sklearn": sklearn.__version__,
    }
    return Model(
        weights=tuple(float(w) for w in weights),
        platt=calibration,
        k1=BM25_K1,
        b=BM25_B,
        avgdl=lengths,
        info=info,
    )


def evaluate_offline(
    model: Model, matching_dir: Path, references_path: Path, *, with_date: bool = True
) -> dict[str, dict[str, float]]:
    """The model on both splits, in memory (no database): what train_matching reports."""
    dataset = load_dataset(matching_dir)
    index, identifiers = reference_index(load_references(references_path))
    result = {}
    for split in QRELS_FILES:
        items = dataset.split(split)
        batch = examples(index, identifiers, model, items, with_date=with_date)
        result[split] = measures(rankings(batch, np.asarray(model.weights)), {q: rel for q, _, rel in items})
    return result

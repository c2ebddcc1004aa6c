"""Training and measuring the matching re-ranker on CLEF-2021 CheckThat! Task 2B (English).

The data (``../shared/data/matching/ct2021-2b/``): 702 sentences from US
political debates and speeches (``iclaim_id <TAB> sentence``), and TREC qrels
pointing each at the PolitiFact fact-checks (``vclaim_id``) that check it,
split into train and dev. The 19,250 fact-checks are the ClaimReview file
``politifact-ct2021-2b.claimreview.jsonl``, whose ``identifier`` is the vclaim_id.

The protocol (the model card states it with the numbers):

1. Everything is chosen on the train queries only, by ``FOLDS``-fold
   cross-validation grouped by debate (the query id is the debate's
   ``YYYYMMDD_name`` and the sentence's number: ``debate()``), so a fold's
   debates are never seen by the model scoring them.
2. The settings (``SEARCH``: query expansions' weight, BM25's k1 and b, how
   many candidates the first stage passes on, the re-ranker's feature set, the
   regularisation C) start from values fixed beforehand and are searched one
   at a time in a fixed order; a value replaces the current one when it raises
   the cross-validated MAP@5 (the mean over the queries with their debate's
   date and without it) by at least ``MIN_GAIN``.
3. The chosen model is refitted on all train queries; a sigmoid on its output
   (Platt scaling) turns it into a probability; the triage threshold is the
   lowest score at which the cross-validated best matches are right at least
   ``TARGET_PRECISION`` of the time.
4. ``nested_cross_validation`` repeats step 2 inside each outer fold (the
   search never sees the fold it is measured on): the estimate for unseen
   debates. The dev queries are scored once, by ``evaluate_matching``, never
   used to choose anything.

Per query, candidates come from the in-memory index over the fact-checks
(the first stage SQLite matching uses), with features computed once with the
debate's date (the id's ``YYYYMMDD``, the day the sentence was said) and once
without, so the model also ranks undated claims. The linear model is fitted
on pairs (each relevant candidate against the ``NEGATIVES_PER_POSITIVE``
best-placed irrelevant ones of its query; logistic loss).

Measures (as trec_eval's ``map_cut`` and CheckThat!'s scorer): AP@k sums the
precision at each relevant result within the first k and divides by the
number of relevant fact-checks; MRR is the reciprocal rank of the first
relevant result within the list returned; P@k is the share of relevant
results among the first k.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from .backends import MemoryIndex
from .imports import ImportedReview, InputError, read_reviews
from .ranking import FEATURES, NO_DATE, Candidate, Model, Query, features
from .text import config_for, lexemes

QUERIES_FILE = "train-dev.queries.tsv"
QRELS_FILES = {"train": "train.qrels.tsv", "dev": "dev.qrels.tsv"}
REFERENCES_FILE = "politifact-ct2021-2b.claimreview.jsonl"
FOLDS = 5
NEGATIVES_PER_POSITIVE = 50


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
            kind="external",
            pk=i,
            text=r.claim_reviewed,
            title=r.title,
            date=r.claim_date,
            claimant=r.claimant_name,
            config=config_for(r.language),
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

FEATURE_SETS = {
    # The fourteen features of the model before issue 20.
    "all": FEATURES[:14],
    # BM25 of claim and title together (relative to the best candidate and to the query's
    # own, so no feature grows with the collection's size), coverage, trigrams, numbers
    # and dates: no per-field BM25, no rank.
    "lean": (
        "bm25",
        "bm25_query",
        "coverage",
        "trigram",
        "shared_numbers",
        "numbers_missing",
        "days_before",
        "after_query",
        "same_day",
        "days_after",
        "no_date",
    ),
    # The fewest that carry the text and the dates.
    "minimal": ("bm25", "coverage", "trigram", "shared_numbers", "days_before", "after_query", "no_date"),
}
# The search, in its order: each setting's values, the first being the start, chosen
# before any measurement: expansions count a quarter of a word said (they are guesses),
# BM25's usual k1 and b, 100 candidates, the lean feature set (fewer, more general
# features, as issue 20 asks) and C = 0.1.
SEARCH = (
    ("expansion_weight", (0.25, 0.0, 0.5, 1.0)),
    ("k1", (1.2, 0.9, 1.5, 2.0)),
    ("b", (0.75, 0.5, 0.9, 0.3)),
    ("candidates", (100, 50, 200)),
    ("feature_set", ("lean", "minimal", "all")),
    ("c", (0.1, 0.01, 1.0, 10.0)),
)
# A value replaces the current one only when it raises the cross-validated MAP@5 by at
# least this much: about a quarter of the criterion's standard error over 472 queries,
# so that noise between folds does not move a setting.
MIN_GAIN = 0.005
TARGET_PRECISION = 0.8


@dataclass
class Example:
    query_id: str
    identifiers: list[str]  # the candidates', in first-stage order
    features: np.ndarray  # every feature of ranking.FEATURES
    labels: np.ndarray
    relevant: int = 1  # how many fact-checks check the query (found or not)


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
        found = index.search(query, limit=model.candidates, model=model)
        ids = [identifiers[c.pk] for c in found]
        result.append(
            Example(
                query_id=qid,
                identifiers=ids,
                features=features(query, found, index, model),
                labels=np.array([i in relevant for i in ids], dtype=bool),
                relevant=len(relevant),
            )
        )
    return result


def _pairs(batch: Sequence[Example], columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    differences = []
    for example in batch:
        rows = example.features[:, columns]
        positives = np.flatnonzero(example.labels)
        negatives = np.flatnonzero(~example.labels)[:NEGATIVES_PER_POSITIVE]
        for p in positives:
            differences.append(rows[p] - rows[negatives])
    if not differences:
        raise DataError("no relevant fact-check among the candidates of any training query")
    x = np.concatenate(differences)
    # Both orders, so the classes balance and no intercept is needed.
    return np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))]


def fit_weights(batch: Sequence[Example], c: float, columns: np.ndarray | None = None) -> np.ndarray:
    columns = np.arange(len(FEATURES)) if columns is None else columns
    x, y = _pairs(batch, columns)
    classifier = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    return classifier.fit(x, y).coef_[0]


def raw_scores(example: Example, weights: np.ndarray, columns: np.ndarray) -> np.ndarray:
    return example.features[:, columns] @ weights


def rankings(batch: Sequence[Example], weights: np.ndarray, columns: np.ndarray | None = None) -> dict[str, list[str]]:
    columns = np.arange(len(FEATURES)) if columns is None else columns
    result = {}
    for example in batch:
        order = np.argsort(-raw_scores(example, weights, columns), kind="stable")
        result[example.query_id] = [example.identifiers[i] for i in order]
    return result


def debate(query_id: str) -> str:
    """The debate a CT2021-2B query comes from: its id without the sentence number."""
    return query_id.rsplit("_", 1)[0]


@dataclass(frozen=True)
class Settings:
    expansion_weight: float = SEARCH[0][1][0]
    k1: float = SEARCH[1][1][0]
    b: float = SEARCH[2][1][0]
    candidates: int = SEARCH[3][1][0]
    feature_set: str = SEARCH[4][1][0]
    c: float = SEARCH[5][1][0]

    @property
    def first_stage(self) -> tuple:
        return (self.expansion_weight, self.k1, self.b, self.candidates)

    @property
    def columns(self) -> np.ndarray:
        return np.array([FEATURES.index(name) for name in FEATURE_SETS[self.feature_set]])

    def as_dict(self) -> dict:
        return {
            "expansion_weight": self.expansion_weight,
            "k1": self.k1,
            "b": self.b,
            "candidates": self.candidates,
            "feature_set": self.feature_set,
            "c": self.c,
        }


class Corpus:
    """The train (or any) queries' examples under each first-stage setting, computed once."""

    def __init__(self, index: MemoryIndex, identifiers: Sequence[str], lengths: dict[str, float], items):
        self.index, self.identifiers, self.lengths = index, identifiers, lengths
        self.items = list(items)
        self.relevant = {qid: rel for qid, _, rel in self.items}
        self.groups = np.array([debate(qid) for qid, _, _ in self.items])
        self._cache: dict[tuple, tuple[list[Example], list[Example]]] = {}

    def base_model(self, settings: Settings) -> Model:
        return Model(
            weights=(0.0,) * len(FEATURES),
            platt=(1.0, 0.0, 0.0),
            k1=settings.k1,
            b=settings.b,
            avgdl=self.lengths,
            info={},
            expansion_weight=settings.expansion_weight,
            candidates=settings.candidates,
        )

    def examples(self, settings: Settings) -> tuple[list[Example], list[Example]]:
        """(dated, undated) examples of every query, in ``items`` order."""
        key = settings.first_stage
        if key not in self._cache:
            model = self.base_model(settings)
            self._cache[key] = (
                examples(self.index, self.identifiers, model, self.items, with_date=True),
                examples(self.index, self.identifiers, model, self.items, with_date=False),
            )
        return self._cache[key]


def _map5(batch: Sequence[Example], found: Mapping[str, Sequence[str]], relevant: Mapping[str, set[str]]) -> float:
    return float(np.mean([average_precision(found[e.query_id], relevant[e.query_id], 5) for e in batch]))


def cross_validate(
    corpus: Corpus, settings: Settings, positions: np.ndarray | None = None, *, calibrated: bool = False
) -> dict:
    """MAP@5 of ``settings`` by cross-validation grouped by debate over the queries at
    ``positions`` (all by default): dated, undated and their mean (the criterion).
    ``calibrated``: also each query's best candidate out of fold, as (probability from
    the fold's own Platt scaling, right?), dated and undated."""
    dated, undated = corpus.examples(settings)
    positions = np.arange(len(dated)) if positions is None else positions
    columns = settings.columns
    found_dated: dict[str, list[str]] = {}
    found_undated: dict[str, list[str]] = {}
    best_matches: list[tuple[float, bool]] = []
    folds = GroupKFold(n_splits=FOLDS).split(positions, groups=corpus.groups[positions])
    for train_idx, test_idx in folds:
        train_pos, test_pos = positions[train_idx], positions[test_idx]
        fold_train = [dated[i] for i in train_pos] + [undated[i] for i in train_pos]
        weights = fit_weights(fold_train, settings.c, columns)
        fold_test = [dated[i] for i in test_pos] + [undated[i] for i in test_pos]
        found_dated.update(rankings(fold_test[: len(test_pos)], weights, columns))
        found_undated.update(rankings(fold_test[len(test_pos) :], weights, columns))
        if calibrated:
            slope, intercept, undated_shift = platt(fold_train, weights, columns)
            for example in fold_test:
                if not len(example.labels):
                    best_matches.append((0.0, False))
                    continue
                raw = raw_scores(example, weights, columns)
                best = int(np.argmax(raw))
                shift = undated_shift * example.features[best, NO_DATE]
                probability = 1.0 / (1.0 + np.exp(-(slope * raw[best] + intercept + shift)))
                best_matches.append((float(probability), bool(example.labels[best])))
    map_dated = _map5([dated[i] for i in positions], found_dated, corpus.relevant)
    map_undated = _map5([undated[i] for i in positions], found_undated, corpus.relevant)
    return {
        "map5": (map_dated + map_undated) / 2,
        "map5_dated": map_dated,
        "map5_undated": map_undated,
        "best_matches": best_matches,
    }


def search(
    corpus: Corpus, positions: np.ndarray | None = None, log: Callable[[str], None] = lambda _: None
) -> tuple[Settings, list[dict]]:
    """The settings chosen by ``SEARCH`` over the queries at ``positions``, and every trial."""
    best = Settings()
    best_score = cross_validate(corpus, best, positions)["map5"]
    trials = [{"settings": best.as_dict(), "map5": round(best_score, 4)}]
    log(f"start {best.as_dict()}: cross-validated MAP@5 {best_score:.4f}")
    for name, values in SEARCH:
        for value in values:
            if getattr(best, name) == value:
                continue
            trial = replace(best, **{name: value})
            result = cross_validate(corpus, trial, positions)
            trials.append({"settings": trial.as_dict(), "map5": round(result["map5"], 4)})
            log(
                f"{name}={value}: {result['map5']:.4f} (dated {result['map5_dated']:.4f}, "
                f"undated {result['map5_undated']:.4f})"
            )
            if round(result["map5"] - best_score, 6) >= MIN_GAIN:
                best, best_score = trial, result["map5"]
        log(f"  keep {name}={getattr(best, name)}")
    return best, trials


def nested_cross_validation(corpus: Corpus, log: Callable[[str], None] = lambda _: None) -> dict[str, float]:
    """MAP@5 on unseen debates: each outer fold's queries ranked by a model whose settings
    were searched (and weights fitted) on the other folds only."""
    dated, undated = corpus.examples(Settings())
    everything = np.arange(len(dated))
    found_dated: dict[str, list[str]] = {}
    found_undated: dict[str, list[str]] = {}
    for fold, (train_pos, test_pos) in enumerate(GroupKFold(n_splits=FOLDS).split(everything, groups=corpus.groups)):
        chosen, _ = search(corpus, train_pos)
        log(f"outer fold {fold + 1}: {chosen.as_dict()}")
        dated, undated = corpus.examples(chosen)
        weights = fit_weights([dated[i] for i in train_pos] + [undated[i] for i in train_pos], chosen.c, chosen.columns)
        found_dated.update(rankings([dated[i] for i in test_pos], weights, chosen.columns))
        found_undated.update(rankings([undated[i] for i in test_pos], weights, chosen.columns))
    return {
        "map5_dated": measures(found_dated, corpus.relevant)["map@5"],
        "map5_undated": measures(found_undated, corpus.relevant)["map@5"],
    }


def platt(batch: Sequence[Example], weights: np.ndarray, columns: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and undated shift mapping the model's output to a probability.

    Dated and undated scores sit on different levels (the date features move
    every candidate of a query), so whether dates were compared is an input.
    """
    rows = np.concatenate([e.features for e in batch])
    x = np.column_stack([rows[:, columns] @ weights, rows[:, FEATURES.index("no_date")]])
    labels = np.concatenate([e.labels for e in batch])
    classifier = LogisticRegression(C=1e4, max_iter=5000).fit(x, labels)
    return float(classifier.coef_[0][0]), float(classifier.intercept_[0]), float(classifier.coef_[0][1])


def calibrate_threshold(
    scored: Sequence[tuple[float, bool]], target: float = TARGET_PRECISION
) -> tuple[float, float, float]:
    """The lowest score s such that, among best matches scoring at least s, at least
    ``target`` are right; with that precision and the share of queries shown.
    ``scored``: each query's best match as (probability, right?)."""
    ordered = sorted(scored, key=lambda pair: -pair[0])
    right, best = 0, None
    for shown, (score, correct) in enumerate(ordered, start=1):
        right += correct
        # A threshold must separate: only where the next score is lower.
        if right / shown >= target and (shown == len(ordered) or ordered[shown][0] < score):
            best = (score, right / shown, shown / len(ordered))
    if best is None:
        return 1.0, 0.0, 0.0
    return best


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def train(
    matching_dir: Path,
    references_path: Path,
    *,
    log: Callable[[str], None] = lambda _: None,
    nested: bool = False,
) -> Model:
    dataset = load_dataset(matching_dir)
    reviews = load_references(references_path)
    index, identifiers = reference_index(reviews)
    train_items = dataset.split("train")
    corpus = Corpus(index, identifiers, average_lengths(reviews), train_items)
    chosen, trials = search(corpus, log=log)
    measured = cross_validate(corpus, chosen, calibrated=True)
    dated, undated = corpus.examples(chosen)
    columns = chosen.columns
    weights = fit_weights([*dated, *undated], chosen.c, columns)
    calibration = platt([*dated, *undated], weights, columns)
    # The threshold from the scores each query's best match got from a model (and a
    # calibration) fitted without its debate, dated and undated alike.
    threshold, threshold_precision, shown = calibrate_threshold(measured["best_matches"])
    recall = float(np.mean([e.labels.sum() / e.relevant for e in dated]))
    info = {
        "trained_on": "CLEF-2021 CheckThat! Task 2B (English) train queries; PolitiFact fact-checks",
        "train_queries": len(train_items),
        "references": len(reviews),
        "candidate_recall_train": round(recall, 4),
        "settings": chosen.as_dict(),
        "cross_validated_map5": {
            "criterion": round(measured["map5"], 4),
            "dated": round(measured["map5_dated"], 4),
            "undated": round(measured["map5_undated"], 4),
        },
        "threshold_cv": {
            "target_precision": TARGET_PRECISION,
            "precision": round(threshold_precision, 4),
            "shown": round(shown, 4),
        },
        "search": trials,
        "folds": FOLDS,
        "grouped_by": "debate (query id without its sentence number)",
        "negatives_per_positive": NEGATIVES_PER_POSITIVE,
        "data": {
            QUERIES_FILE: file_digest(matching_dir / QUERIES_FILE),
            QRELS_FILES["train"]: file_digest(matching_dir / QRELS_FILES["train"]),
            references_path.name: file_digest(references_path),
        },
        "sklearn": sklearn.__version__,
        # The stems, and so the model, depend on the Snowball release (requirements.txt pins it).
        "snowballstemmer": importlib.metadata.version("snowballstemmer"),
    }
    if nested:
        info["nested_cross_validated_map5"] = {k: round(v, 4) for k, v in nested_cross_validation(corpus, log).items()}
    return Model(
        weights=tuple(float(w) for w in weights),
        platt=calibration,
        k1=chosen.k1,
        b=chosen.b,
        avgdl=corpus.lengths,
        info=info,
        features=FEATURE_SETS[chosen.feature_set],
        expansion_weight=chosen.expansion_weight,
        candidates=chosen.candidates,
        threshold=round(float(threshold), 4),
    )


# --- Rewording suite ----------------------------------------------------------------------

REWORDING_SUITE = Path(__file__).resolve().parent.parent.parent / "tests" / "data" / "rewording_pairs.tsv"


def load_rewordings(path: Path = REWORDING_SUITE) -> list[tuple[str, str]]:
    """(fact-check identifier, reworded claim) pairs; lines starting with # are comments."""
    pairs = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        identifier, sep, text = line.partition("\t")
        if not sep or not text.strip():
            raise DataError(f"{path} line {number}: expected identifier<TAB>reworded claim")
        pairs.append((identifier.strip(), text.strip()))
    return pairs


def rewording_first_rank(
    rank: Callable[[str], Sequence[str]], pairs: Sequence[tuple[str, str]]
) -> dict[str, float | list[str]]:
    """How many reworded claims rank their fact-check first, given ``rank`` (text -> identifiers, best first)."""
    missed = []
    positions = []
    for identifier, text in pairs:
        ranked = list(rank(text))
        positions.append(ranked.index(identifier) + 1 if identifier in ranked else 0)
        if positions[-1] != 1:
            missed.append(identifier)
    return {
        "pairs": len(pairs),
        "first": sum(1 for p in positions if p == 1) / len(pairs),
        "top5": sum(1 for p in positions if 1 <= p <= 5) / len(pairs),
        "missed": missed,
    }


def evaluate_rewordings_offline(model: Model, references_path: Path, path: Path = REWORDING_SUITE) -> dict:
    """The rewording suite in memory: each reworded claim (no date) against every fact-check."""
    from .ranking import rank

    index, identifiers = reference_index(load_references(references_path))

    def ranked(text: str) -> list[str]:
        query = Query(text)
        return [identifiers[c.pk] for c, _ in rank(query, index.search(query, model=model), index, model)]

    return rewording_first_rank(ranked, load_rewordings(path))


# --- Beyond English: the Google Fact Check Tools sample -------------------------------------

GOOGLE_SAMPLE_FILE = "google-factcheck-api-sample.json"


@dataclass(frozen=True)
class RetrievalSet:
    """Documents (text, language) and queries (text, language, relevant document positions)."""

    documents: list[tuple[str, str]]
    queries: list[tuple[str, str, set[int]]]
    trivial: int  # queries left out because their text is one of their targets' word for word


def google_sample_retrieval(path: Path) -> RetrievalSet:
    """A retrieval set from a ``claims:search`` response (``text`` and ``claimReview[]``):

    - documents: every review, by distinct URL, its ``title`` the text, its ``languageCode`` the language;
    - queries: every distinct claim ``text`` (white space collapsed), in the language of its
      first review; its targets are the reviews of every record with that text;
    - a query whose text equals one of its targets' titles is left out (counted in ``trivial``).
    """
    import json

    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: {exc}") from None
    if isinstance(records, dict):
        records = records.get("claims", [])
    documents: list[tuple[str, str]] = []
    position: dict[str, int] = {}
    targets: dict[str, set[int]] = defaultdict(set)
    languages: dict[str, str] = {}
    for record in records:
        text = " ".join(str(record.get("text") or "").split())
        reviews = [r for r in record.get("claimReview") or [] if r.get("url") and (r.get("title") or "").strip()]
        if not text or not reviews:
            continue
        languages.setdefault(text, reviews[0].get("languageCode") or "")
        for review in reviews:
            if review["url"] not in position:
                position[review["url"]] = len(documents)
                documents.append((" ".join(review["title"].split()), review.get("languageCode") or ""))
            targets[text].add(position[review["url"]])
    queries, trivial = [], 0
    for text, relevant in sorted(targets.items()):
        if any(documents[i][0] == text for i in relevant):
            trivial += 1
            continue
        queries.append((text, languages[text], relevant))
    return RetrievalSet(documents=documents, queries=queries, trivial=trivial)


def evaluate_retrieval(model: Model, data: RetrievalSet, *, per_language: bool = True) -> dict[str, float]:
    """MAP@5 and the rest of ``measures`` on a retrieval set, in memory, queries undated;
    ``per_language=False`` lexes every text as English (matching before issue 20)."""
    from .ranking import rank

    docs = [
        Candidate(kind="external", pk=i, text=text, config=config_for(language) if per_language else config_for("en"))
        for i, (text, language) in enumerate(data.documents)
    ]
    index = MemoryIndex(docs)
    found, relevant = {}, {}
    for number, (text, language, targets) in enumerate(data.queries):
        query = Query(text, language=language if per_language else "en")
        ranked = rank(query, index.search(query, model=model), index, model)
        found[str(number)] = [str(c.pk) for c, _ in ranked]
        relevant[str(number)] = {str(i) for i in targets}
    return measures(found, relevant)


def evaluate_offline(
    model: Model, matching_dir: Path, references_path: Path, *, with_date: bool = True, splits=tuple(QRELS_FILES)
) -> dict[str, dict[str, float]]:
    """The model on the given splits, in memory (no database)."""
    dataset = load_dataset(matching_dir)
    index, identifiers = reference_index(load_references(references_path))
    result = {}
    for split in splits:
        items = dataset.split(split)
        batch = examples(index, identifiers, model, items, with_date=with_date)
        result[split] = measures(
            rankings(batch, np.asarray(model.weights), model.columns), {q: rel for q, _, rel in items}
        )
    return result

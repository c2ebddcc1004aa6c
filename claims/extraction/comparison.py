"""The second round of check-worthiness candidates (issue 20; MODEL_CARD.md).

Each candidate is scored leave-one-debate-out on the training debates exactly
as the shipped procedure (``training._train``): for every held-out debate, each
view's C is chosen by grouped cross-validation inside the other debates, a
regression with that C is fitted on them, and the standardised outputs of the
views are added. The sigmoid is monotone, so it is left out: average precision
only needs the ranking. The reference (the shipped B + D) is scored by the
same code, so that per-debate differences are paired.

    python -m claims.extraction.comparison [DATA_DIR] [--claimreview-dir DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from . import training
from .checkworthiness import normalise
from .training import (
    CUE_C_GRID,
    EMBEDDING_C_GRID,
    INNER_FOLDS,
    MIN_DF,
    WORD_C_GRID,
    Debate,
    StaticEmbedding,
    _choose_c,
    _Dataset,
    _debate_map,
    _deviation,
    _fit,
    average_precision,
    load_debates,
    load_extra_positives,
    split_dev,
    term_weighting,
)


def neighbour_cues(cues: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each row's previous and next row's cues within its document (zeros at either end)."""
    previous, following = np.zeros_like(cues), np.zeros_like(cues)
    same_before = np.concatenate([[False], groups[1:] == groups[:-1]])
    same_after = np.concatenate([groups[:-1] == groups[1:], [False]])
    previous[same_before] = cues[np.flatnonzero(same_before) - 1]
    following[same_after] = cues[np.flatnonzero(same_after) + 1]
    return np.hstack([previous, following])


@dataclass(frozen=True)
class View:
    """One regression of the sum: its matrix for the training rows and all rows, its grid."""

    build: Callable[
        [_Dataset, np.ndarray], tuple[object, object, object]
    ]  # -> X (all rows), X_extra or None, n_features
    grid: Sequence[float]


def _words(min_df: int = MIN_DF, min_debates: int = 0):
    def build(data: _Dataset, rows: np.ndarray):
        weighting = term_weighting(data.counts[rows], min_df)
        if min_debates:
            training_groups = np.unique(data.groups[rows])
            seen = np.zeros((len(training_groups), data.counts.shape[1]), dtype=bool)
            for i, g in enumerate(training_groups):
                seen[i, np.unique(data.counts[data.groups == g].indices)] = True
            idf = np.where(seen.sum(axis=0) >= min_debates, weighting.idf, 0.0)
            weighting = training.TermWeighting(idf, weighting.sublinear_tf)
        extra = weighting.apply(data.extra_counts) if data.extra else None
        return weighting.apply(data.counts), extra, int((weighting.idf > 0).sum())

    return build


def _cues(data: _Dataset, rows: np.ndarray):
    return data.cues, (data.extra_cues if data.extra else None), data.cues.shape[1]


def _context(data: _Dataset, rows: np.ndarray):
    context = neighbour_cues(data.cues, data.groups)
    extra = np.zeros((len(data.extra), context.shape[1])) if data.extra else None
    return context, extra, context.shape[1]


EMBEDDING: StaticEmbedding | None = None  # set by main() from --embedding-model


def _embedded(data: _Dataset, rows: np.ndarray):
    if data.embedded is None:
        raise SystemExit("the embedding candidates need --embedding-model DIR")
    return data.embedded, (data.extra_embedded if data.extra else None), data.embedded.shape[1]


_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
TWEET_FILES = ("training_v2.tsv", "dev_v2.tsv")  # never the test files
TWEET_WEIGHT = 0.25


def clean_tweet(text: str) -> str:
    text = _MENTION.sub(" ", _URL.sub(" ", text)).replace("#", "")
    return re.sub(r"\s+", " ", text).strip()


def load_tweets(folder: Path) -> tuple[list[str], np.ndarray]:
    """CLEF-2020 CheckThat! Task 1 English tweets (training and dev files of v2), cleaned, with their labels."""
    texts, labels = [], []
    for name in TWEET_FILES:
        with (Path(folder) / name).open(encoding="utf-8", newline="") as stream:
            header = stream.readline().rstrip("\r\n").split("\t")
            text_at, label_at = header.index("tweet_text"), header.index("check_worthiness")
            for line in stream:
                fields = line.rstrip("\r\n").split("\t")
                if len(fields) == len(header):
                    texts.append(clean_tweet(fields[text_at]))
                    labels.append(int(fields[label_at]))
    return texts, np.array(labels, dtype=np.int64)


CLAIMBUSTER_FILE = "kfold_25ncs.json"  # data/two_class/ of utaresearch/claimbuster-spotter
CLAIMBUSTER_MATCH_WORDS = 8


def load_claimbuster(path: Path, debates: Sequence[Debate], log=print) -> tuple[list[str], np.ndarray]:
    """ClaimBuster's two-class sentences numbered below the first one that is also in a CLEF debate."""
    records = sorted(json.loads(Path(path).read_text(encoding="utf-8")), key=lambda r: r["sentence_id"])
    known = {
        normalise(s).lower()
        for debate in debates
        for s in debate.sentences
        if len(s.split()) >= CLAIMBUSTER_MATCH_WORDS
    }
    matched = [r["sentence_id"] for r in records if normalise(r["text"]).lower() in known]
    cut = min(matched) if matched else None
    kept = [r for r in records if cut is None or r["sentence_id"] < cut]
    log(
        f"ClaimBuster: {len(records)} sentences, {len(matched)} also in the CLEF debates "
        f"(numbers {matched[:3]}...{matched[-3:]}), cut at {cut}: {len(kept)} kept, "
        f"{sum(r['label'] for r in kept)} check-worthy"
    )
    return [r["text"] for r in kept], np.array([int(r["label"]) for r in kept], dtype=np.int64)


def _fit_with_labelled_extra(X, y, c, X_extra, y_extra, share: float):
    """Class-balanced regression on the debate rows (as training._fit) plus labelled extra
    rows, balanced within themselves and together weighing share times the debate rows."""
    n, n_pos = len(y), int(y.sum())
    weights = np.where(y == 1, n / (2 * n_pos), n / (2 * (n - n_pos)))
    m, m_pos = len(y_extra), int(y_extra.sum())
    extra_weights = share * np.where(y_extra == 1, n / (2 * m_pos), n / (2 * (m - m_pos)))
    X_all = sp.vstack([X, X_extra], format="csr") if sp.issparse(X) else np.vstack([X, X_extra])
    classifier = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=training.SEED)
    return classifier.fit(X_all, np.concatenate([y, y_extra]), sample_weight=np.concatenate([weights, extra_weights]))


def _choose_c_labelled(X, y, groups, c_grid, inner_folds, X_extra, y_extra, share):
    """training._choose_c with labelled extra rows in every training fold (never held out)."""
    members = np.unique(groups)
    folds = min(inner_folds, len(members))
    fold_of_debate = {int(g): i % folds for i, g in enumerate(sorted(members))}
    fold = np.array([fold_of_debate[int(g)] for g in groups])
    best, best_map, best_scores = None, -1.0, None
    for c in c_grid:
        scores = np.zeros(len(y))
        for k in range(folds):
            held = fold == k
            if not y[~held].any():
                continue
            model = _fit_with_labelled_extra(X[~held], y[~held], c, X_extra, y_extra, share)
            on_training = model.decision_function(X[~held])
            scores[held] = (model.decision_function(X[held]) - on_training.mean()) / _deviation(on_training)
        value = _debate_map(y, groups, scores, members)
        if value > best_map:
            best, best_map, best_scores = c, value, scores
    return best, best_scores


def smooth(scores: np.ndarray, groups: np.ndarray, weight: float) -> np.ndarray:
    """Each score plus weight times the mean of its neighbours' in the same document."""
    if weight == 0:
        return scores
    total, count = np.zeros_like(scores), np.zeros_like(scores)
    same_before = np.concatenate([[False], groups[1:] == groups[:-1]])
    same_after = np.concatenate([groups[:-1] == groups[1:], [False]])
    total[same_before] += scores[np.flatnonzero(same_before) - 1]
    count[same_before] += 1
    total[same_after] += scores[np.flatnonzero(same_after) + 1]
    count[same_after] += 1
    return scores + weight * np.divide(total, count, out=np.zeros_like(total), where=count > 0)


SMOOTHING_GRID = (0.0, 0.25, 0.5)


WIDE_WORD_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
WIDE_CUE_GRID = (0.01, 0.03, 0.1, 1.0, 10.0)

B_D_VIEWS = [View(_words(), WORD_C_GRID), View(_cues, CUE_C_GRID)]  # the first round's winner
I_VIEWS = [View(_words(min_debates=3), WORD_C_GRID), View(_cues, CUE_C_GRID)]  # the second round's
EMBEDDINGS = View(_embedded, EMBEDDING_C_GRID)

CANDIDATES: dict[str, tuple[list[View], str | bool]] = {
    # name: (views, True: the extra positives / "smooth": G2 / a key of LABELLED / False)
    "shipped B + D": (B_D_VIEWS, False),
    "F + ClaimReview positives": (B_D_VIEWS, True),
    "G + neighbours' cues": ([*B_D_VIEWS, View(_context, CUE_C_GRID)], False),
    "H wider C grids": ([View(_words(), WIDE_WORD_GRID), View(_cues, WIDE_CUE_GRID)], False),
    "I words in >= 3 debates": (I_VIEWS, False),
    "G2 neighbour smoothing": (B_D_VIEWS, "smooth"),
    "J + CheckThat! 2020 tweets": (B_D_VIEWS, "tweets"),
    # third round (I, shipped then, is the reference)
    "K I + static embeddings": ([*I_VIEWS, EMBEDDINGS], False),
    "K2 static embeddings + cues": ([EMBEDDINGS, View(_cues, CUE_C_GRID)], False),
    "L I + ClaimBuster, weight 0.25": (I_VIEWS, "claimbuster"),
    "L1 I + ClaimBuster, weight 1": (I_VIEWS, "claimbuster1"),
    "M K + ClaimBuster, weight 0.25": ([*I_VIEWS, EMBEDDINGS], "claimbuster"),
}
# mode: (source of the labelled extra texts, their share of the debates' weight)
LABELLED = {
    "tweets": ("tweets", TWEET_WEIGHT),
    "claimbuster": ("claimbuster", 0.25),
    "claimbuster1": ("claimbuster", 1.0),
}


def held_out_scores(
    data: _Dataset,
    views: Sequence[View],
    held_out: int,
    *,
    mode: str | bool,
    extra_labels: np.ndarray | None = None,
    inner_folds: int = INNER_FOLDS,
) -> tuple[np.ndarray, dict]:
    """The sum of the standardised view outputs on the held-out debate, trained on the others."""
    rows = data.groups != held_out
    y, groups = data.y[rows], data.groups[rows]
    total = np.zeros(int((~rows).sum()))
    inner = np.zeros(len(y))
    info: dict = {"c": [], "features": 0}
    for view in views:
        X, X_extra, n_features = view.build(data, rows)
        if mode in LABELLED:
            share = LABELLED[mode][1]
            c, out_of_fold = _choose_c_labelled(
                X[rows], y, groups, view.grid, inner_folds, X_extra, extra_labels, share
            )
            final = _fit_with_labelled_extra(X[rows], y, c, X_extra, extra_labels, share)
        else:
            X_extra = X_extra if mode is True else None
            weight = training.EXTRA_WEIGHT if mode is True else 0.0
            choice = _choose_c(X[rows], y, groups, view.grid, inner_folds, X_extra, weight)
            c, out_of_fold = choice.c, choice.out_of_fold
            final = _fit(X[rows], y, c, X_extra, weight)
        on_training = final.decision_function(X[rows])
        total += (final.decision_function(X[~rows]) - on_training.mean()) / _deviation(on_training)
        inner += out_of_fold
        info["c"].append(c)
        info["features"] += n_features
    if mode == "smooth":
        members = np.unique(groups)
        maps = {w: _debate_map(y, groups, smooth(inner, groups, w), members) for w in SMOOTHING_GRID}
        weight = max(SMOOTHING_GRID, key=lambda w: (maps[w], -w))
        total = smooth(total, data.groups[~rows], weight)
        info["c"].append(weight)
    return total, info


def compare(
    debates: Sequence[Debate],
    extra: Sequence[str] = (),
    names: Sequence[str] | None = None,
    labelled: dict[str, tuple[list[str], np.ndarray]] | None = None,
    log=print,
) -> dict[str, dict]:
    """labelled: extra labelled texts by source ("tweets", "claimbuster"), for the candidates that use them."""
    labelled = labelled or {}
    plain = _Dataset.build(debates, embedding=EMBEDDING)
    with_extra = _Dataset.build(debates, extra, EMBEDDING) if extra else None
    with_labelled = {source: _Dataset.build(debates, texts, EMBEDDING) for source, (texts, _) in labelled.items()}
    results = {}
    for name, (views, mode) in CANDIDATES.items():
        if names and name not in names:
            continue
        source = LABELLED[mode][0] if mode in LABELLED else None
        data = with_extra if mode is True else with_labelled.get(source) if source else plain
        if data is None:
            log(f"{name}: skipped, no extra data")
            continue
        started = time.perf_counter()
        aps, cs, features = [], [], []
        for g in range(len(debates)):
            scores, info = held_out_scores(
                data, views, g, mode=mode, extra_labels=labelled[source][1] if source else None
            )
            aps.append(average_precision(data.y[data.groups == g], scores))
            cs.append(info["c"])
            features.append(info["features"])
        results[name] = {
            "map": round(float(np.mean(aps)), 4),
            "sd": round(float(np.std(aps, ddof=1)), 4),
            "average_precision": [round(float(a), 4) for a in aps],
            "c": cs,
            "features": int(np.median(features)),
            "seconds": round(time.perf_counter() - started, 1),
        }
        log(f"{name}: MAP {results[name]['map']:.4f} ± {results[name]['sd']:.4f} ({results[name]['seconds']} s)")
    return results


def paired(reference: Sequence[float], candidate: Sequence[float]) -> dict:
    """Mean per-debate difference (candidate - reference), its standard error, and wins."""
    difference = np.asarray(candidate) - np.asarray(reference)
    return {
        "mean": round(float(difference.mean()), 4),
        "se": round(float(difference.std(ddof=1) / np.sqrt(len(difference))), 4),
        "wins": int((difference > 0).sum()),
        "debates": len(difference),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data_dir",
        type=Path,
        nargs="?",
        default=Path(os.environ.get("FACTCHECK_SHARED_DATA") or "../shared/data")
        / "checkworthiness"
        / "clef2019-task1-train",
    )
    parser.add_argument("--claimreview-dir", type=Path)
    parser.add_argument("--tweets-dir", type=Path, help="folder with the CLEF-2020 Task 1 v2 training and dev TSVs")
    parser.add_argument("--claimbuster", type=Path, help=f"ClaimBuster's {CLAIMBUSTER_FILE}, for L and L1")
    parser.add_argument("--embedding-model", type=Path, help="a Model2Vec directory, for K and K2")
    parser.add_argument("--reference", default="shipped B + D", help="the candidate the others are paired with")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    debates = load_debates(args.data_dir)
    training_debates, _ = split_dev(debates)  # the dev debates are not scored
    extra = load_extra_positives(args.claimreview_dir) if args.claimreview_dir else []
    labelled = {}
    if args.tweets_dir:
        labelled["tweets"] = load_tweets(args.tweets_dir)
    if args.claimbuster:
        # every debate's text (dev included, labels unread) only to cut ClaimBuster's 2016 debates
        labelled["claimbuster"] = load_claimbuster(args.claimbuster, debates)
    if args.embedding_model:
        global EMBEDDING
        EMBEDDING = StaticEmbedding(args.embedding_model)
    results = compare(training_debates, extra, args.only, labelled)
    reference = results.get(args.reference)
    if reference:
        for name, figures in results.items():
            if name != args.reference:
                figures["paired_vs_reference"] = paired(reference["average_precision"], figures["average_precision"])
    text = json.dumps({"debates": [d.name for d in training_debates], "candidates": results}, indent=1)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

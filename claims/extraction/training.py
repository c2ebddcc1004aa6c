"""Train and evaluate the check-worthiness model on CLEF-2019 CheckThat! Task 1 debates.

The data is one TSV file per debate or speech, without a header:
``line_number <TAB> speaker <TAB> text <TAB> label`` (1 = check-worthy).
Only the text and the label are used: the speaker column does not exist in
news articles, which is where the model is applied.

Training is the whole procedure below, so that evaluating it is honest:

1. features: hashed word 1-2-grams plus the hand-written cues of
   ``checkworthiness.DENSE_FEATURES`` (stateless, nothing is fitted);
2. the regularisation strength C is chosen from ``C_GRID`` by cross-validation
   over the training debates only (whole debates held out, ``INNER_FOLDS`` folds,
   measured by MAP);
3. a class-balanced logistic regression with that C is fitted on every training
   debate;
4. the out-of-fold scores of step 2 fit a one-dimensional sigmoid (Platt
   scaling, classes balanced), which maps the model's output to [0, 1].

``cross_validate`` runs this procedure once per held-out debate, so C is
never chosen on the debate being scored (nested cross-validation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from .checkworthiness import Model, feature_matrix

HASHING = {"n_features": 2**16, "ngram_range": [1, 2], "lowercase": True, "alternate_sign": False, "norm": "l2"}
C_GRID = (0.1, 0.3, 1.0, 3.0)
INNER_FOLDS = 5
SEED = 0
TOP_K = 10


class DataError(ValueError):
    """The training data is missing or not in the expected format."""


@dataclass(frozen=True)
class Debate:
    name: str
    sentences: tuple[str, ...]
    labels: np.ndarray


def load_debates(data_dir: Path) -> list[Debate]:
    """Every ``*.tsv`` file of data_dir, in file-name order."""
    files = sorted(Path(data_dir).glob("*.tsv"))
    if not files:
        raise DataError(f"no .tsv files in {data_dir}")
    debates = []
    for path in files:
        sentences, labels = [], []
        with path.open(encoding="utf-8", newline="") as stream:
            for number, line in enumerate(stream, start=1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                fields = line.split("\t")
                if len(fields) != 4 or fields[3].strip() not in ("0", "1"):
                    raise DataError(
                        f"{path}:{number}: expected line_number, speaker, text, label (0 or 1), tab-separated"
                    )
                sentences.append(fields[2])
                labels.append(int(fields[3]))
        if not sentences:
            raise DataError(f"{path}: no sentences")
        debates.append(Debate(name=path.stem, sentences=tuple(sentences), labels=np.array(labels, dtype=np.int64)))
    return debates


def fingerprint(debates: Sequence[Debate]) -> str:
    digest = hashlib.sha256()
    for debate in debates:
        digest.update(debate.name.encode() + b"\0")
        for sentence, label in zip(debate.sentences, debate.labels, strict=True):
            digest.update(f"{sentence}\t{label}\n".encode())
    return digest.hexdigest()


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    if not labels.any():
        return 0.0
    return float(average_precision_score(labels, scores))


def precision_at_k(labels: np.ndarray, scores: np.ndarray, k: int = TOP_K) -> float:
    # A stable sort breaks ties by position, so the figure is reproducible.
    top = np.argsort(-scores, kind="stable")[:k]
    return float(labels[top].sum() / min(k, len(labels)))


@dataclass(frozen=True)
class _Dataset:
    debates: list[Debate]
    X: sp.csr_matrix
    y: np.ndarray
    groups: np.ndarray  # index of each row's debate

    @classmethod
    def build(cls, debates: Sequence[Debate]) -> _Dataset:
        sentences = [s for debate in debates for s in debate.sentences]
        groups = np.concatenate([np.full(len(d.sentences), i) for i, d in enumerate(debates)])
        y = np.concatenate([d.labels for d in debates])
        return cls(list(debates), feature_matrix(sentences, HASHING), y, groups)


def _fit(X: sp.csr_matrix, y: np.ndarray, c: float) -> LogisticRegression:
    classifier = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=SEED)
    return classifier.fit(X, y)


def _debate_map(y: np.ndarray, groups: np.ndarray, scores: np.ndarray, members: np.ndarray) -> float:
    return float(np.mean([average_precision(y[groups == g], scores[groups == g]) for g in members]))


def _train(data: _Dataset, members: np.ndarray, c_grid: Sequence[float], inner_folds: int) -> Model:
    """Train on the debates whose indices are in members (the whole procedure of the module docstring)."""
    if len(members) < 2:
        raise DataError("training needs at least two debates: C is chosen by holding whole debates out")
    rows = np.isin(data.groups, members)
    X, y, groups = data.X[rows], data.y[rows], data.groups[rows]
    if not y.any() or y.all():
        raise DataError("training needs both check-worthy and other sentences")
    folds = min(inner_folds, len(members))
    fold_of_debate = {int(g): i % folds for i, g in enumerate(sorted(members))}
    fold = np.array([fold_of_debate[int(g)] for g in groups])

    out_of_fold: dict[float, np.ndarray] = {}
    inner_map: dict[float, float] = {}
    for c in c_grid:
        scores = np.zeros(len(y))
        for k in range(folds):
            held_out = fold == k
            if not y[~held_out].any():
                continue  # every positive is in the held-out part; its scores stay 0
            scores[held_out] = _fit(X[~held_out], y[~held_out], c).decision_function(X[held_out])
        out_of_fold[c] = scores
        inner_map[c] = _debate_map(y, groups, scores, members)
    # Ties go to the first (most regularised) C of the grid.
    best_c = max(c_grid, key=lambda c: (inner_map[c], -c_grid.index(c)))

    platt = LogisticRegression(C=1e4, class_weight="balanced", solver="lbfgs", max_iter=1000)
    platt.fit(out_of_fold[best_c].reshape(-1, 1), y)
    final = _fit(X, y, best_c)
    trained_on = [data.debates[g] for g in sorted(members)]
    return Model(
        hashing=dict(HASHING),
        coef=final.coef_[0].astype(np.float32).astype(np.float64),
        intercept=float(final.intercept_[0]),
        calibration=(float(platt.coef_[0][0]), float(platt.intercept_[0])),
        info={
            "estimator": "LogisticRegression(liblinear, class_weight=balanced)",
            "c": best_c,
            "c_grid": list(c_grid),
            "inner_folds": folds,
            "inner_cv_map": {str(c): round(m, 6) for c, m in inner_map.items()},
            "debates": [d.name for d in trained_on],
            "sentences": int(len(y)),
            "check_worthy": int(y.sum()),
            "data_sha256": fingerprint(trained_on),
            "scikit_learn": sklearn.__version__,
        },
    )


def train(debates: Sequence[Debate], *, c_grid: Sequence[float] = C_GRID, inner_folds: int = INNER_FOLDS) -> Model:
    data = _Dataset.build(debates)
    return _train(data, np.arange(len(debates)), tuple(c_grid), inner_folds)


@dataclass(frozen=True)
class FoldResult:
    debate: str
    sentences: int
    check_worthy: int
    c: float
    average_precision: float
    precision_at_10: float
    flagged: int  # sentences scoring >= 0.5
    flagged_check_worthy: int


@dataclass(frozen=True)
class CrossValidation:
    folds: list[FoldResult]

    @property
    def mean_average_precision(self) -> float:
        return float(np.mean([f.average_precision for f in self.folds]))

    @property
    def mean_precision_at_10(self) -> float:
        return float(np.mean([f.precision_at_10 for f in self.folds]))

    def as_dict(self) -> dict:
        aps = [f.average_precision for f in self.folds]
        flagged = sum(f.flagged for f in self.folds)
        hits = sum(f.flagged_check_worthy for f in self.folds)
        positives = sum(f.check_worthy for f in self.folds)
        return {
            "folds": [asdict(f) for f in self.folds],
            "overall": {
                "debates": len(self.folds),
                "map": round(self.mean_average_precision, 4),
                "p_at_10": round(self.mean_precision_at_10, 4),
                "min_ap": round(min(aps), 4),
                "max_ap": round(max(aps), 4),
                "at_0_5": {
                    "flagged_share": round(flagged / sum(f.sentences for f in self.folds), 4),
                    "precision": round(hits / flagged, 4) if flagged else None,
                    "recall": round(hits / positives, 4) if positives else None,
                },
            },
        }


def spread(count: int, total: int) -> list[int]:
    """count indices spread evenly over range(total), first and last included."""
    if count >= total:
        return list(range(total))
    return sorted({int(round(i)) for i in np.linspace(0, total - 1, count)})


def cross_validate(
    debates: Sequence[Debate],
    *,
    folds: int | None = None,
    c_grid: Sequence[float] = C_GRID,
    inner_folds: int = INNER_FOLDS,
) -> CrossValidation:
    """Leave one debate out: train on the others (choosing C among them), score the held-out one.

    folds limits the run to that many held-out debates, spread evenly over the list.
    """
    data = _Dataset.build(debates)
    everyone = np.arange(len(debates))
    held_out = spread(folds, len(debates)) if folds else list(everyone)
    results = []
    for g in held_out:
        model = _train(data, everyone[everyone != g], tuple(c_grid), inner_folds)
        debate = data.debates[g]
        rows = data.groups == g
        slope, offset = model.calibration
        scores = expit(slope * (data.X[rows] @ model.coef + model.intercept) + offset)
        flagged = scores >= 0.5
        results.append(
            FoldResult(
                debate=debate.name,
                sentences=len(debate.sentences),
                check_worthy=int(debate.labels.sum()),
                c=model.info["c"],
                average_precision=round(average_precision(debate.labels, scores), 6),
                precision_at_10=round(precision_at_k(debate.labels, scores), 6),
                flagged=int(flagged.sum()),
                flagged_check_worthy=int(debate.labels[flagged].sum()),
            )
        )
    return CrossValidation(results)

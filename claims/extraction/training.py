"""Train and evaluate the check-worthiness model on CLEF-2019 CheckThat! Task 1 debates.

The data is one TSV file per debate or speech, without a header:
``line_number <TAB> speaker <TAB> text <TAB> label`` (1 = check-worthy).
Only the text and the label are used: the speaker column does not exist in
news articles, which is where the model is applied.

Training is the whole procedure below, so that evaluating it is honest. The
model is an ensemble of two class-balanced logistic regressions, each on one
view of the sentence, chosen among candidates by grouped cross-validation
(``claims.extraction.comparison``; claims/extraction/MODEL_CARD.md):

1. embeddings: the mean of the sentence's word-piece vectors in a static
   embedding model (``StaticEmbedding``: a Model2Vec distillation of
   all-MiniLM-L6-v2, made by ``claims.extraction.distill``);
2. cues: the hand-written cues of ``checkworthiness.DENSE_FEATURES``;
3. for each view, the regularisation strength C is chosen from its grid by
   cross-validation over the training debates only (whole debates held out,
   ``INNER_FOLDS`` folds, measured by MAP), and a regression with that C is
   fitted on every training debate;
4. the two outputs are standardised (mean and deviation over the training
   sentences) and added. The embedding regression is folded into one weight per
   word-piece (its coefficients dotted with each piece's vector: the mean is
   linear), so the model file holds those weights and the tokenizer, not the vectors;
5. the out-of-fold ensemble scores of step 3 fit a one-dimensional sigmoid
   (Platt scaling, classes balanced), which maps the output to [0, 1].

The hashed TF-IDF word view of the earlier rounds (``term_weighting``) stays
here for the comparisons that score it.

The general scorer (``general.py``) is trained alongside, on the same debates,
through the English word lists.

``cross_validate`` runs this procedure once per held-out training debate, so
nothing is ever chosen on the debate being scored (nested cross-validation);
``evaluate_dev`` trains once on the training debates and scores the dev
debates (``DEV_DEBATES``), which no choice has looked at.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from .checkworthiness import (
    DENSE_FEATURE_NAMES,
    GeneralModel,
    Model,
    PieceWeights,
    dense_features,
    normalise,
)

# Word counts only: the TF-IDF weighting and the normalisation come after (TermWeighting).
HASHING = {"n_features": 2**16, "ngram_range": [1, 1], "lowercase": True, "alternate_sign": False, "norm": None}
MIN_DF = 2
# Words of one or two debates are their topics, not what makes a claim: a bucket
# counts only when it occurs in at least MIN_DEBATES training debates (candidate I
# of the second round, MODEL_CARD.md).
MIN_DEBATES = 3
WORD_C_GRID = (0.1, 0.3, 1.0)
CUE_C_GRID = (0.1, 1.0, 10.0)
EMBEDDING_C_GRID = (0.01, 0.1, 1.0, 10.0)
GENERAL_C_GRID = (0.01, 0.1, 1.0, 10.0)
INNER_FOLDS = 5
SEED = 0
TOP_K = 10
# Extra check-worthy examples from fact-checkers' ClaimReview records (news,
# posts, speeches): a fixed sample, together weighing EXTRA_WEIGHT times the
# debates' check-worthy sentences.
POLITIFACT_FILE = "politifact-ct2021-2b.claimreview.jsonl"
GOOGLE_FILE = "google-factcheck-api-sample.json"
EXTRA_POSITIVES = 2000
EXTRA_WEIGHT = 1.0
# The development debates: held out of every design choice and scored once, at
# the end (the lab published no dev split). Fixed by a rule before any
# experiment: the debates in order of the SHA-256 of their names, taken until
# they hold at least 20% of the sentences. On the CLEF-2019 training data that
# gives these four (4,496 of 16,421 sentences, 108 check-worthy).
DEV_RULE = "debates in SHA-256 order of their names until they hold >= 20% of the sentences"
DEV_SHARE = 0.20
DEV_DEBATES = ("20180916_trump_miami", "20170928_trump_tax", "20160226_10_gop", "20161010_2pres")


def dev_debates(debates: Sequence[Debate], share: float = DEV_SHARE) -> list[str]:
    """The names DEV_RULE picks from these debates (DEV_DEBATES on the CLEF-2019 data)."""
    total = sum(len(d.sentences) for d in debates)
    picked, held = [], 0
    for debate in sorted(debates, key=lambda d: hashlib.sha256(d.name.encode()).hexdigest()):
        if held >= share * total:
            break
        picked.append(debate.name)
        held += len(debate.sentences)
    return picked


def split_dev(debates: Sequence[Debate]) -> tuple[list[Debate], list[Debate]]:
    """(training debates, dev debates) by DEV_RULE; no dev split below five debates."""
    if len(debates) < 5:
        return list(debates), []
    dev = set(dev_debates(debates))
    return [d for d in debates if d.name not in dev], [d for d in debates if d.name in dev]


def hashing_vectorizer(hashing: dict) -> HashingVectorizer:
    """The earlier rounds' hashed word view (the comparisons score it; the shipped model has none)."""
    params = dict(hashing)
    if "ngram_range" in params:
        params["ngram_range"] = tuple(params["ngram_range"])
    return HashingVectorizer(**params)


@dataclass(frozen=True)
class TermWeighting:
    """TF-IDF on top of hashed counts, as scikit-learn's TfidfTransformer does it:
    1 + log(count) when ``sublinear_tf``, times the bucket's idf (0 for a bucket too
    rare in training: the term is dropped), then each row l2-normalised."""

    idf: np.ndarray
    sublinear_tf: bool = True

    def apply(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        from sklearn.preprocessing import normalize

        words = counts.astype(np.float64, copy=True)
        if self.sublinear_tf:
            np.log(words.data, out=words.data)
            words.data += 1.0
        words.data *= self.idf[words.indices]
        return normalize(words, norm="l2", copy=False)


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


# Fact-checkers write a claim as a paraphrase ("Says the bill ...") or as a
# quotation; debate sentences have neither. Both cues are removed so that
# they cannot tell the extra positives from the debates' sentences.
_SAYS = re.compile(r"^(says|claims|said|stated|suggests|shows)( that)?\s+", re.I)
_QUOTES = re.compile(r"[\"\u201c\u201d\u00ab\u00bb]|(?<!\w)['\u2018\u2019]|['\u2018\u2019](?!\w)")
_LATIN = re.compile(r"[A-Za-z]")


def clean_claim(text: str) -> str:
    """A fact-checker's wording of a claim, without quote marks or a leading "Says"."""
    text = _QUOTES.sub("", normalise(text)).strip()
    text = _SAYS.sub("", text)
    text = re.sub(r"\s+", " ", text).strip(" .,;:")
    if text:
        text = text[0].upper() + text[1:]
        if text[-1] not in ".!?":
            text += "."
    return text


def _sample_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_extra_positives(claimreview_dir: Path, limit: int = EXTRA_POSITIVES) -> list[str]:
    """A fixed sample of English claims that fact-checkers chose to check.

    Reads the PolitiFact ClaimReview file (``claimReviewed``) and the English
    records of the Google Fact Check Tools sample (``text``), cleans them with
    ``clean_claim``, drops duplicates and claims under 5 words, and keeps the
    ``limit`` whose SHA-256 comes first (deterministic, spread over the files).
    """
    folder = Path(claimreview_dir)
    politifact, google = folder / POLITIFACT_FILE, folder / GOOGLE_FILE
    if not politifact.is_file() and not google.is_file():
        raise DataError(f"neither {POLITIFACT_FILE} nor {GOOGLE_FILE} in {folder}")
    texts = []
    if politifact.is_file():
        with politifact.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{politifact}:{number}: not JSON: {exc}") from exc
                if str(record.get("inLanguage", "en")).startswith("en"):
                    texts.append(str(record.get("claimReviewed") or ""))
    if google.is_file():
        try:
            records = json.loads(google.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{google}: not JSON: {exc}") from exc
        for record in records:
            reviews = record.get("claimReview") or []
            text = str(record.get("text") or "")
            letters = len(_LATIN.findall(text))
            if any(r.get("languageCode") == "en" for r in reviews) and letters > 0.5 * len(text.replace(" ", "")):
                texts.append(text)
    cleaned = {clean_claim(t) for t in texts}
    usable = sorted((t for t in cleaned if len(t.split()) >= 5), key=_sample_key)
    return usable[:limit]


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


class StaticEmbedding:
    """A Model2Vec directory (``tokenizer.json``, ``model.safetensors``), read without the library."""

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file

        self.folder = Path(folder)
        tokenizer_file, vectors_file = self.folder / "tokenizer.json", self.folder / "model.safetensors"
        if not (tokenizer_file.is_file() and vectors_file.is_file()):
            raise DataError(
                f"{self.folder} holds no static embedding model (tokenizer.json and model.safetensors); "
                "make it with `make checkworthiness-embedding`"
            )
        self.tokenizer_json = tokenizer_file.read_text(encoding="utf-8")
        self.vectors = load_file(str(vectors_file))["embeddings"].astype(np.float64)
        self.sha256 = hashlib.sha256(tokenizer_file.read_bytes() + vectors_file.read_bytes()).hexdigest()
        # The scorer's own reading of the tokenizer, so that training and scoring split text alike.
        self.pieces = PieceWeights(self.tokenizer_json, np.zeros(len(self.vectors)))

    def mean_vectors(self, sentences: Sequence[str]) -> np.ndarray:
        """The plain mean of each sentence's word-piece vectors (zeros for a sentence without pieces)."""
        rows = np.zeros((len(sentences), self.vectors.shape[1]))
        for i, ids in enumerate(self.pieces.piece_ids([normalise(s) for s in sentences])):
            if ids:
                rows[i] = self.vectors[ids].mean(axis=0)
        return rows


@dataclass(frozen=True)
class _Dataset:
    debates: list[Debate]
    counts: sp.csr_matrix  # hashed word counts of every sentence
    cues: np.ndarray  # DENSE_FEATURES of every sentence
    general: np.ndarray  # the general scorer's cues of every sentence
    y: np.ndarray
    groups: np.ndarray  # index of each row's debate
    extra: tuple[str, ...]  # extra check-worthy texts, used in every training fold
    extra_counts: sp.csr_matrix
    extra_cues: np.ndarray
    embedding: StaticEmbedding | None = None
    embedded: np.ndarray | None = None  # each sentence's mean word-piece vector
    extra_embedded: np.ndarray | None = None

    @classmethod
    def build(
        cls, debates: Sequence[Debate], extra: Sequence[str] = (), embedding: StaticEmbedding | None = None
    ) -> _Dataset:
        sentences = [s for debate in debates for s in debate.sentences]
        groups = np.concatenate([np.full(len(d.sentences), i) for i, d in enumerate(debates)])
        y = np.concatenate([d.labels for d in debates])
        counts, cues = _views(sentences)
        extra_counts, extra_cues = _views(list(extra))
        embedded = embedding.mean_vectors(sentences) if embedding else None
        extra_embedded = embedding.mean_vectors(list(extra)) if embedding else None
        return cls(
            list(debates),
            counts,
            cues,
            general_matrix(sentences),
            y,
            groups,
            tuple(extra),
            extra_counts,
            extra_cues,
            embedding,
            embedded,
            extra_embedded,
        )


def _views(sentences: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
    if not sentences:
        return sp.csr_matrix((0, HASHING["n_features"])), np.zeros((0, len(DENSE_FEATURE_NAMES)))
    normalised = [normalise(s) for s in sentences]
    return hashing_vectorizer(HASHING).transform(normalised).tocsr(), dense_features(normalised)


def term_weighting(
    counts: sp.csr_matrix, min_df: int = MIN_DF, groups: np.ndarray | None = None, min_debates: int = 0
) -> TermWeighting:
    """Smoothed idf of each bucket over these sentences (as TfidfVectorizer), 0 below
    min_df sentences, and, given each row's debate (groups), 0 for buckets seen in
    fewer than min_debates debates (at most all of them); rounded to float32 as the
    model file stores it."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    n = counts.shape[0]
    idf = np.log((1 + n) / (1 + df)) + 1.0
    idf[df < min_df] = 0.0
    if groups is not None and min_debates > 0:
        debates = np.unique(groups)
        in_debates = np.zeros(counts.shape[1], dtype=np.int64)
        for g in debates:
            in_debates[np.unique(counts[groups == g].indices)] += 1
        idf[in_debates < min(min_debates, len(debates))] = 0.0
    return TermWeighting(idf.astype(np.float32).astype(np.float64), sublinear_tf=True)


def _fit(X, y: np.ndarray, c: float, X_extra=None, extra_weight: float = 0.0) -> LogisticRegression:
    """Class-balanced logistic regression on the debate rows, plus the extra positives.

    Debate rows get scikit-learn's "balanced" weights; the extra positives
    share extra_weight times the total weight of the debates' positives.
    """
    n, n_pos = len(y), int(y.sum())
    n_extra = 0 if X_extra is None else X_extra.shape[0]
    weights = np.where(y == 1, n / (2 * n_pos), n / (2 * (n - n_pos)))
    if n_extra and extra_weight > 0:
        X = sp.vstack([X, X_extra], format="csr") if sp.issparse(X) else np.vstack([X, X_extra])
        y = np.concatenate([y, np.ones(n_extra, dtype=y.dtype)])
        weights = np.concatenate([weights, np.full(n_extra, extra_weight * (n / 2) / n_extra)])
    classifier = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=SEED)
    return classifier.fit(X, y, sample_weight=weights)


def _debate_map(y: np.ndarray, groups: np.ndarray, scores: np.ndarray, members) -> float:
    return float(np.mean([average_precision(y[groups == g], scores[groups == g]) for g in members]))


@dataclass
class _Choice:
    c: float
    inner_map: dict[float, float]
    out_of_fold: np.ndarray  # standardised decision values at c, each by its own fold's fit


def _choose_c(
    X, y: np.ndarray, groups: np.ndarray, c_grid: Sequence[float], inner_folds: int, X_extra=None, extra_weight=0.0
) -> _Choice:
    """C by cross-validation over whole debates (MAP; ties go to the first, most
    regularised C of the grid), with the out-of-fold decision values at that C,
    each standardised by the mean and deviation of its fit on its training rows."""
    members = np.unique(groups)
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
            model = _fit(X[~held_out], y[~held_out], c, X_extra, extra_weight)
            on_training = model.decision_function(X[~held_out])
            scores[held_out] = (model.decision_function(X[held_out]) - on_training.mean()) / _deviation(on_training)
        out_of_fold[c] = scores
        inner_map[c] = _debate_map(y, groups, scores, members)
    best = max(c_grid, key=lambda c: (inner_map[c], -list(c_grid).index(c)))
    return _Choice(best, inner_map, out_of_fold[best])


def _deviation(values: np.ndarray) -> float:
    deviation = float(values.std())
    return deviation if deviation > 0 else 1.0


def _platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    platt = LogisticRegression(C=1e4, class_weight="balanced", solver="lbfgs", max_iter=1000)
    platt.fit(decision.reshape(-1, 1), y)
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def _train(data: _Dataset, members: np.ndarray, inner_folds: int, extra_weight: float) -> Model:
    """Train on the debates whose indices are in members (the whole procedure of the module docstring)."""
    if len(members) < 2:
        raise DataError("training needs at least two debates: C is chosen by holding whole debates out")
    if data.embedding is None:
        raise DataError("training needs the static embedding model (--embedding-model DIR)")
    rows = np.isin(data.groups, members)
    y, groups = data.y[rows], data.groups[rows]
    if not y.any() or y.all():
        raise DataError("training needs both check-worthy and other sentences")
    use_extra = bool(data.extra) and extra_weight > 0
    embedded, cues = data.embedded[rows], data.cues[rows]
    extra_embedded = data.extra_embedded if use_extra else None
    extra_cues = data.extra_cues if use_extra else None

    views = []
    for X, X_extra, grid in ((embedded, extra_embedded, EMBEDDING_C_GRID), (cues, extra_cues, CUE_C_GRID)):
        choice = _choose_c(X, y, groups, grid, inner_folds, X_extra, extra_weight)
        final = _fit(X, y, choice.c, X_extra, extra_weight)
        on_training = final.decision_function(X)
        views.append((choice, final, float(on_training.mean()), _deviation(on_training)))
    (embedding_choice, embedding_fit, _, embedding_deviation), (cue_choice, cue_fit, _, cue_deviation) = views
    # The sum of the two standardised outputs: the embedding regression folded into one
    # weight per word-piece (mean of vectors . w == mean of (vector . w)), the cues as they are.
    piece_weights = data.embedding.vectors @ (embedding_fit.coef_[0] / embedding_deviation)
    coef = cue_fit.coef_[0] / cue_deviation
    intercept = sum((final.intercept_[0] - mean) / deviation for _, final, mean, deviation in views)
    calibration = _platt(sum(choice.out_of_fold for choice, *_ in views), y)
    general = train_general(data.general[rows], y, groups, inner_folds=inner_folds)
    trained_on = [data.debates[g] for g in sorted(members)]
    return Model(
        pieces=PieceWeights(data.embedding.tokenizer_json, piece_weights.astype(np.float32).astype(np.float64)),
        coef=coef.astype(np.float32).astype(np.float64),
        intercept=float(intercept),
        calibration=calibration,
        general=general,
        info={
            "estimator": "sum of two standardised LogisticRegression(liblinear, balanced sample weights): "
            "the mean of static word-piece embeddings (folded into one weight per piece), and the hand-written cues",
            "c": {"embeddings": embedding_choice.c, "cues": cue_choice.c},
            "c_grid": {"embeddings": list(EMBEDDING_C_GRID), "cues": list(CUE_C_GRID)},
            "embedding": {
                "dimensions": int(data.embedding.vectors.shape[1]),
                "pieces": int(data.embedding.vectors.shape[0]),
                "sha256": data.embedding.sha256,
            },
            "inner_folds": min(inner_folds, len(members)),
            "inner_cv_map": {
                "embeddings": {str(c): round(m, 6) for c, m in embedding_choice.inner_map.items()},
                "cues": {str(c): round(m, 6) for c, m in cue_choice.inner_map.items()},
            },
            "debates": [d.name for d in trained_on],
            "sentences": int(len(y)),
            "check_worthy": int(y.sum()),
            "data_sha256": fingerprint(trained_on),
            "extra_positives": len(data.extra) if use_extra else 0,
            "extra_weight": extra_weight if use_extra else 0.0,
            "extra_sha256": hashlib.sha256("\n".join(data.extra).encode()).hexdigest() if use_extra else None,
            "scikit_learn": sklearn.__version__,
        },
    )


def general_matrix(sentences: Sequence[str]) -> np.ndarray:
    """The general scorer's cues of English sentences, read with the English word lists."""
    from .general import general_features

    return general_features([normalise(s) for s in sentences], "en")


def train_general(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    c_grid: Sequence[float] = GENERAL_C_GRID,
    inner_folds: int = INNER_FOLDS,
) -> GeneralModel:
    """The language-independent scorer's weights, fitted on English debates through
    the English word lists, C chosen and the sigmoid fitted as for the English model."""
    choice = _choose_c(X, y, groups, c_grid, inner_folds)
    final = _fit(X, y, choice.c)
    on_training = final.decision_function(X)
    mean, deviation = float(on_training.mean()), _deviation(on_training)
    # Standardised like the out-of-fold values the sigmoid is fitted on.
    return GeneralModel(
        coef=final.coef_[0] / deviation,
        intercept=float((final.intercept_[0] - mean) / deviation),
        calibration=_platt(choice.out_of_fold, y),
        info={
            "c": choice.c,
            "c_grid": list(c_grid),
            "inner_cv_map": {str(c): round(m, 6) for c, m in choice.inner_map.items()},
        },
    )


def train(
    debates: Sequence[Debate],
    extra: Sequence[str] = (),
    *,
    embedding: StaticEmbedding | None = None,
    inner_folds: int = INNER_FOLDS,
    extra_weight: float = EXTRA_WEIGHT,
) -> Model:
    """Train on every debate given (the shipped model: training and dev debates
    alike), plus the extra check-worthy texts (see ``load_extra_positives``)."""
    data = _Dataset.build(debates, extra, embedding)
    return _train(data, np.arange(len(debates)), inner_folds, extra_weight)


@dataclass(frozen=True)
class FoldResult:
    debate: str
    sentences: int
    check_worthy: int
    c: str  # the Cs chosen, "embeddings/cues"
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
                "map_sd": round(float(np.std(aps, ddof=1)), 4) if len(aps) > 1 else 0.0,
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


def _fold_result(model: Model, debate: Debate) -> FoldResult:
    scores = np.array(model.score(list(debate.sentences)))
    flagged = scores >= 0.5
    return FoldResult(
        debate=debate.name,
        sentences=len(debate.sentences),
        check_worthy=int(debate.labels.sum()),
        c=f"{model.info['c']['embeddings']}/{model.info['c']['cues']}",
        average_precision=round(average_precision(debate.labels, scores), 6),
        precision_at_10=round(precision_at_k(debate.labels, scores), 6),
        flagged=int(flagged.sum()),
        flagged_check_worthy=int(debate.labels[flagged].sum()),
    )


def cross_validate(
    debates: Sequence[Debate],
    extra: Sequence[str] = (),
    *,
    embedding: StaticEmbedding | None = None,
    folds: int | None = None,
    inner_folds: int = INNER_FOLDS,
    extra_weight: float = EXTRA_WEIGHT,
) -> CrossValidation:
    """Leave one debate out: train on the others (choosing everything among them),
    score the held-out one. Pass the training debates only (``split_dev``).

    folds limits the run to that many held-out debates, spread evenly over the list.
    """
    data = _Dataset.build(debates, extra, embedding)
    everyone = np.arange(len(debates))
    held_out = spread(folds, len(debates)) if folds else list(everyone)
    return CrossValidation(
        [_fold_result(_train(data, everyone[everyone != g], inner_folds, extra_weight), debates[g]) for g in held_out]
    )


def evaluate_dev(
    train_debates: Sequence[Debate],
    dev: Sequence[Debate],
    extra: Sequence[str] = (),
    *,
    embedding: StaticEmbedding | None = None,
    inner_folds: int = INNER_FOLDS,
    extra_weight: float = EXTRA_WEIGHT,
) -> CrossValidation:
    """Train once on the training debates, score each dev debate."""
    model = train(train_debates, extra, embedding=embedding, inner_folds=inner_folds, extra_weight=extra_weight)
    return CrossValidation([_fold_result(model, debate) for debate in dev])


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _number_shapes(text: str) -> str:
    """Numbers as their shape: a year as "0000", any other number as "000"."""
    return _NUMBER.sub(lambda m: " 0000 " if len(m.group()) == 4 and m.group()[:2] in ("19", "20") else " 000 ", text)


def compare_candidates(debates: Sequence[Debate], *, inner_folds: int = INNER_FOLDS) -> dict[str, dict]:
    """Leave-one-debate-out MAP of each candidate model on these (training) debates,
    every C chosen by cross-validation over the other debates only. The shipped
    model is the ensemble; the model card explains the choice."""
    data = _Dataset.build(debates)
    y, groups = data.y, data.groups
    normalised = [normalise(s) for d in debates for s in d.sentences]
    cues = sp.csr_matrix(data.cues)
    bigrams = {"n_features": 2**16, "ngram_range": [1, 2], "lowercase": True, "alternate_sign": False, "norm": "l2"}
    previous = sp.hstack([hashing_vectorizer(bigrams).transform(normalised), cues], format="csr")
    shaped = hashing_vectorizer(bigrams).transform([_number_shapes(t) for t in normalised]).tocsr()
    in_debate = np.zeros((len(debates), shaped.shape[1]), dtype=bool)
    for g in range(len(debates)):
        in_debate[g, np.unique(shaped[groups == g].indices)] = True

    def tfidf(training: np.ndarray):
        return term_weighting(data.counts[training]).apply(data.counts)

    def general_ngrams(training: np.ndarray):
        # n-grams seen in at least 3 of the training debates: no one debate's topics
        keep = in_debate[np.unique(groups[training])].sum(axis=0) >= 3
        return sp.hstack([shaped @ sp.diags(keep.astype(np.float64)), cues], format="csr")

    candidates = {
        "A previous model: hashed 1-2-grams + 34 cues": (lambda training: previous, (0.1, 0.3, 1.0, 3.0)),
        "B TF-IDF word unigrams": (tfidf, WORD_C_GRID),
        "C number shapes, 1-2-grams in >=3 debates + cues": (general_ngrams, (0.03, 0.1, 0.3)),
        "D the 34 hand-written cues": (lambda training: cues, CUE_C_GRID),
        "E the 14 language-independent cues": (lambda training: sp.csr_matrix(data.general), GENERAL_C_GRID),
    }
    results: dict[str, dict] = {}
    standardised: dict[str, dict[int, np.ndarray]] = {}
    for name, (build, grid) in candidates.items():
        aps, standardised[name] = [], {}
        for g in range(len(debates)):
            training = groups != g
            X = build(training)
            choice = _choose_c(X[training], y[training], groups[training], grid, inner_folds)
            final = _fit(X[training], y[training], choice.c)
            on_training = final.decision_function(X[training])
            scores = (final.decision_function(X[~training]) - on_training.mean()) / _deviation(on_training)
            standardised[name][g] = scores
            aps.append(average_precision(y[~training], scores))
        results[name] = _summary(aps)
    ensemble = [
        average_precision(
            y[groups == g], standardised["B TF-IDF word unigrams"][g] + standardised["D the 34 hand-written cues"][g]
        )
        for g in range(len(debates))
    ]
    results["B + D ensemble (shipped)"] = _summary(ensemble)
    return results


def _summary(aps: Sequence[float]) -> dict:
    return {
        "map": round(float(np.mean(aps)), 4),
        "sd": round(float(np.std(aps, ddof=1)), 4),
        "average_precision": [round(float(a), 4) for a in aps],
    }

"""Score sentences for how much they deserve fact-checking.

    from claims.extraction.checkworthiness import score
    score(["Unemployment fell by 3.1 percent last year.", "Thank you very much."])

The model is linear over two views of the sentence: its word-pieces, each
with a weight (the mean over the sentence's pieces; the weights come from a
regression on static embeddings, so words the training debates never used have
one too), and a few hand-written cues (numbers, comparatives, claim vocabulary,
sentence length). It is trained on the CLEF-2019 CheckThat! Task 1 debates (see
MODEL_CARD.md and claims/extraction/training.py). Each sentence is scored on
its own: the score does not depend on the other sentences in the batch.

The shipped model is an .npz archive of plain arrays plus a JSON config, read
with ``allow_pickle=False``, so loading it runs no code from the file.
"""

from __future__ import annotations

import json
import re
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

MODEL_PATH = Path(__file__).resolve().with_name("checkworthiness.npz")
FORMAT_VERSION = 3  # 2: the general scorer's weights ride along in the config; 3: word-piece weights


class ModelError(Exception):
    """The model file is missing, malformed or made for other code."""


# Normalisation: news text uses typographic quotes and "%" where debate
# transcripts use ASCII apostrophes and "percent"; map both to the training form.
_TYPOGRAPHIC = (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-"), ("\u2014", "-"))
_PERCENT_SIGN = re.compile(r"\s*%")
_SPACES = re.compile(r"\s+")
# White space that _SPACES would change: a run, or anything but a plain space.
_UNEVEN_SPACE = re.compile(r"\s\s|[^\S ]")


def normalise(text: str) -> str:
    if not text.isascii():
        # A few replace() calls: str.translate looks every character up in a dict, ten times slower.
        for typographic, plain in _TYPOGRAPHIC:
            if typographic in text:
                text = text.replace(typographic, plain)
    if "%" in text:
        text = _PERCENT_SIGN.sub(" percent", text)
    # Most sentences have single spaces only: a search is cheaper than a substitution.
    return _SPACES.sub(" ", text).strip() if _UNEVEN_SPACE.search(text) else text.strip()


_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_PERCENT = re.compile(r"\bpercent(age)?\b|\bper cent\b", re.I)
_MONEY = re.compile(r"[$£€]\s*\d|\b(dollars?|cents?|million|billion|trillion)\b", re.I)
_QUANTITY = re.compile(
    r"\b(hundreds?|thousands?|millions|billions|dozens?|half|third|quarter|double[sd]?|triple[sd]?|twice|times)\b", re.I
)
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b",
    re.I,
)
_YEAR = re.compile(r"\b(19|20)\d\d\b|\b(19|20)\d0s\b|'\d0s\b")
_SUPERLATIVE = re.compile(
    r"\b(most|least|best|worst|highest|lowest|largest|biggest|smallest|greatest|first|last|only|record|ever|all-time)\b"
    r"|\b\w{3,}est\b",
    re.I,
)
_COMPARATIVE = re.compile(
    r"\b(more|less|fewer|than|higher|lower|larger|bigger|smaller|greater|better|worse|increased?|decreased?|rise|rose|risen"
    r"|fell|fall|fallen|dropped|grew|grown|doubled|tripled|up|down)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(not|no|never|nothing|none|nobody|neither|nor|cannot)\b|n't\b", re.I)
_WE = re.compile(r"\b(we|our|us|ours)\b", re.I)
_I = re.compile(r"\b(i|me|my|mine|i'm|i've|i'll)\b", re.I)
_YOU = re.compile(r"\b(you|your|yours|you're)\b", re.I)
_THEY = re.compile(r"\b(he|she|they|his|her|their|them)\b", re.I)
_CLAIM_CUE = re.compile(
    r"\b(percent|million|billion|trillion|tax|taxes|jobs?|cut|cuts|increased?|never|voted|vote|votes|debt|deficit"
    r"|unemployment|wages?|income|economy|trade|deal|budget|spending|spent|paid|rate|crime|murders?|immigrants?|illegal"
    r"|border|nuclear|law|laws|supported|opposed|signed|passed|created|lost|average|number|since|ago|history|country|countries)\b",
    re.I,
)
_MODAL = re.compile(r"\b(will|would|should|must|can|could|may|might|going to|gonna|want to|need to)\b", re.I)
_OPENER = re.compile(r"^(thank|thanks|ok|okay|well|yes|no|so|good|great|right|please|let me|look|folks|ladies)\b", re.I)
_OPINION = re.compile(r"\b(i think|i believe|i feel|i hope|i want|in my opinion|i'm not sure)\b", re.I)
# A capitalised word that does not start the sentence: names, places, bodies.
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]+")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_PAST = re.compile(r"\b(was|were|had|did|has been|have been|\w{3,}ed)\b", re.I)
# News narration rather than a claim: "has been begging", "declined to comment".
_ONGOING = re.compile(r"\b(has|have|had) been \w{3,}ing\b", re.I)
_PLEA = re.compile(
    r"\b(beg(s|ged|ging)?|plead(s|ed|ing)?|pled|urg(e|es|ed|ing)|appeal(s|ed|ing)?|implor(e|es|ed|ing)"
    r"|call(s|ed|ing)? on|refrain(s|ed|ing)?|declin(e|es|ed|ing) to|reluctant|vow(s|ed|ing)?|pledg(e|es|ed|ing))\b",
    re.I,
)
# A claim about the world: a conclusion, a cause, a futile or failed effort, a quantifier.
_CONCLUSION = re.compile(
    r"\b(conclu(de|des|ded|sion)|found that|find that|shows? that|showed that|proves?|proved|proven|evidence"
    r"|stud(y|ies)|according to|confirm(s|ed)?)\b",
    re.I,
)
_CAUSAL = re.compile(
    r"\b(because|as a result|due to|caus(e|es|ed|ing)|lead(s)? to|led to|result(s|ed)? in|as it will)\b", re.I
)
_FUTILE = re.compile(
    r"\b(to no avail|no avail|in vain|will not|won't|cannot|can't|fail(s|ed)?( to)?|did not work|does not work|not prevent)\b",
    re.I,
)
_QUANTIFIER = re.compile(
    r"\b(many|most|all|every|majority|minority|none|no one|nobody|almost|nearly|more than)\b", re.I
)


def _has(pattern: re.Pattern[str]) -> Callable[[str, int], float]:
    return lambda text, n: float(pattern.search(text) is not None)


def _count(pattern: re.Pattern[str], cap: int) -> Callable[[str, int], float]:
    return lambda text, n: min(len(pattern.findall(text)), cap) / cap


# (name, function of the normalised text and its word count). The names are
# stored in the model file and checked on load, so editing this list without
# retraining fails loudly instead of scoring with shifted weights.
DENSE_FEATURES: tuple[tuple[str, Callable[[str, int], float]], ...] = (
    ("log_words", lambda text, n: float(np.log1p(n)) / 4),
    ("under_6_words", lambda text, n: float(n < 6)),
    ("under_3_words", lambda text, n: float(n < 3)),
    ("over_30_words", lambda text, n: float(n > 30)),
    ("digit", _has(_DIGIT)),
    ("digits", _count(_DIGIT, 10)),
    ("percent", _has(_PERCENT)),
    ("money", _has(_MONEY)),
    ("quantity", _has(_QUANTITY)),
    ("number_word", _has(_NUMBER_WORD)),
    ("year", _has(_YEAR)),
    ("superlative", _has(_SUPERLATIVE)),
    ("comparative", _has(_COMPARATIVE)),
    ("negation", _has(_NEGATION)),
    ("we", _has(_WE)),
    ("i", _has(_I)),
    ("you", _has(_YOU)),
    ("they", _has(_THEY)),
    ("claim_cue", _has(_CLAIM_CUE)),
    ("claim_cues", _count(_CLAIM_CUE, 5)),
    ("modal", _has(_MODAL)),
    ("opener", _has(_OPENER)),
    ("opinion", _has(_OPINION)),
    ("names", _count(_NAME, 5)),
    ("acronym", _has(_ACRONYM)),
    ("past_tense", _has(_PAST)),
    ("ongoing", _has(_ONGOING)),
    ("plea", _has(_PLEA)),
    ("conclusion", _has(_CONCLUSION)),
    ("causal", _has(_CAUSAL)),
    ("futile", _has(_FUTILE)),
    ("quantifier", _has(_QUANTIFIER)),
    ("question", lambda text, n: float(text.endswith("?"))),
    ("exclamation", lambda text, n: float("!" in text)),
)
DENSE_FEATURE_NAMES = tuple(name for name, _ in DENSE_FEATURES)


def reference_dense_features(texts: Sequence[str]) -> np.ndarray:
    """``dense_features``, computed the plain way: every cue of DENSE_FEATURES on every text."""
    rows = np.zeros((len(texts), len(DENSE_FEATURES)), dtype=np.float64)
    for i, text in enumerate(texts):
        n = len(_WORD.findall(text))
        rows[i] = [feature(text, n) for _, feature in DENSE_FEATURES]
    return rows


# The fast path of dense_features gives the same values as the plain one, cue for
# cue (tests/test_checkworthiness.py pins this). It reads each text's \w+ words
# once and answers most cues from them:
#
# - words: lower-case words each of which, as a whole \w+ word, is a match of the
#   cue's pattern on its own (an alternative between \b...\b). A text with one of
#   them matches; for a pattern made only of such alternatives, a text matches
#   only then, and each such word is one match (the claim_cues count).
# - triggers: for a pattern with other alternatives (several words, "n't",
#   "$5"), words one of which every match of those alternatives contains. Only
#   texts with a trigger, and no hit from words yet, are searched with the pattern.
#
# Case-insensitive matching equals comparing lower-cased words only for ASCII
# words (re.IGNORECASE also matches "K" (Kelvin), "ſ", "İ" and "ı" to ASCII
# letters), so a text with any non-ASCII word character takes the plain path.
@dataclass(frozen=True)
class _Cue:
    name: str
    pattern: re.Pattern[str]
    words: frozenset[str]
    triggers: frozenset[str] = frozenset()
    exhaustive: bool = False  # the pattern is nothing but `words` (and the suffix rule)
    symbols: str = ""  # texts with one of these characters are searched too ("$5")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CUES: tuple[_Cue, ...] = (
    _Cue("percent", _PERCENT, _words("percent percentage"), _words("per")),
    _Cue("money", _MONEY, _words("dollar dollars cent cents million billion trillion"), symbols="$£€"),
    _Cue(
        "quantity",
        _QUANTITY,
        _words(
            "hundred hundreds thousand thousands millions billions dozen dozens half third quarter "
            "double doubles doubled triple triples tripled twice times"
        ),
        exhaustive=True,
    ),
    _Cue(
        "number_word",
        _NUMBER_WORD,
        _words(
            "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
            "sixty seventy eighty ninety hundred"
        ),
        exhaustive=True,
    ),
    _Cue("year", _YEAR, frozenset()),  # words by their shape: 1999, 1990s; "'90s" is searched
    _Cue(
        "superlative",
        _SUPERLATIVE,
        _words(
            "most least best worst highest lowest largest biggest smallest greatest first last only record ever"
        ),  # + \w{3,}est words (by shape), + "all-time"
        _words("all"),
    ),
    _Cue(
        "comparative",
        _COMPARATIVE,
        _words(
            "more less fewer than higher lower larger bigger smaller greater better worse increase increased "
            "decrease decreased rise rose risen fell fall fallen dropped grew grown doubled tripled up down"
        ),
        exhaustive=True,
    ),
    _Cue("negation", _NEGATION, _words("not no never nothing none nobody neither nor cannot"), _words("t")),
    _Cue("we", _WE, _words("we our us ours"), exhaustive=True),
    # "i'm", "i've", "i'll", "you're": whenever they match, "i" or "you" alone matches
    # too ("'" is not a word character), so the words decide; still searched to be plain.
    _Cue("i", _I, _words("i me my mine")),
    _Cue("you", _YOU, _words("you your yours")),
    _Cue("they", _THEY, _words("he she they his her their them"), exhaustive=True),
    _Cue(
        "claim_cue",
        _CLAIM_CUE,
        _words(
            "percent million billion trillion tax taxes job jobs cut cuts increase increased never voted vote "
            "votes debt deficit unemployment wage wages income economy trade deal budget spending spent paid "
            "rate crime murder murders immigrant immigrants illegal border nuclear law laws supported opposed "
            "signed passed created lost average number since ago history country countries"
        ),
        exhaustive=True,
    ),
    _Cue(
        "modal",
        _MODAL,
        _words("will would should must can could may might gonna"),
        _words("going want need"),
    ),
    _Cue("opinion", _OPINION, frozenset(), _words("i opinion")),
    _Cue("past_tense", _PAST, _words("was were had did"), _words("been")),  # + \w{3,}ed words
    _Cue("ongoing", _ONGOING, frozenset(), _words("been")),
    _Cue(
        "plea",
        _PLEA,
        _words(
            "beg begs begged begging plead pleads pleaded pleading pled urge urges urged urging appeal appeals "
            "appealed appealing implore implores implored imploring refrain refrains refrained refraining "
            "reluctant vow vows vowed vowing pledge pledges pledged pledging"
        ),
        _words("call calls called calling decline declines declined declining"),
    ),
    _Cue(
        "conclusion",
        _CONCLUSION,
        _words(
            "conclude concludes concluded conclusion prove proves proved proven evidence study studies "
            "confirm confirms confirmed"
        ),
        _words("found find show shows showed according"),
    ),
    _Cue(
        "causal",
        _CAUSAL,
        _words("because cause causes caused causing"),
        _words("result results resulted due lead leads led will"),
    ),
    _Cue(
        "futile",
        _FUTILE,
        _words("cannot fail fails failed"),
        _words("avail vain will won can work prevent"),
    ),
    _Cue(
        "quantifier",
        _QUANTIFIER,
        _words("many most all every majority minority none nobody almost nearly"),
        _words("no more"),
    ),
)
_CUE_INDEX = {cue.name: i for i, cue in enumerate(_CUES)}
_HIT_SHIFT, _TRIGGER_SHIFT = 0, 32  # bit i: a word of cue i; bit 32 + i: a trigger of cue i
# Words that hit or trigger a cue by their shape: (bit, what the whole word
# matches, with the flags of the cue's own pattern).
_SHAPES = (
    (1 << (_HIT_SHIFT + _CUE_INDEX["superlative"]), re.compile(r"\w{3,}est", re.I)),
    (1 << (_HIT_SHIFT + _CUE_INDEX["past_tense"]), re.compile(r"\w{3,}ed", re.I)),
    (1 << (_HIT_SHIFT + _CUE_INDEX["year"]), re.compile(r"(19|20)\d\d|(19|20)\d0s")),
    (1 << (_TRIGGER_SHIFT + _CUE_INDEX["year"]), re.compile(r"\d0s")),  # "'90s"
    # \b[A-Z]{2,}\b matches exactly the words that are two capitals or more and nothing else.
    (_ACRONYM_BIT := 1 << (_TRIGGER_SHIFT - 1), re.compile(r"[A-Z]{2,}")),
)
if len(_CUES) >= _TRIGGER_SHIFT - 1:
    raise ImportError("checkworthiness: a cue's bit would be the acronym's; move the trigger bits up")
_COLUMN = {name: i for i, name in enumerate(name for name, _ in DENSE_FEATURES)}
_CUE_COLUMNS = [_COLUMN[cue.name] for cue in _CUES]
_SYMBOL_CUES = [
    (i, np.array([ord(c) for c in cue.symbols], dtype=np.uint32)) for i, cue in enumerate(_CUES) if cue.symbols
]
_EXHAUSTIVE_CUES = [i for i, cue in enumerate(_CUES) if cue.exhaustive]
_SEP = "\x00"  # joins texts: no pattern matches it, and it is not a word character
_WORD_OR_SEP = re.compile(r"\w+|\x00")
_NON_ASCII_WORD = re.compile(r"[^\W\x00-\x7f]")
_LOG_WORDS = tuple(float(np.log1p(n)) / 4 for n in range(256))


class _WordBits(dict):
    """Word -> bits of the cues it hits or triggers, filled on first sight."""

    def __missing__(self, word: str) -> int:
        key = word.lower()
        bits = 0
        for i, cue in enumerate(_CUES):
            if key in cue.words:
                bits |= 1 << (_HIT_SHIFT + i)
            if key in cue.triggers:
                bits |= 1 << (_TRIGGER_SHIFT + i)
        for bit, shape in _SHAPES:
            if shape.fullmatch(word):
                bits |= bit
        if len(self) > 200_000:
            self.clear()
        self[word] = bits
        return bits


_word_bits = _WordBits({_SEP: 0})


def _positions_to_rows(pattern: re.Pattern[str], joined: str, starts: np.ndarray) -> np.ndarray:
    """The text index of every match of pattern in the joined texts."""
    positions = np.fromiter((m.start() for m in pattern.finditer(joined)), dtype=np.int64)
    return np.searchsorted(starts, positions, side="right") - 1


def _code_point_rows(selected: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The text index of every selected code point of the joined texts."""
    return np.searchsorted(starts, np.flatnonzero(selected), side="right") - 1


def dense_features(texts: Sequence[str]) -> np.ndarray:
    """Hand-written cues of already normalised texts, one row per text."""
    texts = list(texts)
    count = len(texts)
    joined = _SEP.join(texts)
    if count == 0 or joined.count(_SEP) != count - 1:
        return reference_dense_features(texts)
    rows = np.zeros((count, len(DENSE_FEATURES)), dtype=np.float64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))

    # Words: one bit mask per word, segment i starts at the separator before text i.
    tokens = _WORD_OR_SEP.findall(joined)
    bits = np.zeros(len(tokens) + 1, dtype=np.int64)
    bits[1:] = np.fromiter(map(_word_bits.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    is_word = np.ones(len(tokens) + 1, dtype=np.int64)
    is_word[0] = 0
    separators = np.flatnonzero(np.fromiter(map(_SEP.__eq__, tokens), dtype=bool, count=len(tokens))) + 1
    is_word[separators] = 0
    segments = np.concatenate(([0], separators))
    n = np.add.reduceat(is_word, segments)
    any_bits = np.bitwise_or.reduceat(bits, segments)

    small = n < len(_LOG_WORDS)
    rows[small, _COLUMN["log_words"]] = np.take(_LOG_WORDS, n[small])
    for i in np.flatnonzero(~small):
        rows[i, _COLUMN["log_words"]] = float(np.log1p(int(n[i]))) / 4
    rows[:, _COLUMN["under_6_words"]] = n < 6
    rows[:, _COLUMN["under_3_words"]] = n < 3
    rows[:, _COLUMN["over_30_words"]] = n > 30

    # \d is [0-9] on the texts that keep this row (a text with another digit has a
    # non-ASCII word character: its row is recomputed the plain way below), and
    # code points are counted faster than matches are.
    code_points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    digits = np.bincount(
        _code_point_rows((code_points >= ord("0")) & (code_points <= ord("9")), starts), minlength=count
    )
    rows[:, _COLUMN["digit"]] = digits > 0
    rows[:, _COLUMN["digits"]] = np.minimum(digits, 10) / 10
    names = np.bincount(_positions_to_rows(_NAME, joined, starts), minlength=count)
    rows[:, _COLUMN["names"]] = np.minimum(names, 5) / 5
    rows[:, _COLUMN["acronym"]] = any_bits & _ACRONYM_BIT != 0

    shifts = np.arange(len(_CUES))
    hits = (any_bits[:, None] >> (_HIT_SHIFT + shifts)) & 1 == 1
    searched = (any_bits[:, None] >> (_TRIGGER_SHIFT + shifts)) & 1 == 1
    for i, symbols in _SYMBOL_CUES:
        searched[_code_point_rows(np.isin(code_points, symbols), starts), i] = True
    searched[:, _EXHAUSTIVE_CUES] = False
    for j, i in np.argwhere(searched & ~hits):
        hits[j, i] = _CUES[i].pattern.search(texts[j]) is not None
    rows[:, _CUE_COLUMNS] = hits
    counted = (bits >> (_HIT_SHIFT + _CUE_INDEX["claim_cue"])) & 1
    rows[:, _COLUMN["claim_cues"]] = np.minimum(np.add.reduceat(counted, segments), 5) / 5

    for i, text in enumerate(texts):
        if _OPENER.match(text) is not None:
            rows[i, _COLUMN["opener"]] = 1.0
        if text.endswith("?"):
            rows[i, _COLUMN["question"]] = 1.0
        if "!" in text:
            rows[i, _COLUMN["exclamation"]] = 1.0

    exotic = [i for i, text in enumerate(texts) if not text.isascii() and _NON_ASCII_WORD.search(text)]
    if exotic:
        rows[exotic] = reference_dense_features([texts[i] for i in exotic])
    return rows


@dataclass(frozen=True, eq=False)
class GeneralModel:
    """The language-independent scorer (``general.py``): sigmoid(slope * (cues . coef + intercept) + offset)."""

    coef: np.ndarray
    intercept: float
    calibration: tuple[float, float]
    info: dict[str, Any]

    def score(self, texts: Sequence[str], language: str) -> list[float]:
        if not texts:
            return []
        from .general import general_features

        slope, offset = self.calibration
        decision = general_features([normalise(t) for t in texts], language) @ self.coef + self.intercept
        return expit(slope * decision + offset).tolist()

    def as_config(self) -> dict[str, Any]:
        from .general import GENERAL_FEATURE_NAMES

        return {
            "features": list(GENERAL_FEATURE_NAMES),
            "coef": [float(c) for c in self.coef],
            "intercept": self.intercept,
            "calibration": list(self.calibration),
            "info": self.info,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], path: Path) -> GeneralModel:
        from .general import GENERAL_FEATURE_NAMES

        if tuple(config["features"]) != GENERAL_FEATURE_NAMES:
            raise ModelError(
                f"{path}: the general scorer was trained with other cues; retrain it (train_checkworthiness)"
            )
        slope, offset = config["calibration"]
        return cls(
            coef=np.array(config["coef"], dtype=np.float64),
            intercept=float(config["intercept"]),
            calibration=(float(slope), float(offset)),
            info=config.get("info", {}),
        )


MAX_PIECES = 512  # the base model's limit, which its tokenizer applied when the weights were trained


class PieceWeights:
    """One weight per word-piece of a tokenizer; a sentence gets the mean weight of its pieces.

    The weights are a regression's coefficients over the mean of static token
    vectors, folded into one number per piece (the mean is linear), so scoring
    needs the tokenizer and these numbers, not the vectors.
    """

    def __init__(self, tokenizer_json: str, weights: np.ndarray):
        from tokenizers import Tokenizer

        self.tokenizer_json = tokenizer_json
        self.weights = np.asarray(weights, dtype=np.float64)
        try:
            self.tokenizer = Tokenizer.from_str(tokenizer_json)
        except Exception as exc:  # the library raises its own exception type
            raise ModelError(f"the word-piece tokenizer cannot be read: {exc}") from exc
        # The library would cut and pad whole texts; piece_ids cuts at MAX_PIECES itself.
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self._chunks: dict[str, tuple[int, ...]] = {"": ()}
        if self.tokenizer.get_vocab_size() != len(self.weights):
            raise ModelError(
                f"{len(self.weights)} word-piece weights for a tokenizer of {self.tokenizer.get_vocab_size()} pieces"
            )

    def piece_ids(self, normalised: Sequence[str]) -> list[list[int]]:
        """Each normalised text's word-pieces, at most MAX_PIECES, as the tokenizer gives them.

        The tokenizer never joins or splits across a space (its normaliser works
        character by character, its pre-tokeniser splits at white space first, and
        ``normalise`` leaves plain single spaces only), so each space-separated chunk
        is tokenised once and remembered: news repeats its words, and one call per
        sentence into the library costs more than the look-ups.
        """
        chunks = self._chunks
        out = []
        for text in normalised:
            ids: list[int] = []
            for chunk in text.split(" "):
                pieces = chunks.get(chunk)
                if pieces is None:
                    if len(chunks) > 200_000:
                        chunks.clear()
                    pieces = chunks[chunk] = tuple(self.tokenizer.encode(chunk, add_special_tokens=False).ids)
                ids.extend(pieces)
            out.append(ids[:MAX_PIECES])
        return out

    def means(self, normalised: Sequence[str]) -> np.ndarray:
        """The mean weight of each text's pieces (0 for a text without any)."""
        pieces = self.piece_ids(normalised)
        counts = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        flat = np.fromiter((i for ids in pieces for i in ids), dtype=np.int64, count=int(counts.sum()))
        rows = np.repeat(np.arange(len(pieces)), counts)
        totals = np.bincount(rows, weights=self.weights[flat], minlength=len(pieces))
        return np.divide(totals, counts, out=np.zeros(len(pieces)), where=counts > 0)


@dataclass(frozen=True, eq=False)
class Model:
    """The English scorer, sigmoid(slope * (mean piece weight + cues . coef + intercept) + offset);
    and the general scorer for every other language."""

    pieces: PieceWeights
    coef: np.ndarray  # the cues' weights, in DENSE_FEATURE_NAMES order
    intercept: float
    calibration: tuple[float, float]
    info: dict[str, Any]
    general: GeneralModel | None = None

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        normalised = [normalise(text) for text in texts]
        total = self.pieces.means(normalised)
        # Column by column, not a matrix product: BLAS may add a row's terms in another
        # order for another batch size, and a sentence's score must not depend on its batch.
        for column, cue in enumerate(dense_features(normalised).T):
            total += cue * self.coef[column]
        return total + self.intercept

    def score(self, texts: Sequence[str]) -> list[float]:
        slope, offset = self.calibration
        return expit(slope * self.decision_function(texts) + offset).tolist()

    def save(self, path: str | Path) -> None:
        path = Path(path)
        config = {
            "format_version": FORMAT_VERSION,
            "dense_features": list(DENSE_FEATURE_NAMES),
            "pieces": len(self.pieces.weights),
            "intercept": self.intercept,
            "calibration": list(self.calibration),
            "info": self.info,
            "general": self.general.as_config() if self.general is not None else None,
        }
        arrays = {
            "config": np.array(json.dumps(config, sort_keys=True, indent=1)),
            "coef": self.coef.astype("<f4"),
            "pieces": self.pieces.weights.astype("<f4"),
            "tokenizer": np.array(self.pieces.tokenizer_json),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # np.savez stamps each member with the current time; fixed stamps keep
        # retraining byte-for-byte reproducible.
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w") as stream:
                    np.lib.format.write_array(stream, array, allow_pickle=False)

    @classmethod
    def load(cls, path: str | Path) -> Model:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as archive:
                config = json.loads(str(archive["config"]))
                if config.get("format_version") != FORMAT_VERSION:
                    raise ModelError(
                        f"{path}: format version {config.get('format_version')!r}, this code reads {FORMAT_VERSION}; "
                        "retrain it (train_checkworthiness)"
                    )
                coef = archive["coef"].astype(np.float64)
                tokenizer_json, piece_weights = str(archive["tokenizer"]), archive["pieces"].astype(np.float64)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelError(f"cannot read check-worthiness model {path}: {exc}") from exc
        if tuple(config["dense_features"]) != DENSE_FEATURE_NAMES:
            raise ModelError(f"{path} was trained with other hand-written features; retrain it (train_checkworthiness)")
        if coef.shape != (len(DENSE_FEATURE_NAMES),):
            raise ModelError(f"{path}: {coef.shape[0]} cue weights, the code has {len(DENSE_FEATURE_NAMES)} cues")
        slope, offset = config["calibration"]
        return cls(
            pieces=PieceWeights(tokenizer_json, piece_weights),
            coef=coef,
            intercept=float(config["intercept"]),
            calibration=(float(slope), float(offset)),
            info=config.get("info", {}),
            general=GeneralModel.from_config(config["general"], path) if config.get("general") else None,
        )


_model: Model | None = None
_model_lock = threading.Lock()


def get_model() -> Model:
    """The shipped model, read once per process."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = Model.load(MODEL_PATH)
    return _model


def forget_model() -> None:
    """Read the model file again on next use (after retraining it in this process)."""
    global _model
    with _model_lock:
        _model = None


def score(sentences: Sequence[str]) -> list[float]:
    """One score in [0, 1] per English sentence, in the same order; higher means more check-worthy."""
    return get_model().score(list(sentences))


def score_general(sentences: Sequence[str], language: str) -> list[float]:
    """One score in [0, 1] per sentence of a language without a trained model
    (the general scorer, read with that language's word lists where it has them)."""
    model = get_model()
    if model.general is None:
        raise ModelError(f"{MODEL_PATH} has no general scorer; retrain it (train_checkworthiness)")
    return model.general.score(list(sentences), language)

"""The shortcuts extraction takes for speed give exactly what the plain ways give."""

from __future__ import annotations

import re

import numpy as np
import pytest

from claims.extraction import attribution, checkworthiness

SPACES = [" ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2009", "\u3000", "\x1c", "\x0b", "\x85", "\u2028", "\u200b"]


def plain_normalise(text: str) -> str:
    text = text.translate(str.maketrans(dict(checkworthiness._TYPOGRAPHIC)))
    text = re.sub(r"\s*%", " percent", text)
    return re.sub(r"\s+", " ", text).strip()


def test_normalise_equals_the_plain_substitutions_whatever_the_white_space():
    words = ["Unemployment", "fell", "by", "3.1", "%", "“last”", "year", "—", "the", "lowest", "%since", "1969."]
    texts = ["", " ", "%", " % ", "5%%", "a\u00a0%b"]
    for first, space in enumerate(SPACES):
        for second in SPACES:
            texts.append(space.join(words[:first]) + second + " ".join(words[first:]) + space)
            texts.append(second + second.join(words) + second)

    assert [checkworthiness.normalise(t) for t in texts] == [plain_normalise(t) for t in texts]
    assert checkworthiness.normalise("Unemployment  fell by 3.1 %.") == "Unemployment fell by 3.1 percent."


# Texts the scorer must read as the tokenizer and the cues do one by one: case,
# non-ASCII words, one-letter words, repeats, texts without words or pieces.
SCORING_EDGES = [
    "",
    "?",
    "a",
    "I am",
    "Unemployment fell by 3.1 % last year, the lowest since 1969.",
    "“Exports rose,” he said — twice, twice, twice as fast as in the ’90s.",
    "\u0130stanbul caf\u00e9 r\u00e9sum\u00e9s \u212aELVIN \u017fome \u0131 ΟΔΟΣ ABC straße ﬁnal",
    "the the the the the of the of the",
    "x" * 300,
    " ".join(["word"] * 300),
    "a \x00 b in 1999",
]


def test_each_score_is_the_mean_piece_weight_plus_the_cues_whatever_the_batch():
    model = checkworthiness.get_model()
    texts = [*SCORING_EDGES, *(f"{a} {b}" for a in SCORING_EDGES[3:7] for b in SCORING_EDGES[4:8])]
    batch = model.decision_function(texts)
    for text, value in zip(texts, batch, strict=True):
        normalised = checkworthiness.normalise(text)
        ids = model.pieces.tokenizer.encode(normalised, add_special_tokens=False).ids
        pieces = model.pieces.weights[ids].mean() if ids else 0.0
        cues = checkworthiness.reference_dense_features([normalised])[0] @ model.coef
        assert value == pytest.approx(pieces + cues + model.intercept, abs=1e-12)
        assert model.decision_function([text])[0] == value


def test_pieces_of_every_training_sentence_are_what_the_tokenizer_gives_the_whole_sentence(shared_data):
    """The chunk memo of PieceWeights.piece_ids against one call per sentence, as the weights were trained."""
    from tokenizers import Tokenizer

    from claims.extraction.training import load_debates

    debates = load_debates(shared_data / "checkworthiness" / "clef2019-task1-train")
    texts = [checkworthiness.normalise(s) for d in debates for s in d.sentences]
    texts += [checkworthiness.normalise(t) for t in SCORING_EDGES] + [" ".join(["jobs"] * 600)]
    pieces = checkworthiness.get_model().pieces
    whole = Tokenizer.from_str(pieces.tokenizer_json)
    whole.enable_truncation(checkworthiness.MAX_PIECES)
    expected = [whole.encode(t, add_special_tokens=False).ids for t in texts]
    assert len(texts) > 15_000
    assert pieces.piece_ids(texts) == expected
    assert len(expected[-1]) == checkworthiness.MAX_PIECES


def test_digits_are_counted_as_the_plain_features_count_them_in_any_script():
    texts = [
        "In 2019, 45 of 60 seats.",
        "In \u0662\u0660\u0661\u0669 (Arabic-Indic digits) and \uff15\uff10 (full-width), 7 seats.",
        "Digits 123 next to a lone surrogate \ud800 and 4.",
        "No digits here.",
        "1" * 40,
    ]
    fast = checkworthiness.dense_features(texts)
    plain = checkworthiness.reference_dense_features(texts)

    assert np.array_equal(fast, plain)
    digits = checkworthiness.DENSE_FEATURE_NAMES.index("digits")
    assert list(fast[:, digits]) == [0.8, 0.7, 0.4, 0.0, 1.0]


def test_attribution_reads_the_same_sentences_twice_alike():
    # Per-word results are remembered between articles: a second article with
    # the same sentences gets the same speakers, and an article in between
    # does not change them.
    sentences = [
        "“Exports rose by 12 percent,” Trade Minister Omar Haddad told reporters in Lakeport.",
        "He said 4,000 jobs had been created since 2020.",
        "The ministry said the figures were preliminary.",
        "Of course, the harbour has had the highest cargo volume in the region.",
    ]
    first = attribution.attribute(sentences)
    attribution.attribute(["Mayor Dana Whitfield said the city spent $14 million, according to the transit authority."])

    assert attribution.attribute(sentences) == first
    assert [s.name if s else None for s in first] == ["Omar Haddad", "Omar Haddad", "ministry", None]


def test_content_hash_collapses_white_space_as_the_plain_substitution_does():
    import unicodedata

    from claims.normalize import content_hash, normalize_text

    def plain(text: str) -> str:
        return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()

    texts = ["", " ", "\u00a0", "Ünemployment FELL\u2009by 3.1 %", "ﬁnal ＡＢＣ straße"]
    for space in SPACES:
        texts.append(f"{space}Riverton{space}{space}spent $14 million{space}on buses.{space}")
    assert [normalize_text(t) for t in texts] == [plain(t) for t in texts]
    assert content_hash("Riverton  spent\n$14 million.") == content_hash("riverton spent $14 MILLION.")

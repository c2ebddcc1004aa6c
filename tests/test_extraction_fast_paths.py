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


# Texts the hashed n-grams must treat as the vectorizer does: case, non-ASCII
# words (whose lower-case form can split differently), one-letter words,
# repeated n-grams, texts without words.
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
]
# The shipped model hashes word counts (norm None) and weights them by TF-IDF
# (TermWeighting); the other vectorizer settings are kept working too.
HASHING_VARIANTS = [
    ({}, True),
    ({}, False),
    ({"binary": True}, True),
    ({"lowercase": False}, True),
    ({"ngram_range": [1, 2]}, True),
    ({"norm": "l2"}, False),
    ({"norm": "l2", "ngram_range": [1, 2]}, False),
    ({"alternate_sign": True, "norm": "l2"}, False),
    ({"binary": True, "norm": "l2"}, False),
    ({"ngram_range": [2, 2], "norm": "l2"}, False),
    # Not reproduced by the shortcut: they go through the vectorizer.
    ({"norm": "l2"}, True),
    ({"norm": "l1"}, False),
    ({"ngram_range": [1, 3]}, True),
    ({"token_pattern": r"(?u)\b\w+\b"}, True),
]


def _variant_id(case) -> str:
    variant, weighted = case
    return ",".join([*(f"{k}={variant[k]}" for k in variant), "tfidf" if weighted else "counts"])


@pytest.mark.parametrize("case", HASHING_VARIANTS, ids=_variant_id)
def test_linear_scores_equal_the_sparse_product_bit_for_bit(case):
    variant, weighted = case
    model = checkworthiness.get_model()
    hashing = {**model.hashing, **variant}
    weighting = model.weighting if weighted else None
    texts = [*SCORING_EDGES, *(f"{a} {b}" for a in SCORING_EDGES[3:7] for b in SCORING_EDGES[4:8])]
    expected = checkworthiness.feature_matrix(texts, hashing, weighting) @ model.coef
    assert np.array_equal(checkworthiness.linear_scores(texts, hashing, model.coef, weighting), expected)
    # One at a time, and with a NUL in a text (the joined batch cannot be split again).
    assert [checkworthiness.linear_scores([t], hashing, model.coef, weighting)[0] for t in texts] == list(expected)
    with_nul = [*texts, "a \x00 b in 1999"]
    assert np.array_equal(
        checkworthiness.linear_scores(with_nul, hashing, model.coef, weighting),
        checkworthiness.feature_matrix(with_nul, hashing, weighting) @ model.coef,
    )


def test_the_shipped_model_weights_words_by_tf_idf_on_the_fast_path():
    model = checkworthiness.get_model()
    assert model.weighting is not None and model.hashing["norm"] is None
    assert not checkworthiness._word_hasher(model.hashing).fallback
    # A bucket too rare in training has idf 0: its word counts for nothing, and in no norm.
    assert (model.weighting.idf == 0).any() and (model.weighting.idf > 1).any()


def test_scores_of_every_training_sentence_equal_the_sparse_product_bit_for_bit(shared_data):
    from claims.extraction.training import load_debates

    debates = load_debates(shared_data / "checkworthiness" / "clef2019-task1-train")
    texts = [s for debate in debates for s in debate.sentences]
    model = checkworthiness.get_model()
    expected = checkworthiness.feature_matrix(texts, model.hashing, model.weighting) @ model.coef
    assert len(texts) > 15_000
    assert np.array_equal(checkworthiness.linear_scores(texts, model.hashing, model.coef, model.weighting), expected)


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

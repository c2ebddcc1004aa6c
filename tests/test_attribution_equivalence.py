"""Attribution reads a sentence's tokens stretch by stretch (between white space),
remembering each stretch's; that gives exactly what the tokenizer gives on the
whole text."""

from __future__ import annotations

import random

from claims.extraction import attribution
from claims.extraction.attribution import Q, _category, _frame

# Dots that the tokenizer's look-aheads read past ("Mr. Smith", "John F. Kennedy",
# "U.S."), every kind of white space, quotation marks and odd letters.
PIECES = [
    "Mr", "Mrs", "Dr", "Sen", "St", "Jr", "J", "F", "U", "S", "É", "é", "×", "Þ", "ǅ", "ﬁ", "İ", "ß", "x", "Smith",
    "said", "Of", "of", "3.4", "1", "١", "²", "_", "-", "’", "'", ",", ":", "—", ".", ".", ".",
    " ", " ", " ", "  ", "\xa0", "\n", "\t", "\u2009", "\u3000", "\x1c", "\x85", "\u2028", "\u200b",
    "“", "”", '"', "«", "»", "\x00", "Q",
]  # fmt: skip

SENTENCES = [
    "",
    " ",
    "Mr. Smith said so.",
    "Mr.\xa0Smith and Dr.\u2009Jones met J.D. Vance and John F. Kennedy.",
    "The U.S. said: “No.” Then Mr.",
    "Mr. “Smith” said. Sen. ",
    "A. B. C.D. e.f. ×. x",
    '“It rose 3.4 %,” said Gen. Lt. Col. O’Neil-Smith, adding: "We’ll see."',
    "«Non», a dit M. Dupont.  ",
]


def plain_frame(sentence: str, open_at_start: bool) -> tuple:
    """The tokenizer run on each unquoted piece as a whole."""
    in_quote = open_at_start
    tokens: list[str] = []
    has_quote = False
    for piece in attribution._QUOTE_CHARS.split(sentence):
        if not piece:
            continue
        if piece in attribution._OPENERS:
            in_quote = True
        elif piece in attribution._CLOSERS:
            in_quote = False
        elif piece == '"':
            in_quote = not in_quote
        elif in_quote:
            if attribution._HAS_WORD.search(piece):
                has_quote = True
                if not tokens or tokens[-1] != Q:
                    tokens.append(Q)
        else:
            tokens.extend(attribution._TOKEN.findall(piece))
    return tokens, [t.lower() for t in tokens], [_category(t) for t in tokens], has_quote, in_quote


def frame(sentence: str, open_at_start: bool) -> tuple:
    fr = _frame(sentence, open_at_start)
    assert fr.started_open == open_at_start
    return list(fr.tokens), list(fr.lower), list(fr.cats), fr.has_quote, fr.open_at_end


def test_sentences_are_tokenized_as_the_whole_text_is():
    rng = random.Random(20240527)  # noqa: S311 -- reproducible test strings, not secrets
    sentences = SENTENCES + ["".join(rng.choices(PIECES, k=rng.randint(1, 16))) for _ in range(4000)]
    for sentence in sentences:
        for open_at_start in (False, True):
            assert frame(sentence, open_at_start) == plain_frame(sentence, open_at_start), repr(sentence)


def test_remembered_stretches_do_not_leak_between_contexts():
    # The same stretch "F." ends an initial before a name and a sentence before a quote.
    assert frame("John F. Kennedy spoke.", False)[0] == ["John", "F.", "Kennedy", "spoke", "."]
    assert frame("Plan F. “Go.”", False)[0] == ["Plan", "F", ".", Q]
    assert frame("Plan F.", False)[0] == ["Plan", "F", "."]
    assert frame("John F. Kennedy spoke.", False)[0] == ["John", "F.", "Kennedy", "spoke", "."]

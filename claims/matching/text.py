"""Pure text work for matching: lexemes, trigrams and numbers. No database.

Lexemes follow PostgreSQL's ``english`` text-search configuration (its stop
words, then the Snowball English stemmer), so that the words the re-ranker
counts are the ones the PostgreSQL full-text index holds and the document
frequencies read from PostgreSQL's statistics apply to them. Trigrams follow
``pg_trgm``: each word lower-cased, padded with two spaces in front and one
behind, similarity = shared trigrams / all trigrams of both.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

# PostgreSQL's english.stop (the Snowball English stop-word list).
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing a an the and but if or because as until while of
    at by for with about against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each few more most other
    some such no nor not only own same so than too very s t can will just don should now""".split()
)

_WORD = re.compile(r"[^\W_]+")
# 4,300 and 4300 are the same number; 3.5 keeps its point.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def words(text: str) -> list[str]:
    # Curly apostrophes split words as straight ones do ("didn’t" -> didn, t).
    return _WORD.findall(text.lower())


def lexemes(text: str) -> list[str]:
    """The text's stemmed words without stop words, in order, repeats kept."""
    return [_stem(word) for word in words(text) if word not in STOP_WORDS]


@lru_cache(maxsize=200_000)
def _word_trigrams(word: str) -> frozenset[str]:
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def trigrams(text: str) -> frozenset[str]:
    return frozenset().union(*map(_word_trigrams, words(text)))


def trigram_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """pg_trgm's similarity() of two trigram sets."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def numbers(text: str) -> frozenset[str]:
    return frozenset(n.replace(",", "") for n in _NUMBER.findall(text))

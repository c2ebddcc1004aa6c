"""Pure text work for matching: lexemes per language, query expansions,
trigrams and numbers. No database.

Lexemes follow PostgreSQL's text-search configuration of the text's language
(``CONFIGS``: its parser's main token kinds, its stop words, then its Snowball
stemmer), so that the words the re-ranker counts are the ones the PostgreSQL
full-text index holds and the document frequencies read from PostgreSQL's
statistics apply to them. The stop-word lists in ``stopwords/`` are
PostgreSQL 15's (``tsearch_data/*.stop``, the Snowball project's lists, BSD
licence); ``arabic`` has none there, so none here. A language PostgreSQL has
no configuration for is split into words and lower-cased (``simple``).

Query expansions (``expansions``) are extra lexemes a query also looks for,
never stored with a document: the same number written another way ("3
million", "3,000,000"; "eighty", "80"; "%", "percent") and a short list of
English words that stand for each other in claims ("jobless", "unemployed").
Both backends search with them, so they rank alike.

Trigrams follow ``pg_trgm``: each word lower-cased, padded with two spaces in
front and one behind, similarity = shared trigrams / all trigrams of both.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer

# Language (BCP 47 primary subtag) -> PostgreSQL text-search configuration.
# Migration 0025 writes the same table into the generated column's SQL: a
# language added here needs a migration that recreates the column.
CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
# Claims and reviews with no language are taken as English, as before languages were kept.
DEFAULT_CONFIG = "english"
SIMPLE = "simple"
_STOPWORDS_DIR = Path(__file__).resolve().parent / "stopwords"
# Configurations that send ASCII-only words to the English stemmer (PostgreSQL's asciiword mapping).
_ASCII_AS_ENGLISH = frozenset({"russian"})


def config_for(language: str | None) -> str:
    """The text-search configuration for a language tag ("es", "pt-BR"); English when unknown or empty."""
    if not language:
        return DEFAULT_CONFIG
    return CONFIGS.get(language.strip().lower().replace("_", "-").split("-")[0], SIMPLE)


@cache
def stop_words(config: str) -> frozenset[str]:
    path = _STOPWORDS_DIR / f"{config}.stop"
    if not path.exists():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


STOP_WORDS = stop_words("english")


@cache
def _stemmer(config: str):
    return None if config == SIMPLE else snowballstemmer.stemmer(config)


@lru_cache(maxsize=400_000)
def _stem(word: str, config: str) -> str:
    if config in _ASCII_AS_ENGLISH and word.isascii():
        return _stem(word, "english")
    stemmer = _stemmer(config)
    return stemmer.stemWord(word) if stemmer else word


# The token kinds of PostgreSQL's default parser that claims contain, in the order it tries them:
# dotted and slashed tokens ("u.s", "9.2", "x.com", "9/11": kept whole, not stemmed), hyphenated
# words ("co-sponsor": the whole and each part), an integer with the sign written against it
# ("-19" in "covid-19", "-100" in "75-100"), and plain words and numbers. Apostrophes and other
# marks split words.
_TOKEN = re.compile(
    r"(?P<dotted>[a-z0-9]+(?:[./][a-z0-9]+)+)"
    r"|(?P<hyphenated>[^\W\d_]+(?:-[^\W\d_]+)+)"
    r"|(?P<signed>-\d+|(?<![^\W_])\+\d+)"
    r"|(?P<word>[^\W_]+)"
)
# Arabic vowel marks and the tatweel: PostgreSQL keeps them inside a word and its Snowball
# stemmer drops them; Python's \w would split the word at them.
_ARABIC_MARKS = re.compile("[\u0640\u064b-\u065f\u0670]")
# 4,300 and 4300 are the same number; 3.5 keeps its point.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _tokens(text: str) -> list[tuple[str, str]]:
    text = _ARABIC_MARKS.sub("", text.lower())
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]


def words(text: str) -> list[str]:
    # Curly apostrophes split words as straight ones do ("didn’t" -> didn, t).
    return re.findall(r"[^\W_]+", text.lower())


def lexemes(text: str, config: str = DEFAULT_CONFIG) -> list[str]:
    """The text's lexemes as PostgreSQL's ``to_tsvector(config, text)`` holds them, in order, repeats kept."""
    stops = stop_words(config)
    english_stops = stop_words(DEFAULT_CONFIG) if config in _ASCII_AS_ENGLISH else stops
    result = []
    for kind, token in _tokens(text):
        if english_stops is not stops and token.isascii() and token in english_stops:
            continue
        if kind == "dotted" or kind == "signed":
            result.append(token)
        elif kind == "hyphenated":
            for part in (token, *token.split("-")):
                if part not in stops:
                    result.append(_stem(part, config))
        elif token not in stops:
            result.append(_stem(token, config))
    return result


# --- Query expansions (English) ------------------------------------------------------

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "dozen": 12,
}  # fmt: skip
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
_FRACTIONS = {"half": "50", "third": "33", "quarter": "25"}
_QUANTITY = re.compile(
    r"(?P<value>\d+(?:,\d{3})*(?:\.\d+)?|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b)"
    r"(?:-| )?(?P<scale>thousand|million|billion|trillion|percent|per cent|%)?",
)

# Words that stand for each other in claims: each group's stemmed words are
# searched for whenever one of them is in the query. Kept short and general:
# chosen by hand from everyday English, not from any evaluation set.
SYNONYMS = (
    "jobless unemployed unemployment",
    "job employment",
    "rich wealthy",
    "poor poverty",
    "money cash funds",
    "kids children",
    "cops police",
    "car automobile vehicle",
    "gun guns firearm firearms",
    "abroad overseas",
    "immigrant migrant",
    "illegal undocumented",
    "doctor physician",
    "drug drugs medicine medication",
    "lawmakers legislators legislature",
    "biggest largest",
    "highest most",
    "lowest fewest",
    "increase rise rose grow grew climb jump soar",
    "decrease decline fall fell drop cut shrink",
    "double doubled twice",
    "triple tripled",
    "ban prohibit outlaw",
    "kill murder",
    "die death dead deaths",
    "say said claim claimed",
    "fake false hoax staged",
    "photo picture image",
    "video footage clip",
    "vote ballot",
    "election vote",
    "pay paid wage wages salary",
    "company companies business businesses firm",
    "country nation",
    "u.s america american",
    "gop republican republicans",
    "democrat democrats democratic",
    "obamacare affordable care act",
    "medicare medicaid",
    "taxes tax",
    "military troops soldiers army",
    "teacher teachers educator",
    "school schools education",
    "covid coronavirus virus pandemic",
    "vaccine vaccines vaccination shot",
    "mask masks",
    "climate global warming",
    "border wall",
)


def _stems(phrase: str) -> list[str]:
    return lexemes(phrase, DEFAULT_CONFIG)


@lru_cache(maxsize=1)
def _synonym_table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for group in SYNONYMS:
        stems = set(_stems(group))
        for stem in stems:
            table.setdefault(stem, set()).update(stems)
    return {stem: frozenset(others - {stem}) for stem, others in table.items()}


def _number_value(token: str) -> float | None:
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    if not token[:1].isdigit():  # float() also reads "nan" and "infinity"
        return None
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def _spellings(value: float) -> set[str]:
    """How a number's lexemes may read in a document: 3000000 -> {"3000000", "3", "million", "000"}."""
    result = set()
    if value == int(value):
        result.add(str(int(value)))
        words = [w for w, v in _NUMBER_WORDS.items() if v == value and w != "dozen"]
        result.update(_stems(" ".join(words)) if words else ())
    else:
        result.add(_format(value))
    for name, scale in sorted(_SCALES.items(), key=lambda kv: -kv[1]):
        if value >= scale:
            short = value / scale
            result.add(_format(short))
            result.add(name)
            if value == int(value):
                # 3,000,000 as PostgreSQL splits it: 3, 000, 000.
                result.update(format(int(value), ",").split(","))
            break
    return result


@lru_cache(maxsize=100_000)
def number_values(text: str) -> frozenset[float]:
    """Numbers in a text as values: "3 million", "3,000,000" and "3m" all 3000000.0; "80%" and "eighty percent" 80.0."""
    values = set()
    lowered = text.lower()
    for m in _QUANTITY.finditer(lowered):
        value = _number_value(m.group("value"))
        if value is None:
            continue
        scale = m.group("scale")
        if scale in _SCALES:
            value *= _SCALES[scale]
        values.add(value)
    return frozenset(values)


def expansions(text: str, config: str = DEFAULT_CONFIG) -> frozenset[str]:
    """Lexemes a query also searches for, beyond its own: other spellings of its
    numbers and percentages, and synonyms (English queries only)."""
    if config != DEFAULT_CONFIG:
        return frozenset()
    own = set(lexemes(text, config))
    extra: set[str] = set()
    lowered = text.lower()
    if "%" in lowered or "per cent" in lowered or " pct" in lowered:
        extra.add("percent")
    for value in number_values(lowered):
        extra.update(_spellings(value))
    for word, share in _FRACTIONS.items():
        if re.search(rf"\b(?:one[- ])?{word}\b", lowered):
            extra.add(share)
    table = _synonym_table()
    for stem in own:
        extra.update(table.get(stem, ()))
    return frozenset(extra - own)


@lru_cache(maxsize=200_000)
def _word_trigrams(word: str) -> frozenset[str]:
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


@lru_cache(maxsize=100_000)
def trigrams(text: str) -> frozenset[str]:
    return frozenset().union(*map(_word_trigrams, words(text)))


def trigram_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """pg_trgm's similarity() of two trigram sets."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


@lru_cache(maxsize=100_000)
def numbers(text: str) -> frozenset[str]:
    """The text's numbers, as written digits (commas dropped) and as values of number words and scales."""
    written = {n.replace(",", "") for n in _NUMBER.findall(text)}
    return frozenset(written | {_format(v) for v in number_values(text)})


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.6g}"

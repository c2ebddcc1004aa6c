"""Which language a text is in, and which check-worthiness scorer reads it.

    detect_language("Los precios subieron otra vez en marzo.")  # "es"
    scorer_for("es")  # "general"

Detection is py3langid's naive Bayes model. It was compared with
lingua-language-detector on short sentences in seven languages
(claims/extraction/MODEL_CARD.md, "Languages"; ``python -m bench.language_detection``):
over all 97 of its languages py3langid confuses short texts with close
neighbours (Russian with Serbian and Bulgarian, Arabic with Egyptian Arabic,
Spanish with Aragonese), so it first answers among the languages a news desk
meets (``DETECTION_LANGUAGES``), where it is as accurate as lingua on that set,
three times faster and without lingua's 100 MB of models and 0.5 to 1 GB of memory. A text
confidently in another language keeps that language.

Only English has a trained scorer ("en"); every other language, and a text
whose language is unknown, is scored by the language-independent "general"
scorer (``general.py``). Either way each candidate says which one scored it.
"""

from __future__ import annotations

import re
import threading

ENGLISH_SCORER = "en"
GENERAL_SCORER = "general"
SCORERS = (ENGLISH_SCORER, GENERAL_SCORER)
# Languages a desk meets most; py3langid answers among these unless it is sure of another.
DETECTION_LANGUAGES = tuple("en es fr de pt it nl ru uk pl tr ar fa he hi ur zh ja ko id".split())
# Above this probability (over all of py3langid's languages) an answer outside
# DETECTION_LANGUAGES stands: a long Swedish text is Swedish, not Danish-ish German.
CONFIDENT = 0.95
# The first characters decide; the whole text costs milliseconds more per article.
SAMPLE_CHARS = 1000
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

_identifiers: dict[str, object] = {}
_lock = threading.Lock()


def _identifier(restricted: bool):
    key = "restricted" if restricted else "all"
    identifier = _identifiers.get(key)
    if identifier is None:
        with _lock:
            identifier = _identifiers.get(key)
            if identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                if restricted:
                    identifier.set_languages(list(DETECTION_LANGUAGES))
                _identifiers[key] = identifier
    return identifier


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "" when it has fewer than three letters."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample[:200])) < 3 and len(_LETTER.findall(sample)) < 3:
        return ""
    language, probability = _identifier(restricted=False).classify(sample)
    if language in DETECTION_LANGUAGES or probability >= CONFIDENT:
        return language
    return _identifier(restricted=True).classify(sample)[0]


# English function words (none of them a word of Spanish, French, German, Portuguese
# or Italian): in English prose about a third of the words; in those languages
# next to none.
_ENGLISH_WORDS = frozenset(
    "the of and to is was that for with are has have it by from said this be at were their which its not been "
    "will would they he she his her who there than".split()
)
_WORD = re.compile(r"[^\W\d_]+")


def looks_english(text: str, *, words: int = 80, share: float = 0.1) -> bool:
    """A cheap first look, before the detector: do English function words make up
    at least ``share`` of the first ``words`` words? (About 20 µs an article, where
    the detector takes a millisecond or two; extraction asks only when the page
    says it is English, and runs the detector when this says no.)"""
    sample = _WORD.findall(text[: words * 12])[:words]
    return len(sample) >= 20 and sum(w.lower() in _ENGLISH_WORDS for w in sample) >= share * len(sample)


def article_language(text: str, hint: str = "") -> str:
    """The language of an article's text: English when the page says so and the
    text reads as English; else the detector's answer; the hint (or English) only
    when the text is too short to tell."""
    hint = base_language(hint)
    if hint == "en" and looks_english(text):
        return "en"
    return detect_language(text) or hint or "en"


def base_language(language: str) -> str:
    """ "en-GB" -> "en"; "" stays ""."""
    return (language or "").split("-")[0].split("_")[0].lower()


def scorer_for(language: str) -> str:
    return ENGLISH_SCORER if base_language(language) == "en" else GENERAL_SCORER


def sentence_scorer(sentence: str, article_scorer: str) -> str:
    """The scorer of one sentence of an article: the article's, except that a
    sentence written mostly outside the Latin alphabet (an Arabic or Russian
    quotation in an English article) never goes to the English model."""
    if article_scorer != ENGLISH_SCORER or sentence.isascii():
        return article_scorer
    letters = _LETTER.findall(sentence)
    if letters and len(_LATIN.findall(sentence)) < len(letters) / 2:
        return GENERAL_SCORER
    return article_scorer

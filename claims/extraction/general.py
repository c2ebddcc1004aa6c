"""The language-independent check-worthiness scorer ("general"), for languages
without a trained model.

It reads only what marks a checkable claim in any language: numbers, percentages,
money, years and dates, names, comparisons and records, and reported speech, with
small word lists per language (English, Spanish, French, German, Portuguese,
Russian, Arabic) written for this project. Its weights are fitted on the English
CLEF-2019 debates through the English word lists (``training.train_general``), so
they say how much each kind of cue is worth; the other languages' lists carry
those weights over. A language without lists still gets the cues that need none
(digits, symbols, years, capitalised names, length).

Scores are a sigmoid of the weighted cues, calibrated like the English model's
(classes balanced): they rank an article's sentences; they are not comparable
with the English model's scores, which is why the per-article maximum and the
threshold apply per scorer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from .languages import base_language


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Per language: (percent words, money words, month names, comparatives and change
# verbs, superlatives and records, reporting verbs and "according to"). Lower case;
# a phrase of several words is searched as a phrase.
LEXICONS: dict[str, dict[str, frozenset[str]]] = {
    # "may" is no month here: the modal would fire it in every other English sentence.
    "en": {
        "percent": _words("percent percentage per_cent"),
        "money": _words("dollar dollars euro euros pound pounds million billion trillion"),
        "month": _words("january february march april june july august september october november december"),
        "comparative": _words(
            "more less fewer than higher lower larger smaller greater increase increased decrease decreased "
            "rise rose risen fell fall fallen dropped grew doubled tripled"
        ),
        "superlative": _words("most least highest lowest largest biggest record first ever only"),
        "reporting": _words("said says told according claimed stated announced confirmed denied warned"),
    },
    "es": {
        "percent": _words("por_ciento porcentaje"),
        "money": _words("dólar dólares euro euros peso pesos millón millones mil_millones billón"),
        "month": _words(
            "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre"
        ),
        "comparative": _words(
            "más menos mayor menor aumentó aumento subió bajó cayó creció disminuyó descenso "
            "duplicó triplicó alza baja superior inferior"
        ),
        "superlative": _words("récord máximo mínimo primer primera único única histórico nunca"),
        "reporting": _words(
            "dijo afirmó aseguró declaró señaló explicó añadió según anunció confirmó negó advirtió denunció"
        ),
    },
    "fr": {
        "percent": _words("pour_cent pourcentage"),
        "money": _words("dollar dollars euro euros million millions milliard milliards"),
        "month": _words("janvier février mars avril mai juin juillet août septembre octobre novembre décembre"),
        "comparative": _words(
            "plus moins hausse baisse augmenté augmentation diminué diminution supérieur inférieur "
            "doublé triplé grimpé chuté progressé recul"
        ),
        "superlative": _words("record maximum minimum premier première seul seule jamais historique"),
        "reporting": _words(
            "déclaré affirmé dit indiqué expliqué ajouté selon annoncé confirmé démenti averti assuré estimé"
        ),
    },
    "de": {
        "percent": _words("prozent prozentpunkte"),
        "money": _words("dollar euro euros million millionen milliarde milliarden"),
        "month": _words("januar februar märz april mai juni juli august september oktober november dezember"),
        "comparative": _words(
            "mehr weniger höher niedriger größer kleiner gestiegen gesunken stieg sank verdoppelt "
            "zugenommen abgenommen anstieg rückgang"
        ),
        "superlative": _words("rekord höchste niedrigste größte erste einzige nie"),
        "reporting": _words("sagte sagt erklärte betonte laut kündigte bestätigte bestritt warnte behauptete"),
    },
    "pt": {
        "percent": _words("por_cento porcentagem percentual"),
        "money": _words("dólar dólares euro euros real reais milhão milhões bilhão bilhões mil_milhões"),
        "month": _words("janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"),
        "comparative": _words(
            "mais menos maior menor aumentou aumento subiu caiu cresceu diminuiu queda alta dobrou triplicou"
        ),
        "superlative": _words("recorde máximo mínimo primeiro primeira único única histórico nunca"),
        "reporting": _words("disse afirmou declarou segundo anunciou confirmou negou explicou acrescentou alertou"),
    },
    "ru": {
        "percent": _words("процент процента процентов"),
        "money": _words("доллар долларов евро рубль рублей миллион миллиона миллионов миллиард миллиарда миллиардов"),
        "month": _words(
            "января февраля марта апреля мая июня июля августа сентября октября ноября декабря "
            "январе феврале марте апреле мае июне июле августе сентябре октябре ноябре декабре"
        ),
        "comparative": _words(
            "больше меньше чем выше ниже вырос выросла выросли снизился снизилась упал упала увеличился "
            "сократился рост снижение вдвое"
        ),
        "superlative": _words("рекорд рекордный самый самая самое впервые единственный никогда"),
        "reporting": _words("заявил заявила сказал сказала сообщил сообщила по_данным подтвердил отметил"),
    },
    "ar": {
        "percent": _words("بالمئة بالمائة المئة المائة نسبة بنسبة"),
        "money": _words("دولار دولارا دولارات يورو ريال جنيه درهم دينار مليون ملايين مليار مليارات"),
        "month": _words(
            "يناير فبراير مارس أبريل إبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر "
            "كانون شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين"
        ),
        "comparative": _words(
            "أكثر أقل ارتفع ارتفعت انخفض انخفضت زيادة تراجع تراجعت ارتفاع انخفاض تضاعف تضاعفت أعلى أدنى"
        ),
        "superlative": _words("قياسي قياسية الأعلى الأكبر الأكثر الأول الأولى الوحيد أبدا"),
        "reporting": _words("قال قالت أكد أكدت صرح صرحت أعلن أعلنت وفقا بحسب حسب أضاف أضافت أوضح نفى نفت"),
    },
}
# Clitics that Arabic joins to the next word: "and", "so", "with", "for", "the".
_ARABIC_PREFIXES = ("وال", "بال", "فال", "لل", "و", "ف", "ب", "ل")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PERCENT_SIGN = re.compile(r"%|٪")
_CURRENCY = re.compile(r"[$€£¥₽₹]|\b(?:US\$|USD|EUR|GBP)\b")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_DATE = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")
# A capitalised word that does not start the sentence: a name, a place, a body.
_NAME = re.compile(r"(?<=[^\s.!?¿¡«“\"(]\s)[A-ZÀ-ÞА-ЯЁ][a-zà-ÿа-яё]+")
_QUESTION = re.compile(r"[?؟]\s*[\"'”»)]*\s*$")


def _tokens(text: str, language: str) -> list[str]:
    words = [w.lower() for w in _TOKEN.findall(text)]
    if language == "ar":
        stripped = []
        for word in words:
            stripped.append(word)
            for prefix in _ARABIC_PREFIXES:
                if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                    stripped.append(
                        ("ال" + word[len(prefix) :]) if prefix.endswith("ل") and prefix != "ل" else word[len(prefix) :]
                    )
                    break
        words = stripped
    return words


def _lexicon_hit(kind: str) -> Callable[[str, list[str], str], float]:
    def feature(text: str, words: list[str], language: str) -> float:
        lexicon = LEXICONS.get(language)
        if lexicon is None:
            return 0.0
        entries = lexicon[kind]
        if any(word in entries for word in words):
            return 1.0
        # phrases ("por_ciento") are searched in the lower-cased text
        low = text.lower()
        return float(any("_" in entry and entry.replace("_", " ") in low for entry in entries))

    return feature


def _percent(text: str, words: list[str], language: str) -> float:
    return max(float(_PERCENT_SIGN.search(text) is not None), _lexicon_hit("percent")(text, words, language))


def _money(text: str, words: list[str], language: str) -> float:
    return max(float(_CURRENCY.search(text) is not None), _lexicon_hit("money")(text, words, language))


def _date(text: str, words: list[str], language: str) -> float:
    return max(float(_DATE.search(text) is not None), _lexicon_hit("month")(text, words, language))


# (name, function of the text, its lower-case words and its language). The names
# are stored with the weights and checked on load.
GENERAL_FEATURES: tuple[tuple[str, Callable[[str, list[str], str], float]], ...] = (
    ("log_words", lambda text, words, language: float(np.log1p(len(words))) / 4),
    ("under_6_words", lambda text, words, language: float(len(words) < 6)),
    ("over_30_words", lambda text, words, language: float(len(words) > 30)),
    ("digit", lambda text, words, language: float(_DIGIT.search(text) is not None)),
    ("numbers", lambda text, words, language: min(len(_NUMBER.findall(text)), 4) / 4),
    ("percent", _percent),
    ("money", _money),
    ("year", lambda text, words, language: float(_YEAR.search(text) is not None)),
    ("date", _date),
    ("names", lambda text, words, language: min(len(_NAME.findall(text)), 4) / 4),
    ("comparative", _lexicon_hit("comparative")),
    ("superlative", _lexicon_hit("superlative")),
    ("reporting", _lexicon_hit("reporting")),
    ("question", lambda text, words, language: float(_QUESTION.search(text) is not None)),
)
GENERAL_FEATURE_NAMES = tuple(name for name, _ in GENERAL_FEATURES)


def general_features(texts: Sequence[str], language: str) -> np.ndarray:
    """One row of cues per text, read with the word lists of ``language`` (none when it has no lists)."""
    language = base_language(language)
    rows = np.zeros((len(texts), len(GENERAL_FEATURES)), dtype=np.float64)
    for i, text in enumerate(texts):
        words = _tokens(text, language)
        rows[i] = [feature(text, words, language) for _, feature in GENERAL_FEATURES]
    return rows

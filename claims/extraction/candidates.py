"""From an article's text to its check-worthy claim candidates: sentences with
their spans, scores and speakers. Pure: no database access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from sentencex import segment

from . import attribution, checkworthiness, languages
from .article_text import is_boilerplate, paragraphs


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Candidate:
    text: str
    sentence: str
    start: int
    end: int
    score: float
    claimant: attribution.Speaker | None
    # "en" (the model trained on English debates) or "general" (the language-
    # independent scorer): scores of the two are not comparable.
    scorer: str = languages.ENGLISH_SCORER
    language: str = "en"


# Why a sentence is or is not a candidate (``read_article``, ``extract_claims --all``).
CANDIDATE = "candidate"
REQUEST = "candidate: a named person's request, plea, demand or accusation"
BELOW_THRESHOLD = "below threshold"
OVER_MAXIMUM = "over the per-article maximum"
NOT_SCORED = "not scored: a question or under 5 words"
# Reported acts that make a person's sentence a candidate whatever its score.
REQUEST_ACTS = frozenset({"request", "accusation"})


@dataclass(frozen=True)
class ReadSentence:
    """One sentence of an article as extraction read it: its score (None when it
    was not scored), which scorer gave it, its speaker, and whether it became a
    candidate and why (or why not)."""

    text: str
    start: int
    end: int
    score: float | None
    scorer: str
    claimant: attribution.Speaker | None
    status: str

    @property
    def is_candidate(self) -> bool:
        return self.status in (CANDIDATE, REQUEST)


@dataclass(frozen=True)
class ArticleReading:
    language: str  # detected from the text ("" when too short: the hint, or English)
    sentences: list[ReadSentence]

    def candidates(self) -> list[Candidate]:
        found = [
            Candidate(s.text, s.text, s.start, s.end, s.score, s.claimant, s.scorer, self.language)
            for s in self.sentences
            if s.is_candidate
        ]
        found.sort(key=lambda c: (-c.score, c.start))
        return found


def split_sentences(text: str, *, language: str = "en") -> list[Sentence]:
    """Sentences of the article's claim-bearing paragraphs, with their spans in ``text``.

    Breadcrumbs, captions, "Read more:" lines, footers and headlines are left out.
    """
    language = (language or "en").split("-")[0].lower()
    result = []
    for paragraph in paragraphs(text):
        if is_boilerplate(paragraph.text):
            continue
        cursor = 0
        for piece in segment(language, paragraph.text):
            sentence = piece.strip()
            if not sentence:
                continue
            offset = paragraph.text.find(sentence, cursor)
            if offset < 0:  # the segmenter normalised something: skip rather than guess a span
                continue
            cursor = offset + len(sentence)
            start = paragraph.start + offset
            result.append(Sentence(sentence, start, start + len(sentence)))
    return result


def extract_candidates(
    text: str,
    *,
    language: str = "en",
    threshold: float | None = None,
    max_claims: int | None = None,
) -> list[Candidate]:
    """The article's check-worthy sentences, best first: for each scorer, at most
    ``max_claims`` scoring at least ``threshold`` (both default to the
    FACTCHECK_EXTRACT_* settings), and a named person's reported requests and
    accusations whatever their score."""
    return extract_candidates_many([(text, language)], threshold=threshold, max_claims=max_claims)[0]


def extract_candidates_many(
    articles: Sequence[tuple[str, str]],
    *,
    threshold: float | None = None,
    max_claims: int | None = None,
) -> list[list[Candidate]]:
    """``extract_candidates`` for several (text, language) pairs, scoring all
    their sentences in one call per scorer (the scorers are vectorised)."""
    return [reading.candidates() for reading in read_articles(articles, threshold=threshold, max_claims=max_claims)]


def read_article(
    text: str, *, language: str = "", threshold: float | None = None, max_claims: int | None = None
) -> ArticleReading:
    """Every sentence of the article with its score, scorer, speaker and status:
    what ``extract_claims --all`` prints, so that no sentence disappears unseen."""
    return read_articles([(text, language)], threshold=threshold, max_claims=max_claims)[0]


def read_articles(
    articles: Sequence[tuple[str, str]],
    *,
    threshold: float | None = None,
    max_claims: int | None = None,
) -> list[ArticleReading]:
    """``read_article`` for several (text, language hint) pairs.

    Each text's language is detected (the hint, such as the page's ``lang``
    attribute, only stands in when the text is too short to tell); English goes
    to the English model, anything else to the general scorer, and so does a
    sentence of an English article written in another script. The threshold and
    the per-article maximum apply to each scorer's sentences separately.
    """
    threshold = settings.FACTCHECK_EXTRACT_THRESHOLD if threshold is None else threshold
    max_claims = settings.FACTCHECK_EXTRACT_MAX_CLAIMS if max_claims is None else max_claims
    detected = [languages.article_language(text, hint) for text, hint in articles]
    split = [split_sentences(text, language=language) for (text, _), language in zip(articles, detected, strict=True)]
    routes = []
    for sentences, language in zip(split, detected, strict=True):
        article_scorer = languages.scorer_for(language)
        routes.append([languages.sentence_scorer(s.text, article_scorer) for s in sentences])

    # Questions and fragments are never candidates, so only the others are scored
    # (a sentence's score does not depend on the rest of the batch): one call per
    # scorer for the whole batch, and per language for the general one.
    scores: list[dict[int, float]] = [{} for _ in articles]
    english = [
        (a, i)
        for a, (sentences, route) in enumerate(zip(split, routes, strict=True))
        for i, s in enumerate(sentences)
        if route[i] == languages.ENGLISH_SCORER and _is_checkable(s.text)
    ]
    for (a, i), value in zip(english, checkworthiness.score([split[a][i].text for a, i in english]), strict=True):
        scores[a][i] = value
    general: dict[str, list[tuple[int, int]]] = {}
    for a, (sentences, route) in enumerate(zip(split, routes, strict=True)):
        for i, s in enumerate(sentences):
            if route[i] == languages.GENERAL_SCORER and _is_checkable(s.text):
                general.setdefault(detected[a], []).append((a, i))
    for language, keys in general.items():
        values = checkworthiness.score_general([split[a][i].text for a, i in keys], language)
        for (a, i), value in zip(keys, values, strict=True):
            scores[a][i] = value

    readings = []
    for sentences, route, article_scores, language in zip(split, routes, scores, detected, strict=True):
        # Every sentence is read: who "he" is depends on the sentences before.
        speakers = attribution.attribute([s.text for s in sentences]) if sentences else []
        status = {}
        for scorer in languages.SCORERS:
            ranked = sorted(
                (i for i in article_scores if route[i] == scorer),
                key=lambda i: (-article_scores[i], sentences[i].start),
            )
            kept = 0
            for i in ranked:
                speaker = speakers[i]
                request = speaker is not None and speaker.kind == attribution.PERSON and speaker.act in REQUEST_ACTS
                if article_scores[i] < threshold and not request:
                    status[i] = BELOW_THRESHOLD
                elif kept >= max_claims:
                    status[i] = OVER_MAXIMUM
                else:
                    kept += 1
                    status[i] = CANDIDATE if article_scores[i] >= threshold else REQUEST
        readings.append(
            ArticleReading(
                language=language,
                sentences=[
                    ReadSentence(
                        text=s.text,
                        start=s.start,
                        end=s.end,
                        score=round(float(article_scores[i]), 4) if i in article_scores else None,
                        scorer=route[i],
                        claimant=speakers[i],
                        status=status.get(i, NOT_SCORED),
                    )
                    for i, s in enumerate(sentences)
                ],
            )
        )
    return readings


def _is_checkable(sentence: str) -> bool:
    # Questions and very short fragments state nothing to check.
    words = sentence.split()
    return len(words) >= 5 and not sentence.rstrip("”\"’' )").endswith("?")


def _claimant_json(speaker: attribution.Speaker | None) -> dict:
    return {
        "claimant": speaker.name if speaker else None,
        "claimant_kind": speaker.kind if speaker else None,
        "claimant_description": speaker.description if speaker else None,
        "claimant_act": speaker.act if speaker else None,
    }


def as_json(candidates: Sequence[Candidate]) -> list[dict]:
    return [
        {
            "text": c.text,
            "sentence": c.sentence,
            "start": c.start,
            "end": c.end,
            "score": c.score,
            "scorer": c.scorer,
            "language": c.language,
            **_claimant_json(c.claimant),
        }
        for c in candidates
    ]


def reading_as_json(reading: ArticleReading) -> dict:
    """Every sentence, candidate or not (``extract_claims --format json --all``)."""
    return {
        "language": reading.language,
        "sentences": [
            {
                "text": s.text,
                "start": s.start,
                "end": s.end,
                "score": s.score,
                "scorer": s.scorer,
                "candidate": s.is_candidate,
                "status": s.status,
                **_claimant_json(s.claimant),
            }
            for s in reading.sentences
        ],
    }

"""From an article's text to its check-worthy claim candidates: sentences with
their spans, scores and speakers. Pure: no database access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from sentencex import segment

from . import attribution, checkworthiness
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
    """The article's check-worthy sentences, best first: at most ``max_claims``
    scoring at least ``threshold`` (both default to the FACTCHECK_EXTRACT_* settings)."""
    return extract_candidates_many([(text, language)], threshold=threshold, max_claims=max_claims)[0]


def extract_candidates_many(
    articles: Sequence[tuple[str, str]],
    *,
    threshold: float | None = None,
    max_claims: int | None = None,
) -> list[list[Candidate]]:
    """``extract_candidates`` for several (text, language) pairs, scoring all
    their sentences in one call (the scorer is vectorised)."""
    threshold = settings.FACTCHECK_EXTRACT_THRESHOLD if threshold is None else threshold
    max_claims = settings.FACTCHECK_EXTRACT_MAX_CLAIMS if max_claims is None else max_claims
    split = [split_sentences(text, language=language or "en") for text, language in articles]
    # Questions and fragments never become candidates, so only the others are
    # scored (a sentence's score does not depend on the rest of the batch).
    checkable = [[i for i, s in enumerate(sentences) if _is_checkable(s.text)] for sentences in split]
    scores = iter(
        checkworthiness.score(
            [sentences[i].text for sentences, kept in zip(split, checkable, strict=True) for i in kept]
        )
    )
    result = []
    for sentences, kept in zip(split, checkable, strict=True):
        article_scores = {i: next(scores) for i in kept}
        # Every sentence is read: who "he" is depends on the sentences before.
        speakers = attribution.attribute([s.text for s in sentences]) if sentences else []
        candidates = [
            Candidate(
                text=s.text,
                sentence=s.text,
                start=s.start,
                end=s.end,
                score=round(float(article_scores[i]), 4),
                claimant=speakers[i],
            )
            for i, s in enumerate(sentences)
            if i in article_scores and article_scores[i] >= threshold
        ]
        candidates.sort(key=lambda c: (-c.score, c.start))
        result.append(candidates[:max_claims])
    return result


def _is_checkable(sentence: str) -> bool:
    # Questions and very short fragments state nothing to check.
    words = sentence.split()
    return len(words) >= 5 and not sentence.rstrip("”\"’' )").endswith("?")


def as_json(candidates: Sequence[Candidate]) -> list[dict]:
    return [
        {
            "text": c.text,
            "sentence": c.sentence,
            "start": c.start,
            "end": c.end,
            "score": c.score,
            "claimant": c.claimant.name if c.claimant else None,
            "claimant_kind": c.claimant.kind if c.claimant else None,
            "claimant_description": c.claimant.description if c.claimant else None,
        }
        for c in candidates
    ]

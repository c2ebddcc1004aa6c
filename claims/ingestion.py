"""Articles in: submit (URL or text), fetch, extract the text, extract claims.

Each step is idempotent and records the next step in the outbox in the same
transaction as its own result, so re-running any step changes nothing twice
and a broker outage delays the pipeline without losing any of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from . import outbox
from .extraction.article_text import ArticleDocument, detect_language, extract_document, html_to_text
from .models import Article, Claim, Claimant, Outlet
from .normalize import content_hash, normalize_url, url_host

logger = logging.getLogger(__name__)

INGEST_TASK = "claims.tasks.ingest_article"
EXTRACT_TASK = "claims.tasks.extract_article_claims"


@dataclass(frozen=True)
class Submission:
    article: Article
    created: bool
    # Why an existing article was returned instead: "url" or "text".
    matched_by: str = ""


def submit_article(*, url: str = "", text: str = "", title: str = "", by=None, html: str = "") -> Submission:
    """Save an article and queue its work; a URL or text already in the tracker
    returns that article instead of a copy.

    With text (pasted, or extracted here from ``html``, a page the caller
    already has), extraction is queued straight away; with only a URL, the
    fetch is.
    """
    try:
        url = normalize_url(url)
    except ValueError as exc:
        raise ValidationError({"url": f"{exc}."}) from None
    document = None
    if html and not text:
        document = extract_document(html, url=url or None)
        text = document.text or html_to_text(html)
    if not url and not text.strip():
        raise ValidationError("Give the article's URL or paste its text.")
    if existing := _existing(url, text):
        return existing
    try:
        with transaction.atomic():
            article = Article(url=url, text=text, title=title[:500], submitted_by=by)
            if document is not None:
                _apply_document(article, document, url or None)
            if text.strip():
                article.status = Article.Status.EXTRACTING
                article.language = article.language or detect_language(text)
                article.save()
                outbox.enqueue(EXTRACT_TASK, queue=settings.FACTCHECK_EXTRACT_QUEUE, article_id=article.pk)
            else:
                article.save()
                outbox.enqueue(INGEST_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, article_id=article.pk)
    except IntegrityError:
        # Someone submitted the same URL or text a moment ago.
        if existing := _existing(url, text):
            return existing
        raise
    return Submission(article, True)


def _existing(url: str, text: str) -> Submission | None:
    digest = content_hash(text)
    match = Q()
    if url:
        match |= Q(url=url)
    if digest:
        match |= Q(content_hash=digest)
    if not match:
        return None
    article = Article.objects.filter(match).order_by("pk").first()
    if article is None:
        return None
    return Submission(article, False, "url" if url and article.url == url else "text")


def ingest(article_id: int, *, final_attempt: bool = True) -> str:
    """Fetch the article if it has no text yet, store its text and metadata,
    and queue claim extraction. Returns what happened.

    Raises FetchError for a transient failure when ``final_attempt`` is False,
    so the task can retry later; otherwise a failure is stored on the article.
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            return "missing"
        if article.status not in (Article.Status.PENDING, Article.Status.FETCHING, Article.Status.FAILED):
            return "already ingested"
        if article.text.strip():
            _queue_extraction(article)
            return "text given"
        if not article.url:
            _fail(article, "The article has neither a URL nor text.")
            return "failed"
        article.status = Article.Status.FETCHING
        article.fetch_attempts += 1
        article.save(update_fields=["status", "fetch_attempts", "updated_at"])

    from .fetching import FetchError, fetch

    try:
        page = fetch(article.url)
    except FetchError as exc:
        if exc.transient and not final_attempt:
            raise
        with transaction.atomic():
            article = Article.objects.select_for_update().get(pk=article_id)
            _fail(article, exc.message)
        return "failed"

    if page.content_type.startswith("text/plain"):
        document = ArticleDocument(text=page.text.strip(), language=detect_language(page.text))
    else:
        document = extract_document(page.text, url=page.final_url)
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article_id)
        if article.status != Article.Status.FETCHING:
            return "already ingested"
        article.fetched_at = page.fetched_at
        if page.final_url and normalize_url(page.final_url) != article.url and not article.canonical_url:
            article.canonical_url = page.final_url
        if not document.text.strip():
            _fail(article, f"No article text found at {page.final_url} (the page has no main text block).")
            return "failed"
        same = Article.objects.filter(content_hash=content_hash(document.text)).exclude(pk=article.pk).first()
        if same is not None:
            # The same story at another URL: recognised, not stored twice.
            article.status = Article.Status.SAME_TEXT
            article.same_text_as = same
            article.title = document.title[:500] or article.title
            article.error = ""
            article.save(
                update_fields=["status", "same_text_as", "title", "error", "fetched_at", "canonical_url", "updated_at"]
            )
            return "same text"
        article.text = document.text
        _apply_document(article, document, page.final_url)
        article.save()
        _queue_extraction(article)
    return "fetched"


def _apply_document(article: Article, document: ArticleDocument, url: str | None) -> None:
    article.title = article.title or document.title[:500]
    article.byline = article.byline or document.author[:500]
    article.published_at = article.published_at or document.published_at
    article.language = article.language or document.language[:16]
    if document.canonical_url and not article.canonical_url:
        article.canonical_url = document.canonical_url[:2000]
    if article.outlet_id is None:
        article.outlet = outlet_for(url or article.url, document.site_name)


def outlet_for(url: str, site_name: str = "") -> Outlet | None:
    """The outlet of a URL's host, or, for a page with no URL, the one with its site name."""
    domain = url_host(url)
    site_name = " ".join(site_name.split())[:200]
    if domain:
        outlet, _ = Outlet.objects.get_or_create(domain=domain, defaults={"name": site_name or domain})
        return outlet
    if not site_name:
        return None
    known = Outlet.objects.filter(name__iexact=site_name).order_by("pk").first()
    if known:
        return known
    try:
        with transaction.atomic():
            return Outlet.objects.create(name=site_name, domain="")
    except IntegrityError:
        return Outlet.objects.filter(name__iexact=site_name, domain="").first()


def _fail(article: Article, message: str) -> None:
    article.status = Article.Status.FAILED
    article.error = message
    article.save(update_fields=["status", "error", "updated_at"])


def _queue_extraction(article: Article) -> None:
    article.status = Article.Status.EXTRACTING
    article.error = ""
    if not article.language:
        article.language = detect_language(article.text)
    article.save(update_fields=["status", "error", "language", "updated_at"])
    outbox.enqueue(EXTRACT_TASK, queue=settings.FACTCHECK_EXTRACT_QUEUE, article_id=article.pk)


def rerun_extraction(article_id: int) -> bool:
    """Queue claim extraction again (e.g. after the model changed). Existing
    claims are kept; only new spans become new candidates."""
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None or not article.text.strip():
            return False
        _queue_extraction(article)
    return True


def extract(article_id: int) -> int:
    """Save the article's claim candidates; returns how many were new.

    Idempotent: a claim exists at most once per article span (a database
    constraint, and the spans already saved are skipped), so a second run
    creates nothing.
    """
    return extract_many([article_id])


def extract_many(article_ids: list[int]) -> int:
    """``extract`` for several articles at once: one scoring call, one
    transaction, one bulk insert. Returns how many claims were new."""
    from .extraction.candidates import extract_candidates_many

    articles = list(
        Article.objects.select_related("outlet")
        .filter(pk__in=article_ids, status=Article.Status.EXTRACTING)
        .order_by("pk")
    )
    if not articles:
        return 0
    # The CPU-bound part runs before the rows are locked.
    found = extract_candidates_many([(a.text, a.language or "en") for a in articles])
    with transaction.atomic():
        locked = dict(
            Article.objects.select_for_update()
            .filter(pk__in=[a.pk for a in articles], status=Article.Status.EXTRACTING)
            .values_list("pk", "text")
        )
        existing = set(
            Claim.objects.filter(article_id__in=list(locked)).values_list("article_id", "span_start", "span_end")
        )
        speakers: dict[tuple[str, str], Claimant | None] = {}
        new_claims = []
        done = []
        for article, candidates in zip(articles, found, strict=True):
            if locked.get(article.pk) != article.text:
                continue  # extracted meanwhile, or its text changed: leave it to that run
            done.append(article.pk)
            for candidate in candidates:
                if (article.pk, candidate.start, candidate.end) in existing:
                    continue
                speaker = candidate.claimant
                key = (speaker.name.lower(), speaker.kind) if speaker else (f"outlet:{article.outlet_id}", "outlet")
                if key not in speakers:
                    speakers[key] = (
                        claimant_for(speaker.name, speaker.kind, speaker.description)
                        if speaker
                        else _outlet_claimant(article)
                    )
                claim = Claim(
                    article=article,
                    span_start=candidate.start,
                    span_end=candidate.end,
                    text=candidate.text,
                    sentence=candidate.sentence,
                    checkworthiness=candidate.score,
                    claimant=speakers[key],
                    claimed_on=article.published_at.date() if article.published_at else None,
                    language=article.language,
                )
                claim.validate_span()  # bulk_create skips save(), where this runs
                new_claims.append(claim)
        Claim.objects.bulk_create(new_claims)
        Article.objects.filter(pk__in=done).update(status=Article.Status.DONE, updated_at=timezone.now())
    logger.info("articles %s: %s new claims", done, len(new_claims))
    return len(new_claims)


def claimant_for(name: str, kind: str, description: str = "") -> Claimant:
    """The claimant with this name and kind (case-insensitive), created if new."""
    name = " ".join(name.split())[:300]
    existing = Claimant.objects.annotate(lname=Lower("name")).filter(lname=name.lower(), kind=kind).first()
    if existing:
        if description and not existing.description:
            existing.description = description[:300]
            existing.save(update_fields=["description"])
        return existing
    try:
        with transaction.atomic():
            return Claimant.objects.create(name=name, kind=kind, description=description[:300])
    except IntegrityError:
        # Created by a concurrent extraction a moment ago.
        return Claimant.objects.annotate(lname=Lower("name")).get(lname=name.lower(), kind=kind)


def _outlet_claimant(article: Article) -> Claimant | None:
    # Unattributed statements are the outlet's own.
    if article.outlet is None:
        return None
    return claimant_for(article.outlet.name, Claimant.Kind.ORGANIZATION, "the publishing outlet")

"""Articles in: submit (URL or text), fetch, extract the text, extract claims.

Each step is idempotent and records the next step in the outbox in the same
transaction as its own result, so re-running any step changes nothing twice
and a broker outage delays the pipeline without losing any of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from claims import outbox
from claims.extraction.article_text import ArticleDocument, detect_language, extract_document, html_to_text
from claims.matching.triage import queue_matching
from claims.models import Article, Claim, Claimant, OutboxMessage, Outlet, validate_span
from claims.models.bulk import insert_objects, insert_rows
from claims.normalize import content_hash, normalize_url, url_host

logger = logging.getLogger(__name__)

INGEST_TASK = "claims.tasks.ingest_article"
EXTRACT_TASK = "claims.tasks.extract_article_claims"


@dataclass(frozen=True)
class Submission:
    article: Article
    created: bool
    # Why an existing article was returned instead: "url" or "text".
    matched_by: str = ""


@dataclass(frozen=True)
class ArticleDraft:
    """An article ready to be saved: its URL normalised, its text (and, from a
    page, its metadata) extracted. Preparing one touches no database."""

    url: str
    text: str
    title: str = ""
    document: ArticleDocument | None = None
    digest: str = ""  # content_hash(text), computed once


def prepare_article(*, url: str = "", text: str = "", title: str = "", html: str = "") -> ArticleDraft:
    """Check and extract what is submitted; raises ValidationError for bad input.

    With text (pasted, or extracted here from ``html``, a page the caller
    already has), extraction will be queued straight away; with only a URL,
    the fetch will.
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
    return ArticleDraft(url=url, text=text, title=title[:500], document=document, digest=content_hash(text))


def submit_article(*, url: str = "", text: str = "", title: str = "", by=None, html: str = "") -> Submission:
    """Save an article and queue its work; a URL or text already in the tracker
    returns that article instead of a copy. See ``prepare_article`` for the arguments."""
    return submit_articles([prepare_article(url=url, text=text, title=title, html=html)], by=by)[0]


def submit_articles(drafts: Sequence[ArticleDraft], *, by=None) -> list[Submission]:
    """``submit_article`` for several prepared articles, in a few queries
    whatever their number: one look-up for URLs and texts already present, one
    for their outlets, one insert of articles and one of outbox rows.

    The result is what submitting them one after another would give, in
    order: a draft with the URL or text of an earlier one in the batch returns
    that article.
    """
    if not drafts:
        return []
    try:
        with transaction.atomic():
            return _submit_batch(drafts, by)
    except IntegrityError:
        # Someone submitted one of these URLs or texts a moment ago: one at a
        # time, so each of the others is still saved.
        return [_submit_one(draft, by) for draft in drafts]


def _submit_one(draft: ArticleDraft, by) -> Submission:
    try:
        with transaction.atomic():
            return _submit_batch([draft], by)[0]
    except IntegrityError:
        if existing := _existing([draft]).get(0):
            return existing
        raise


def _submit_batch(drafts: Sequence[ArticleDraft], by) -> list[Submission]:
    known = _existing(drafts)
    results: list[Submission] = []
    new: list[tuple[Article, ArticleDraft]] = []
    # Earlier drafts of this batch, by URL and by text, in the order they are
    # saved: after every stored article (so a stored match wins), and among
    # themselves the first one wins, as when submitted one by one.
    batch_urls: dict[str, tuple[int, Article]] = {}
    batch_digests: dict[str, tuple[int, Article]] = {}
    for position, draft in enumerate(drafts):
        if existing := known.get(position):
            results.append(existing)
            continue
        matches = [m for m in (batch_urls.get(draft.url), batch_digests.get(draft.digest)) if m is not None]
        if matches:
            _, earlier = min(matches, key=lambda match: match[0])
            results.append(Submission(earlier, False, "url" if draft.url and earlier.url == draft.url else "text"))
            continue
        # bulk_create skips Article.save(), which normalises the URL (done by
        # prepare_article) and sets the content hash.
        article = Article(url=draft.url, text=draft.text, title=draft.title, submitted_by=by, content_hash=draft.digest)
        if draft.url:
            batch_urls[draft.url] = (len(new), article)
        if draft.digest:
            batch_digests[draft.digest] = (len(new), article)
        new.append((article, draft))
        results.append(Submission(article, True))

    with_documents = [(article, draft) for article, draft in new if draft.document is not None]
    outlets = outlets_for([(draft.url, draft.document.site_name) for _, draft in with_documents])
    for (article, draft), outlet in zip(with_documents, outlets, strict=True):
        _apply_metadata(article, draft.document)
        article.outlet = outlet
    for article, draft in new:
        if draft.text.strip():
            article.status = Article.Status.EXTRACTING
            article.language = article.language or detect_language(draft.text)
        else:
            article.status = Article.Status.PENDING
    insert_objects([article for article, _ in new])
    _enqueue_all([_next_step(article) for article, _ in new])
    return results


def _next_step(article: Article) -> dict[str, Any]:
    """The outbox row for the article's next task, as ``insert_rows`` takes it."""
    if article.status == Article.Status.EXTRACTING:
        task, queue = EXTRACT_TASK, settings.FACTCHECK_EXTRACT_QUEUE
    else:
        task, queue = INGEST_TASK, settings.FACTCHECK_FETCH_QUEUE
    return {"task": task, "queue": queue, "kwargs": {"article_id": article.pk}}


def _enqueue_all(messages: list[dict[str, Any]]) -> None:
    """``outbox.enqueue`` for several messages, in one insert."""
    if len(messages) == 1:
        message = messages[0]
        outbox.enqueue(message["task"], queue=message["queue"], **message["kwargs"])
    elif messages:
        # No caller needs the rows back, so they go in as data (COPY), not as
        # model instances rendered into an INSERT: a sixth of the time.
        insert_rows(OutboxMessage, messages)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # As outbox.enqueue does: without a broker, run the work once this commits.
            transaction.on_commit(outbox.relay_in_process)


def _existing(drafts: Sequence[ArticleDraft]) -> dict[int, Submission]:
    """The stored article each draft matches by URL or text (the oldest), by position."""
    urls = {draft.url for draft in drafts if draft.url}
    digests = {draft.digest for draft in drafts if draft.digest}
    match = Q()
    if urls:
        match |= Q(url__in=urls)
    if digests:
        match |= Q(content_hash__in=digests)
    if not match:
        return {}
    by_url: dict[str, Article] = {}
    by_digest: dict[str, Article] = {}
    for article in Article.objects.filter(match).order_by("pk"):
        if article.url:
            by_url.setdefault(article.url, article)
        if article.content_hash:
            by_digest.setdefault(article.content_hash, article)
    found = {}
    for position, draft in enumerate(drafts):
        matches = [a for a in (by_url.get(draft.url), by_digest.get(draft.digest)) if a is not None]
        if matches:
            article = min(matches, key=lambda a: a.pk)
            found[position] = Submission(article, False, "url" if draft.url and article.url == draft.url else "text")
    return found


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

    from claims.fetching import FetchError, fetch

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
    _apply_metadata(article, document)
    if article.outlet_id is None:
        article.outlet = outlet_for(url or article.url, document.site_name)


def _apply_metadata(article: Article, document: ArticleDocument) -> None:
    article.title = article.title or document.title[:500]
    article.byline = article.byline or document.author[:500]
    article.published_at = article.published_at or document.published_at
    article.language = article.language or document.language[:16]
    if document.canonical_url and not article.canonical_url:
        article.canonical_url = document.canonical_url[:2000]


def outlets_for(pages: Sequence[tuple[str, str]]) -> list[Outlet | None]:
    """``outlet_for`` for each (url, site name), in order, with one look-up and at
    most one insert for all the hosts."""
    names: dict[str, str] = {}
    for url, site_name in pages:
        domain = url_host(url)
        # Outlet.save() would change these; outlet_for deals with them.
        if domain and domain == domain.strip().removeprefix("www."):
            # A new outlet is named after the first page, as one by one.
            names.setdefault(domain, " ".join(site_name.split())[:200] or domain)
    found = {outlet.domain: outlet for outlet in Outlet.objects.filter(domain__in=list(names))} if names else {}
    missing = [Outlet(domain=domain, name=name) for domain, name in names.items() if domain not in found]
    if missing:
        # A host another process adds meanwhile is skipped here and read back below.
        Outlet.objects.bulk_create(missing, ignore_conflicts=True)
        found.update((o.domain, o) for o in Outlet.objects.filter(domain__in=[o.domain for o in missing]))
    return [found.get(url_host(url)) or outlet_for(url, site_name) for url, site_name in pages]


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
    from claims.extraction.candidates import extract_candidates_many

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
        # Spans already saved (a second run skips them), and which of those
        # claims are still candidates: they are matched again with the new ones.
        existing: dict[tuple[int, int, int], tuple[int, str]] = {
            (article_id, start, end): (pk, status)
            for article_id, start, end, pk, status in Claim.objects.filter(article_id__in=list(locked)).values_list(
                "article_id", "span_start", "span_end", "pk", "status"
            )
        }
        # Speakers in order of first mention, resolved to claimants together below.
        speakers: dict[tuple[str, str], int | None] = {}
        wanted: list[tuple[str, str, str]] = []
        claims: list[dict[str, Any]] = []
        done = []
        for article, candidates in zip(articles, found, strict=True):
            if locked.get(article.pk) != article.text:
                continue  # extracted meanwhile, or its text changed: leave it to that run
            done.append(article.pk)
            claimed_on = article.published_at.date() if article.published_at else None
            for candidate in candidates:
                if (article.pk, candidate.start, candidate.end) in existing:
                    continue
                speaker = candidate.claimant
                key = (speaker.name.lower(), speaker.kind) if speaker else (f"outlet:{article.outlet_id}", "outlet")
                if key not in speakers:
                    if speaker:
                        speakers[key] = len(wanted)
                        wanted.append((speaker.name, speaker.kind, speaker.description))
                    elif article.outlet is not None:
                        # Unattributed statements are the outlet's own.
                        speakers[key] = len(wanted)
                        wanted.append((article.outlet.name, Claimant.Kind.ORGANIZATION, OUTLET_DESCRIPTION))
                    else:
                        speakers[key] = None
                # Claim.save() checks this; the bulk insert below skips save().
                validate_span(article.text, candidate.start, candidate.end, candidate.sentence)
                claims.append(
                    {
                        "article_id": article.pk,
                        "span_start": candidate.start,
                        "span_end": candidate.end,
                        "text": candidate.text,
                        "sentence": candidate.sentence,
                        "checkworthiness": candidate.score,
                        "scorer": candidate.scorer,
                        "claimant_id": speakers[key],  # an index into wanted until resolved
                        "claimed_on": claimed_on,
                        "language": article.language or candidate.language,
                    }
                )
        claimants = claimants_for(wanted)
        for claim in claims:
            speaker = claim["claimant_id"]
            claim["claimant_id"] = None if speaker is None else claimants[speaker].pk
        new_ids = insert_rows(Claim, claims, ids=True)
        # error: the note a sweep may have left while it waited (claims.recovery).
        Article.objects.filter(pk__in=done).update(status=Article.Status.DONE, error="", updated_at=timezone.now())
        # Their candidates' matches for the triage queue ("possibly already
        # checked"), in this same transaction.
        done_set = set(done)
        queue_matching(
            [
                *new_ids,
                *(
                    pk
                    for (article_id, _, _), (pk, status) in existing.items()
                    if article_id in done_set and status == Claim.Status.CANDIDATE
                ),
            ]
        )
    logger.info("articles %s: %s new claims", done, len(claims))
    return len(claims)


OUTLET_DESCRIPTION = "the publishing outlet"


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


def claimants_for(speakers: Sequence[tuple[str, str, str]]) -> list[Claimant]:
    """``claimant_for`` for each (name, kind, description) in turn, with the same
    result, in at most four queries for all of them: a look-up, an insert of the
    new ones and reading their ids back, an update of descriptions filled in."""
    if not speakers:
        return []
    wanted = [(" ".join(name.split())[:300], kind, description[:300]) for name, kind, description in speakers]
    stored = _claimants_named({name.lower() for name, _, _ in wanted})
    new: dict[tuple[str, str], Claimant] = {}
    described: dict[tuple[str, str], Claimant] = {}
    keys = []
    for name, kind, description in wanted:
        key = (name.lower(), kind)
        keys.append(key)
        claimant = stored.get(key)
        if claimant is None:
            stored[key] = new[key] = Claimant(name=name, kind=kind, description=description)
        elif description and not claimant.description:
            claimant.description = description
            if key not in new:
                described[key] = claimant
    if new:
        # A claimant another extraction adds meanwhile is skipped here and
        # read back below, as claimant_for would return it.
        Claimant.objects.bulk_create(new.values(), ignore_conflicts=True)
        stored.update(_claimants_named({name for name, _ in new}))
    if described:
        Claimant.objects.bulk_update(described.values(), ["description"])
    result = []
    for key, (name, kind, description) in zip(keys, wanted, strict=True):
        claimant = stored[key]
        if claimant.pk is None:  # not found again (a name the database lower-cases differently)
            claimant = stored[key] = claimant_for(name, kind, description)
        result.append(claimant)
    return result


def _claimants_named(lowered: set[str]) -> dict[tuple[str, str], Claimant]:
    rows = Claimant.objects.annotate(lname=Lower("name")).filter(lname__in=lowered)
    return {(claimant.lname, claimant.kind): claimant for claimant in rows}

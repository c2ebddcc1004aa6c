"""The public record of a fact-check, as plain data: the one place that
decides what of a published fact-check the public may see.

Everything here starts from ``Verdict.objects.published()`` (the API's SQL
repeats its condition, ``status = 'published'``, in every query). The claim,
its claimant and its sources are read from the published revision, which
copied them when it was published (``claims.review.publication.freeze``):
edits made while a correction is researched stay private until the
correction is approved.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import orjson
from django.db import connection
from django.db.models import Max, Min, OuterRef, Prefetch, QuerySet, Subquery

from claims.models import Claim, Rating, Verdict
from claims.models.claims import public_url


def published_fact_checks() -> QuerySet[Verdict]:
    """Published verdicts with everything their public record needs, in a fixed number of queries."""
    return (
        Verdict.objects.published()
        .select_related("claim__article__outlet", "rating__scale")
        .prefetch_related(
            Prefetch("rating__scale__ratings", queryset=Rating.objects.order_by("order")),
            Prefetch(
                "claim__verdicts",
                queryset=Verdict.objects.exclude(status=Verdict.Status.DRAFT).order_by("revision"),
                to_attr="public_revisions",
            ),
            Prefetch(
                "claim__duplicates",
                queryset=Claim.objects.filter(article__isnull=False).select_related("article__outlet"),
                to_attr="public_duplicates",
            ),
        )
    )


def appearance_articles(claim: Claim) -> list:
    """The articles the claim appeared in: its own, then its duplicates', one per URL."""
    duplicates = getattr(claim, "public_duplicates", None)
    if duplicates is None:
        duplicates = claim.duplicates.filter(article__isnull=False).select_related("article__outlet")
    articles = ([claim.article] if claim.article_id else []) + [d.article for d in duplicates if d.article_id]
    seen, result = set(), []
    for article in articles:
        url = article.canonical_url or article.url
        if url and url not in seen:
            seen.add(url)
            result.append(article)
    return result


def appearances(claim: Claim) -> list[dict]:
    return [
        {
            "url": article.canonical_url or article.url,
            "title": article.title,
            "outlet": article.outlet.name if article.outlet_id else None,
            "published_at": article.published_at.isoformat() if article.published_at else None,
        }
        for article in appearance_articles(claim)
    ]


def fact_check(verdict: Verdict) -> dict:
    """The public JSON of one published fact-check."""
    claim = verdict.claim
    rating = verdict.rating
    revisions = getattr(claim, "public_revisions", None)
    if revisions is None:
        revisions = list(claim.verdicts.exclude(status=Verdict.Status.DRAFT).order_by("revision"))
    first_published = next((r.published_at for r in revisions if r.published_at), verdict.published_at)
    return {
        "id": claim.pk,
        "url": claim.public_url,
        "claim": verdict.claim_text,
        "claimant": public_claimant(verdict.claimant_name, verdict.claimant_kind, verdict.claimant_description),
        "claim_date": verdict.claimed_on.isoformat() if verdict.claimed_on else None,
        "appearances": appearances(claim),
        "headline": verdict.headline,
        "rating": {
            "label": rating.label,
            "value": rating.value,
            "best": rating.scale.best_value,
            "worst": rating.scale.worst_value,
            "definition": rating.definition,
            "scale": str(rating.scale),
        },
        "summary": verdict.summary,
        "explanation": verdict.explanation,
        "evidence": public_sources(verdict.sources),
        "revision": verdict.revision,
        "published_at": first_published.isoformat(),
        "modified_at": verdict.published_at.isoformat(),
        "corrections": [
            {"revision": r.revision, "note": r.correction_note, "published_at": r.published_at.isoformat()}
            for r in revisions
            if r.revision > 1 and r.correction_note and r.published_at and r.revision <= verdict.revision
        ],
        "language": verdict.language or None,
    }


def public_claimant(name: str, kind: str, description: str) -> dict | None:
    """The claimant as the revision was published with (None when there was none)."""
    return {"name": name, "kind": kind, "description": description} if name else None


def public_sources(sources: list[dict]) -> list[dict]:
    """A revision's sources as the public sees them, keys in a fixed order (a jsonb column reorders them)."""
    return [
        {
            "url": source["url"],
            "title": source["title"],
            "publisher": source["publisher"],
            "stance": source["stance"],
            "source_type": source["source_type"],
            "excerpt": source["excerpt"],
            "snapshot_sha256": source["snapshot_sha256"],
            "snapshot_date": source["snapshot_date"],
            # Revisions frozen before overrides existed have no such key: they cited archived sources or none.
            "not_archived_reason": source.get("not_archived_reason"),
        }
        for source in sources
    ]


# --- The read path of the API ---------------------------------------------
#
# The same records as ``fact_check`` (a test holds them equal field by field),
# without model instances: on PostgreSQL one hand-written query builds a page
# of records, nested lists as JSON; elsewhere ``.values()`` rows for the page,
# then evidence, revisions and duplicates' appearances in one query each.
# Either way the number of queries does not depend on the page size.


class RecordPage:
    """A verdict queryset as DRF's cursor paginator uses it (``order_by``,
    ``filter``, a slice), whose slice comes back as the records themselves.

    On PostgreSQL the slice and its records are one query: the ORM's SQL for
    the page becomes a subquery of the records query. Each item is a dict with
    the verdict's ``pk`` and ``published_at`` (the cursor's position), its
    public ``record`` and its last ``change``.
    """

    def __init__(self, verdicts: QuerySet[Verdict]):
        self.verdicts = verdicts

    def order_by(self, *fields: str) -> RecordPage:
        return RecordPage(self.verdicts.order_by(*fields))

    def filter(self, *args, **kwargs) -> RecordPage:
        return RecordPage(self.verdicts.filter(*args, **kwargs))

    def __getitem__(self, page: slice) -> list[dict]:
        verdicts = self.verdicts.values("pk", "published_at")[page]
        if connection.vendor == "postgresql":
            # The ORM's own SQL for the page, its values still parameters.
            sql, params = verdicts.query.sql_with_params()
            rows = _sql_records(f"v.id IN (SELECT page.pk FROM ({sql}) AS page)", list(params))  # noqa: S608
        else:
            ids = [row["pk"] for row in verdicts]
            rows = _orm_records(Verdict.objects.filter(pk__in=ids)) if ids else []
        items = [
            {"pk": pk, "published_at": published_at, "record": record, "change": change}
            for pk, published_at, record, change in rows
        ]
        # The records come back in no particular order: put them in the page's.
        for field in reversed(self.verdicts.query.order_by):
            name = field.lstrip("-")
            items.sort(key=lambda item, name=name: item[name], reverse=field.startswith("-"))
        return items


def record_of_claim(claim_id: int) -> tuple[dict | None, dt.datetime | None]:
    """The public record of the claim's published fact-check (None if it has none), and its last change."""
    if connection.vendor == "postgresql":
        rows = _sql_records("v.claim_id = %s", [claim_id])
    else:
        rows = _orm_records(Verdict.objects.filter(claim_id=claim_id))
    return (rows[0][2], rows[0][3]) if rows else (None, None)


def _iso_sql(column: str) -> str:
    # What Python's isoformat() writes for a UTC datetime: microseconds only
    # when there are some. Django's connections to PostgreSQL run in UTC.
    return (
        f"CASE WHEN {column} IS NULL THEN NULL "
        f"WHEN extract(microseconds FROM {column})::bigint %% 1000000 = 0 "
        f"""THEN to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') """
        f"""ELSE to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') END"""
    )


# Tables and columns are constants; values only ever go in as parameters.
_RECORDS_SQL = f"""
SELECT
    v.id, v.updated_at, c.updated_at, c.id, c.slug, c.canonical_url, v.claim_text,
    v.claimant_name, v.claimant_kind, v.claimant_description, v.claimed_on,
    v.headline, r.label, r.value,
    (SELECT max(x.value) FROM claims_rating x WHERE x.scale_id = r.scale_id),
    (SELECT min(x.value) FROM claims_rating x WHERE x.scale_id = r.scale_id),
    r.definition, s.name, s.version, v.summary, v.explanation, v.revision,
    coalesce(
        (SELECT f.published_at FROM claims_verdict f
         WHERE f.claim_id = c.id AND f.status <> 'draft' AND f.published_at IS NOT NULL
         ORDER BY f.revision LIMIT 1),
        v.published_at
    ),
    v.published_at, v.language, v.sources::text,
    (SELECT json_agg(json_build_object(
                'revision', k.revision, 'note', k.correction_note, 'published_at', {_iso_sql("k.published_at")}
            ) ORDER BY k.revision)::text
     FROM claims_verdict k
     WHERE k.claim_id = c.id AND k.status <> 'draft' AND k.revision > 1 AND k.correction_note <> ''
       AND k.published_at IS NOT NULL AND k.revision <= v.revision),
    (SELECT json_agg(json_build_object(
                'url', a.url, 'title', a.title, 'outlet', a.outlet, 'published_at', {_iso_sql("a.published_at")}
            ) ORDER BY a.rank)::text
     FROM (
        -- The claim's own article, then its duplicates' (newest first), one per URL.
        SELECT DISTINCT ON (u.url) u.url, u.title, u.outlet, u.published_at, u.rank
        FROM (
            SELECT coalesce(nullif(ar.canonical_url, ''), ar.url) AS url, ar.title, o.name AS outlet,
                   ar.published_at, 0 AS rank
            FROM claims_article ar LEFT JOIN claims_outlet o ON o.id = ar.outlet_id
            WHERE ar.id = c.article_id
            UNION ALL
            SELECT coalesce(nullif(ar.canonical_url, ''), ar.url), ar.title, o.name, ar.published_at,
                   row_number() OVER (ORDER BY d.created_at DESC)
            FROM claims_claim d JOIN claims_article ar ON ar.id = d.article_id
            LEFT JOIN claims_outlet o ON o.id = ar.outlet_id
            WHERE d.duplicate_of_id = c.id
        ) u
        WHERE u.url <> ''
        ORDER BY u.url, u.rank
     ) a)
FROM claims_verdict v
JOIN claims_claim c ON c.id = v.claim_id
JOIN claims_rating r ON r.id = v.rating_id
JOIN claims_ratingscale s ON s.id = r.scale_id
WHERE v.status = 'published' AND {{where}}
"""  # noqa: S608


def _sql_records(where: str, params: list) -> list[tuple[int, dt.datetime, dict, dt.datetime]]:
    """(verdict id, published_at, record, last change) of each published verdict matching ``where``."""
    with connection.cursor() as cursor:
        cursor.execute(_RECORDS_SQL.replace("{where}", where), params)
        rows = cursor.fetchall()
    result = []
    for (
        verdict_id, verdict_updated, claim_updated, claim_id, slug, canonical_url, text,
        claimant_name, claimant_kind, claimant_description, claimed_on,
        headline, label, value, best, worst, definition, scale_name, scale_version, summary, explanation, revision,
        first_published, published_at, language, sources, corrections, appearances,
    ) in rows:  # fmt: skip
        record = {
            "id": claim_id,
            "url": public_url(slug, canonical_url),
            "claim": text,
            "claimant": public_claimant(claimant_name, claimant_kind, claimant_description),
            "claim_date": _iso(claimed_on),
            "appearances": orjson.loads(appearances) if appearances else [],
            "headline": headline,
            "rating": {
                "label": label,
                "value": value,
                "best": best,
                "worst": worst,
                "definition": definition,
                "scale": f"{scale_name} v{scale_version}",
            },
            "summary": summary,
            "explanation": explanation,
            "evidence": public_sources(orjson.loads(sources)) if sources else [],
            "revision": revision,
            "published_at": first_published.isoformat(),
            "modified_at": published_at.isoformat(),
            "corrections": orjson.loads(corrections) if corrections else [],
            "language": language or None,
        }
        result.append((verdict_id, published_at, record, max(verdict_updated, claim_updated)))
    return result


def _scale_value(aggregate) -> Subquery:
    return Subquery(
        Rating.objects.filter(scale=OuterRef("rating__scale"), value__isnull=False)
        .values("scale")
        .annotate(v=aggregate("value"))
        .values("v")
    )


_ROW_FIELDS = (
    "claim_id",
    "revision",
    "headline",
    "summary",
    "explanation",
    "published_at",
    "updated_at",
    "claim__slug",
    "claim__canonical_url",
    "claim_text",
    "claimed_on",
    "language",
    "sources",
    "claim__updated_at",
    "claimant_name",
    "claimant_kind",
    "claimant_description",
    "claim__article_id",
    "claim__article__url",
    "claim__article__canonical_url",
    "claim__article__title",
    "claim__article__published_at",
    "claim__article__outlet__name",
    "rating__label",
    "rating__value",
    "rating__definition",
    "rating__scale__name",
    "rating__scale__version",
)


def _orm_records(verdicts: QuerySet[Verdict]) -> list[tuple[int, dt.datetime, dict, dt.datetime]]:
    """Any database: the page's rows, then evidence, revisions and duplicates in one query each."""
    rows = list(
        verdicts.filter(status=Verdict.Status.PUBLISHED)
        .order_by()
        .annotate(best=_scale_value(Max), worst=_scale_value(Min))
        .values("pk", *_ROW_FIELDS, "best", "worst")
    )
    if not rows:
        return []
    claim_ids = [row["claim_id"] for row in rows]
    revisions = defaultdict(list)
    for r in (
        Verdict.objects.filter(claim_id__in=claim_ids)
        .exclude(status=Verdict.Status.DRAFT)
        .order_by("revision")
        .values_list("claim_id", "revision", "published_at", "correction_note")
    ):
        revisions[r[0]].append(r)
    duplicates = defaultdict(list)
    for d in (
        Claim.objects.filter(duplicate_of_id__in=claim_ids, article__isnull=False)
        .order_by("-created_at")
        .values_list(
            "duplicate_of_id",
            "article__url",
            "article__canonical_url",
            "article__title",
            "article__published_at",
            "article__outlet__name",
        )  # fmt: skip
    ):
        duplicates[d[0]].append(d[1:])
    return [
        (
            row["pk"],
            row["published_at"],
            _orm_record(row, revisions[row["claim_id"]], duplicates[row["claim_id"]]),
            max(row["updated_at"], row["claim__updated_at"]),
        )
        for row in rows
    ]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _orm_record(row: dict, revisions: list, duplicates: list) -> dict:
    published_at = row["published_at"]
    revision = row["revision"]
    first_published = next((r[2] for r in revisions if r[2]), published_at)
    articles = []
    if row["claim__article_id"]:
        articles.append(
            (
                row["claim__article__url"],
                row["claim__article__canonical_url"],
                row["claim__article__title"],
                row["claim__article__published_at"],
                row["claim__article__outlet__name"],
            )
        )
    articles += duplicates
    seen, appearances = set(), []
    for url, canonical_url, title, article_published_at, outlet in articles:
        url = canonical_url or url
        if url and url not in seen:
            seen.add(url)
            appearances.append(
                {"url": url, "title": title, "outlet": outlet, "published_at": _iso(article_published_at)}
            )
    return {
        "id": row["claim_id"],
        "url": public_url(row["claim__slug"], row["claim__canonical_url"]),
        "claim": row["claim_text"],
        "claimant": public_claimant(row["claimant_name"], row["claimant_kind"], row["claimant_description"]),
        "claim_date": _iso(row["claimed_on"]),
        "appearances": appearances,
        "headline": row["headline"],
        "rating": {
            "label": row["rating__label"],
            "value": row["rating__value"],
            "best": row["best"],
            "worst": row["worst"],
            "definition": row["rating__definition"],
            "scale": f"{row['rating__scale__name']} v{row['rating__scale__version']}",
        },
        "summary": row["summary"],
        "explanation": row["explanation"],
        "evidence": public_sources(row["sources"]),
        "revision": revision,
        "published_at": first_published.isoformat(),
        "modified_at": published_at.isoformat(),
        "corrections": [
            {"revision": number, "note": note, "published_at": when.isoformat()}
            for _, number, when, note in revisions
            if number > 1 and note and when and number <= revision
        ],
        "language": row["language"] or None,
    }

"""The floor of the API benchmark: bare Django views, one hand-written SQL
query each through psycopg, the page dumped with orjson.

They answer the same URLs' worth of data as ``/api/v1/fact-checks/`` (list,
default ordering, cursor pages) and ``/api/v1/fact-checks/<id>/``: the same
fields, values and links (the benchmark checks the bodies are equal), without
the framework around them (no DRF, no ORM, no filters, throttle, ETag or
content negotiation). Served at ``/floor/...`` by the same gunicorn as the app
(``bench.api_urls``).
"""

from __future__ import annotations

import orjson
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse
from psycopg.types.json import set_json_loads

from claims.api.views import FactCheckPagination


def _iso(column: str) -> str:
    # Python's isoformat() of a UTC datetime: microseconds only when non-zero.
    return (
        f"CASE WHEN {column} IS NULL THEN NULL "
        f"WHEN extract(microseconds FROM {column})::bigint %% 1000000 = 0 "
        f"""THEN to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') """
        f"""ELSE to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') END"""
    )


# Built from constants only; values always go in as parameters.
FACT_CHECKS_SQL = f"""
SELECT
    c.id, c.slug, c.text, cl.name, cl.kind, cl.description, c.claimed_on,
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
    v.published_at, nullif(c.language, ''),
    (SELECT coalesce(json_agg(json_build_object(
                'url', e.url, 'title', e.title, 'publisher', e.publisher, 'stance', e.stance,
                'source_type', e.source_type, 'excerpt', e.excerpt,
                'snapshot_sha256', nullif(e.snapshot_sha256, ''), 'snapshot_date', {_iso("e.snapshot_fetched_at")},
                'not_archived_reason', CASE WHEN e.snapshot_fetched_at IS NULL
                                            THEN nullif(e.archive_override_reason, '') END
            ) ORDER BY e.added_at, e.id), '[]')
     FROM claims_evidence e WHERE e.claim_id = c.id AND e.added_at <= v.published_at),
    (SELECT coalesce(json_agg(json_build_object(
                'revision', k.revision, 'note', k.correction_note, 'published_at', {_iso("k.published_at")}
            ) ORDER BY k.revision), '[]')
     FROM claims_verdict k
     WHERE k.claim_id = c.id AND k.status <> 'draft' AND k.revision > 1 AND k.correction_note <> ''
       AND k.published_at IS NOT NULL AND k.revision <= v.revision),
    (SELECT coalesce(json_agg(json_build_object(
                'url', a.url, 'title', a.title, 'outlet', a.outlet, 'published_at', {_iso("a.published_at")}
            ) ORDER BY a.rank), '[]')
     FROM (
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
LEFT JOIN claims_claimant cl ON cl.id = c.claimant_id
JOIN claims_rating r ON r.id = v.rating_id
JOIN claims_ratingscale s ON s.id = r.scale_id
WHERE v.status = 'published' AND {{where}}
ORDER BY v.published_at DESC, v.id DESC
LIMIT %s OFFSET %s
"""  # noqa: S608
LIST_SQL = FACT_CHECKS_SQL.replace("{where}", "(%s::timestamptz IS NULL OR v.published_at < %s::timestamptz)")
DETAIL_SQL = FACT_CHECKS_SQL.replace("{where}", "c.id = %s")


def _record(row) -> dict:
    (
        claim_id, slug, text, claimant, kind, description, claimed_on, headline, label, value, best, worst,
        definition, scale, version, summary, explanation, revision, first_published, published_at, language,
        evidence, corrections, appearances,
    ) = row  # fmt: skip
    return {
        "id": claim_id,
        "url": f"{settings.SITE_URL}/fact-checks/{slug}/" if slug else "",
        "claim": text,
        "claimant": {"name": claimant, "kind": kind, "description": description} if claimant is not None else None,
        "claim_date": claimed_on,
        "appearances": appearances,
        "headline": headline,
        "rating": {
            "label": label,
            "value": value,
            "best": best,
            "worst": worst,
            "definition": definition,
            "scale": f"{scale} v{version}",
        },
        "summary": summary,
        "explanation": explanation,
        "evidence": evidence,
        "revision": revision,
        "published_at": first_published,
        "modified_at": published_at,
        "corrections": corrections,
        "language": language,
    }


def _fetch(sql: str, params) -> list:
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        set_json_loads(orjson.loads, cursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _json(data, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json", status=status)


class _Query:
    def __init__(self, request):
        self.query_params = request.GET


def fact_check_list(request):
    # DRF's own cursor arithmetic on plain rows, so the links are the API's.
    pager = FactCheckPagination()
    pager.base_url = request.build_absolute_uri()
    pager.ordering = ("-published_at", "-pk")
    pager.page_size = pager.get_page_size(_Query(request))
    pager.cursor = pager.decode_cursor(_Query(request))
    offset, reverse, position = pager.cursor or (0, False, None)
    if reverse:
        return _json({"detail": "The floor pages forward only."}, status=400)
    rows = _fetch(LIST_SQL, [position, position, pager.page_size + 1, offset])
    page = [{"published_at": row[19], "record": row} for row in rows[: pager.page_size]]
    pager.page = page
    pager.has_next = len(rows) > pager.page_size
    pager.has_previous = position is not None or offset > 0
    if pager.has_next:
        pager.next_position = str(rows[-1][19])
    if pager.has_previous:
        pager.previous_position = position
    body = {
        "next": pager.get_next_link(),
        "previous": pager.get_previous_link(),
        "results": [_record(item["record"]) for item in page],
    }
    return _json(body)


def fact_check_detail(request, pk: int):
    rows = _fetch(DETAIL_SQL, [pk, 1, 0])
    if not rows:
        raise Http404("No published fact-check with this id.")
    return _json(_record(rows[0]))

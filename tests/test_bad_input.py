"""Bad input is a 4xx with a message, never a 500: admin changelist filters,
the public API's cursors and filters, the internal API's bodies, and URLs
with impossible ports typed into the API or the admin.

The changelist sweep runs without a wrapping transaction, as requests do in
production: on PostgreSQL a refused query aborts the transaction it runs in.
"""

from __future__ import annotations

import base64
import json
import random
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DataError, connection, models, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from claims.admin.safety import MAX_PARAMETER_LENGTH, SafeChangeList, SafeInputMixin
from claims.api.exceptions import BAD_VALUE, CONFLICT
from claims.api.parsers import MAX_JSON_DEPTH, json_depth
from claims.api.views import FactCheckPagination
from claims.fetching import FetchError, fetch
from claims.models import APIKey, Article, Claim, Evidence, Outlet, WebhookSubscription
from claims.normalize import InvalidURL, normalize_url, validate_http_url

from .factories import ArticleFactory, ClaimFactory, OutletFactory, advance
from .httpserver import LocalHTTPServer
from .test_admin import make_rows
from .test_evidence_snapshots import admin_post_data
from .test_fetching import fake_dns

pytestmark = pytest.mark.django_db

LIST = "/api/v1/fact-checks/"
BAD_PORTS = ["99999", "65536", "abc", "1e3"]


def lenient_client(**kwargs) -> Client:
    """A test client that answers a server error with its 500, so a sweep can list them all."""
    return Client(raise_request_exception=False, **kwargs)


# --- Admin changelists ------------------------------------------------------------

# Malformed values for every filter parameter: non-numeric ids, NUL, a very long
# string, numbers beyond 64 bits, junk lists, impossible dates, bytes that are not UTF-8.
VALUES = ["abc", "\x00", "x" * 5000, "99999999999999999999", "1,abc", "%FF"]
# The changelist's own parameters: search, ordering, page, error flag, show all, facets, popup field.
OWN = {
    "q": ["\x00", "x" * 5000, "%FF"],
    "o": ["-999", "1.2.abc", "99999999999999999999"],
    "p": ["abc", "-999", "99999999999999999999"],
    "e": ["\x00", "abc"],
    "all": ["\x00", "abc"],
    "_facets": ["\x00", "abc"],
    "_to_field": ["\x00", "abc"],
}


def query(params: list[tuple[str, str]]) -> str:
    # %FF stands for a byte that is not UTF-8, sent as it is.
    return "&".join(f"{quote(k)}={'%FF' if v == '%FF' else quote(v)}" for k, v in params)


def filter_parameters(model_admin, request) -> set[str]:
    """The parameters the changelist's filters read, plus lookups on each list_filter field."""
    names = set()
    for spec in model_admin.get_changelist_instance(request).filter_specs:
        names.update(spec.expected_parameters())
    for entry in model_admin.get_list_filter(request):
        field = entry[0] if isinstance(entry, list | tuple) else entry
        if isinstance(field, str):
            names.update({f"{field}__exact", f"{field}__in", f"{field}__isnull"})
        elif isinstance(field, type) and issubclass(field, admin.SimpleListFilter):
            names.add(field.parameter_name)
    # Lookups on the model's own fields are allowed in the query string.
    names.update({"id__in", "id__gt"})
    text = next((f.name for f in model_admin.model._meta.concrete_fields if isinstance(f, models.CharField)), None)
    if text:
        names.update({f"{text}__regex", f"{text}__in"})
    return names


def date_hierarchy_queries(model_admin) -> list[list[tuple[str, str]]]:
    field = model_admin.date_hierarchy
    if not field:
        return []
    year, month, day = f"{field}__year", f"{field}__month", f"{field}__day"
    return [
        [(year, "abc")],
        [(year, "0")],
        [(year, "9999")],  # its end is in year 10000
        [(year, "9999"), (month, "12")],
        [(year, "9999"), (month, "12"), (day, "31")],
        [(year, "2026"), (month, "13")],
        [(year, "2026"), (month, "2"), (day, "30")],
        [(year, "2026"), (month, "\x00")],
        [(year, "99999999999999999999")],
        [(month, "12")],  # a month without a year
    ]


@pytest.fixture
def rows(superuser, reviewer, editor, default_scale):
    """Rows in every model, a claim assigned to the reviewer (so the assignee filter shows)."""
    make_rows(default_scale, 2)
    advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)


def malformed_queries(model_admin, request) -> list[list[tuple[str, str]]]:
    names = sorted(filter_parameters(model_admin, request))
    queries = [[(name, value)] for name in names for value in VALUES]
    queries += [[(name, value)] for name, values in OWN.items() for value in values]
    queries += date_hierarchy_queries(model_admin)
    # Facet counts run while the page renders, after the changelist's own error handling.
    queries += [[("_facets", "1"), (name, "abc")] for name in names[:2]]
    queries += [[("e", "1"), (names[0], "\x00")], [("%00", "1")], [("x" * (MAX_PARAMETER_LENGTH + 1), "1")]]
    return queries


@pytest.mark.django_db(transaction=True)
def test_every_changelist_answers_malformed_filters_without_a_server_error(rows, superuser):
    # One test for every admin: making the rows takes longer than sweeping one changelist.
    client = lenient_client()
    client.force_login(superuser)
    failures, swept = [], 0
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        request = RequestFactory().get(url)
        request.user = superuser
        for params in malformed_queries(model_admin, request):
            response = client.get(f"{url}?{query(params)}")
            swept += 1
            if response.status_code >= 500:
                failures.append((model._meta.label, str(params)[:120], response.status_code))
        assert client.get(url).status_code == 200, f"{url} still works afterwards"
    assert failures == []
    assert swept > 40 * len(admin.site._registry)


def test_malformed_assignee_status_search_and_dates_redirect_to_the_error_flag(client, superuser, rows):
    client.force_login(superuser)
    claims = reverse("admin:claims_claim_changelist")
    for params in ["assignee=abc", "assignee=1%00", "status=%00", "q=%00", "text__regex=(", "id__in=1,abc"]:
        response = client.get(f"{claims}?{params}")
        assert (response.status_code, response.get("Location")) == (302, f"{claims}?e=1"), params
    articles = reverse("admin:claims_article_changelist")
    for params in ["created_at__year=abc", "created_at__year=9999", "created_at__year=9999&created_at__month=12"]:
        response = client.get(f"{articles}?{params}")
        assert (response.status_code, response.get("Location")) == (302, f"{articles}?e=1"), params
    # Malformed again with the flag set: Django's "database error" page, not a loop.
    assert client.get(f"{claims}?e=1&status=%00").status_code == 200
    # Ordering and page numbers that mean nothing are ignored.
    assert client.get(f"{claims}?o=999").status_code == 200
    assert client.get(f"{claims}?p=abc").status_code == 200


def test_assignee_filter_still_filters_by_a_reviewers_id(client, superuser, reviewer, editor, default_scale):
    mine = advance(ClaimFactory(text="Assigned to the reviewer."), Claim.Status.IN_RESEARCH, editor, reviewer)
    ClaimFactory(text="Nobody's.")
    client.force_login(superuser)
    page = client.get(f"{reverse('admin:claims_claim_changelist')}?assignee={reviewer.pk}")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [mine]


def test_every_registered_admin_has_the_safety_net(superuser):
    request = RequestFactory().get("/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, SafeInputMixin), model
        assert issubclass(model_admin.get_changelist(request), SafeChangeList), model


@pytest.mark.django_db(transaction=True)
def test_a_refused_query_on_postgresql_marks_the_request_transaction_for_rollback(rf, superuser):
    """With ATOMIC_REQUESTS the view runs in a transaction that PostgreSQL aborts on a DataError."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes NUL in text")
    request = rf.get("/admin/claims/claim/")
    request.user = superuser
    with transaction.atomic():  # as ATOMIC_REQUESTS would open it
        changelist = admin.site._registry[Claim].get_changelist_instance(request)
        # Past the parameter check, as a value no check foresaw would be.
        changelist.queryset = changelist.queryset.filter(text="\x00")
        with pytest.raises(IncorrectLookupParameters):
            changelist.get_results(request)
        assert connection.needs_rollback
    assert Claim.objects.count() == 0, "the connection is usable again"


# --- The public API: cursors and filters --------------------------------------------


def cursor(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


FORGED_POSITIONS = [
    b"p=abc",  # the attacker's probe: cD1hYmM=
    b"p=",
    b"p=2026-02-30+10%3A00%3A00%2B00%3A00",  # 30 February
    b"p=2026-03-01+25%3A00%3A00%2B00%3A00",
    b"p=2026-03-01+10%3A00%3A00",  # no offset
    b"p=2026-03-01T10%3A00%3A00Z",  # not as str() writes it
    b"p=2026-03-01+10%3A00%3A00%2B99%3A00",
    b"p=0001-01-01+00%3A00%3A00%2B05%3A00",  # before year 1 in UTC
    b"p=9999-12-31+23%3A59%3A59-05%3A00",  # after year 9999 in UTC
    b"p=%00",
    b"p=2026-03-01+10%3A00%3A00%2B00%3A00%00",
    b"p=" + b"9" * 10000,
    b"p=99999999999999999999",
    b"p=\xff\xfe",
    b"o=-1",
    b"o=abc",
    b"r=abc",
]


@pytest.fixture
def published(editor, reviewer, default_scale):
    return [
        advance(ClaimFactory(article=ArticleFactory(), text=f"Claim {n} about wages."), "published", editor, reviewer)
        for n in range(3)
    ]


@pytest.mark.parametrize("raw", FORGED_POSITIONS, ids=lambda raw: raw[:40].decode("latin-1"))
def test_a_forged_cursor_is_an_invalid_cursor_not_a_server_error(client, published, raw):
    response = client.get(LIST, {"cursor": cursor(raw)})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_the_attackers_cursor_exactly(client, published):
    response = client.get(f"{LIST}?cursor=cD1hYmM=")
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid cursor"})


@pytest.mark.parametrize(
    "value",
    ["cD1hYmM", "é", "%FF", "a" * 100_000, "cD1hYmM=" * 1000],
    ids=["unpadded", "not_ascii", "not_utf8", "decodes_to_binary", "repeated"],
)
def test_a_cursor_that_is_not_base64_of_ascii_is_an_invalid_cursor(client, published, value):
    response = client.get(f"{LIST}?cursor={'%FF' if value == '%FF' else quote(value, safe='=')}")
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid cursor"})


@pytest.mark.parametrize("value", ["!!!", "\x00", "===="], ids=["punctuation", "nul", "padding"])
def test_a_cursor_with_nothing_base64_in_it_is_the_first_page(client, published, value):
    # base64 decoding skips what is outside its alphabet: nothing is left, as for no cursor.
    response = client.get(f"{LIST}?cursor={quote(value)}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_a_position_with_any_offset_is_read_in_utc(client, published):
    # PostgreSQL refuses offsets beyond 15:59; the position is moved to UTC first.
    response = client.get(LIST, {"cursor": cursor(b"p=2030-03-01+10%3A00%3A00-23%3A00")})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    assert FactCheckPagination().checked_position("2030-03-01 10:00:00-23:00") == "2030-03-02 09:00:00+00:00"


def test_a_huge_offset_and_odd_but_valid_cursors_are_answered(client, published):
    for raw in [b"o=99999999999999999999", b"r=1", b"", b"x=1", b"p=2026-03-01+10%3A00%3A00.123456%2B05%3A30"]:
        assert client.get(LIST, {"cursor": cursor(raw)}).status_code == 200, raw


def test_genuine_cursors_still_walk_the_list(client, published):
    seen, url = [], f"{LIST}?page_size=1"
    while url:
        body = client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(claim.pk for claim in published)


def test_random_cursors_never_cause_a_server_error(published):
    generator = random.Random(13)  # noqa: S311 (test data)
    client = lenient_client()
    statuses = set()
    for _ in range(200):
        cache.clear()  # past the anonymous rate limit, the answer would be 429 whatever the cursor
        raw = bytes(generator.randrange(256) for _ in range(generator.randrange(1, 60)))
        if generator.random() < 0.5:
            raw = b"p=" + raw
        response = client.get(LIST, {"cursor": cursor(raw)})
        statuses.add(response.status_code)
        assert response.status_code < 500, raw
        if response.status_code == 404:
            assert response.json() == {"detail": "Invalid cursor"}
    assert 404 in statuses


@pytest.mark.parametrize(
    "params",
    [
        {"rating": "\x00"},
        {"claimant": "\x00"},
        {"outlet": "\x00"},
        {"language": "\x00"},
        {"q": "\x00"},
        {"published_after": "abc"},
        {"published_after": "\x00"},
        {"published_after": "2026-02-30T10:00:00Z"},
        {"published_after": "0001-01-01T00:00:00+05:00"},
        {"published_before": "9999-12-31T23:59:59-05:00"},
        {"published_before": " "},
        {"page_size": "0"},
        {"page_size": "-1"},
        {"page_size": "abc"},
        {"page_size": "\x00"},
        {"ordering": "\x00"},
        {"ordering": "published_at"},
        {"unknown": "1"},
        {"\x00": "1"},
    ],
    ids=lambda params: repr(params)[:40],
)
def test_malformed_public_filters_are_refused_with_a_message(client, published, params):
    response = client.get(f"{LIST}?{urlencode(params)}")
    assert response.status_code == 400, response.content[:200]
    assert response.json()


def test_odd_public_filters_that_mean_something_are_answered(client, published):
    for params in [
        {"page_size": "99999999999999999999"},
        {"q": "x" * 10000 + " wages"},
        {"q": '"unclosed -( or )) & | ! <->'},
        {"rating": "x" * 5000},
        {"published_after": "2026-03-01T10:00:00-23:00"},
    ]:
        response = client.get(f"{LIST}?{urlencode(params)}")
        assert response.status_code == 200, (params, response.content[:200])
    for pk in ["99999999999999999999", "0"]:
        assert client.get(f"{LIST}{pk}/").status_code == 404
        assert client.get(f"{LIST}{pk}/claimreview").status_code == 404


# --- The internal API: request bodies ---------------------------------------------


def key_client(user, scope: str = "write") -> APIClient:
    _, key = APIKey.objects.create_key(name=f"{user.username} {scope}", user=user, scope=scope)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def researching(editor, reviewer, default_scale) -> Claim:
    return advance(ClaimFactory(), Claim.Status.IN_RESEARCH, editor, reviewer)


def endpoints(claim: Claim) -> list[tuple[str, str]]:
    return [
        ("post", "/api/v1/articles/"),
        ("post", "/api/v1/claims/"),
        ("patch", f"/api/v1/claims/{claim.pk}/"),
        ("post", f"/api/v1/claims/{claim.pk}/transitions/"),
        ("post", f"/api/v1/claims/{claim.pk}/evidence/"),
        ("put", f"/api/v1/claims/{claim.pk}/verdict-draft/"),
    ]


def send(client: APIClient, method: str, path: str, body, content_type: str = "application/json"):
    if not isinstance(body, bytes):
        body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return getattr(client, method)(path, body, content_type=content_type)


def assert_refused_with_a_message(response, *, status: int | None = None) -> dict | list:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body, "a 4xx says what is wrong"
    return body


DEEP = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_json_is_a_400_on_every_endpoint(superuser, researching):
    # A superuser's key: every endpoint gets as far as reading the body.
    client = key_client(superuser)
    for method, path in endpoints(researching):
        for body in (DEEP, '{"text": ' + DEEP + "}", '{"a": ' * 50_000 + "1" + "}" * 50_000):
            response = send(client, method, path, body)
            detail = assert_refused_with_a_message(response, status=400)
            assert detail == {"detail": f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)."}, path


def test_nesting_up_to_the_limit_is_parsed_and_one_more_level_is_refused(editor):
    client = key_client(editor)
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = send(client, "post", "/api/v1/claims/", at_limit)
    assert response.status_code == 400 and "nested too deeply" not in response.content.decode()
    over = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    assert "nested too deeply" in send(client, "post", "/api/v1/claims/", over).json()["detail"]


def test_json_depth_counts_only_brackets_outside_strings():
    assert json_depth('{"a": [1, {"b": "[[[[{{"}], "c": "\\"[["}') == 3
    assert json_depth('"[[["') == 0
    assert json_depth(DEEP) == 100_000
    assert json_depth("[]" * 1000) == 1


MALFORMED_BODIES = [
    b"not json",
    b"{",
    b'{"text": "unterminated',
    b"<claim/>",
    b'{"text": "\xff\xfe"}',  # not UTF-8
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b'{"text": NaN}',
    b'{"priority": Infinity}',
    b'{"priority": -Infinity}',
    b'{"priority": 1' + b"0" * 5000 + b"}",  # over Python's 4,300-digit limit
]


def test_a_body_that_is_not_json_is_a_400_on_every_endpoint(superuser, researching):
    # A superuser's key: every endpoint gets as far as reading the body.
    client = key_client(superuser)
    for method, path in endpoints(researching):
        for body in MALFORMED_BODIES:
            detail = assert_refused_with_a_message(send(client, method, path, body), status=400)
            assert "JSON parse error" in detail["detail"], (path, body[:30])


def test_a_charset_the_body_is_not_in_or_that_is_not_text_is_a_400(editor):
    client = key_client(editor)
    body = b'{"text": "x"}'  # 13 bytes: not UTF-16
    for charset in ["bz2_codec", "utf-16"]:
        response = send(client, "post", "/api/v1/claims/", body, f"application/json; charset={charset}")
        assert_refused_with_a_message(response, status=400)
    # Django ignores a charset it does not know, and reads the body as UTF-8.
    response = send(client, "post", "/api/v1/claims/", body, "application/json; charset=no-such-charset")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        1,
        None,
        {"text": ["a list"]},
        {"text": {"an": "object"}},
        {"text": "x", "priority": "high"},
        {"text": "x", "priority": 99999999999999999999},
        {"text": "x", "article": "abc"},
        {"text": "x", "article": 99999999999999999999},
        {"text": "x", "article": -1},
        {"text": "x", "article": [1]},
        {"text": "x", "claimed_on": "2026-02-30"},
        {"text": "x", "claimed_on": "99999-01-01"},
        {"text": "a\x00b"},
        {"text": "x", "claimant_name": "\x00"},
        {"text": "x", "language": "\x00"},
        {"\x00": "x"},
    ],
    ids=repr,
)
def test_wrong_types_huge_numbers_and_nul_in_a_new_claim_are_refused(editor, body):
    assert_refused_with_a_message(key_client(editor).post("/api/v1/claims/", body, format="json"), status=400)
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"action": 1},
        {"action": "\x00"},
        {"action": ["accept"]},
        {"action": "accept", "expected_version": "x"},
        {"action": "accept", "expected_version": 99999999999999999999},
        {"action": "accept", "note": "\x00"},
        {"action": "assign", "assignee": "\x00"},
        {"action": "assign", "assignee": "x" * 10000},
        {"action": "mark_duplicate", "duplicate_of": 99999999999999999999},
        {"action": "mark_duplicate", "duplicate_of": "abc"},
        {"action": "approve", "publish_at": "9999-12-31T23:59:59-05:00"},
        {"action": "approve", "publish_at": "\x00"},
    ],
    ids=repr,
)
def test_malformed_transitions_are_refused_with_a_message(editor, body):
    claim = ClaimFactory()
    response = key_client(editor).post(f"/api/v1/claims/{claim.pk}/transitions/", body, format="json")
    assert_refused_with_a_message(response)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CANDIDATE


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://stats.example.org/\x00", "stance": "refutes"},
        {"url": "https://stats.example.org/t", "stance": "\x00"},
        {"url": "https://stats.example.org/t", "stance": "refutes", "title": "\x00"},
        {"url": ["https://stats.example.org/t"], "stance": "refutes"},
        {"url": "ftp://stats.example.org/t", "stance": "refutes"},
        *({"url": f"https://stats.example.org:{port}/t", "stance": "refutes"} for port in BAD_PORTS),
        {"url": "https://[::1/t", "stance": "refutes"},
    ],
    ids=repr,
)
def test_malformed_evidence_is_refused_with_a_message(reviewer, researching, body):
    response = key_client(reviewer).post(f"/api/v1/claims/{researching.pk}/evidence/", body, format="json")
    errors = assert_refused_with_a_message(response, status=400)
    assert not Evidence.objects.exists()
    if "stats.example.org:" in str(body["url"]):
        assert set(errors) == {"url"}


def test_an_evidence_url_with_port_99999_says_what_is_wrong_with_it(reviewer, researching):
    response = key_client(reviewer).post(
        f"/api/v1/claims/{researching.pk}/evidence/",
        {"url": "https://stats.example.org:99999/t", "stance": "refutes"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"url": ["The port must be a whole number up to 65535, not '99999'."]}


@pytest.mark.parametrize("port", BAD_PORTS)
def test_an_article_url_with_an_invalid_port_is_refused(editor, port):
    response = key_client(editor).post("/api/v1/articles/", {"url": f"https://news.example:{port}/s"}, format="json")
    assert "url" in assert_refused_with_a_message(response, status=400)
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "\x00", "headline": "h", "summary": "s", "explanation": "e"},
        {"rating": ["False"], "headline": "h", "summary": "s", "explanation": "e"},
        {"rating": "False", "headline": "\x00", "summary": "s", "explanation": "e"},
        {"rating": "x" * 10000, "headline": "h", "summary": "s", "explanation": "e"},
    ],
    ids=repr,
)
def test_a_malformed_verdict_draft_is_refused_with_a_message(reviewer, researching, body):
    response = key_client(reviewer).put(f"/api/v1/claims/{researching.pk}/verdict-draft/", body, format="json")
    assert_refused_with_a_message(response, status=400)


def test_a_body_over_the_upload_limit_is_a_413_whatever_its_encoding(editor, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = key_client(editor)
    big = json.dumps({"text": "x" * 2000})
    response = send(client, "post", "/api/v1/claims/", big)
    assert assert_refused_with_a_message(response, status=413) == {
        "detail": "The request body is too large (at most 1000 bytes)."
    }
    form = client.post(
        "/api/v1/claims/", urlencode({"text": "x" * 2000}), content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 413
    multipart = client.post("/api/v1/claims/", {"text": "x" * 2000})  # the test client's default: multipart
    assert multipart.status_code == 413
    assert not Claim.objects.exists()
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = urlencode({f"field{n}": "x" for n in range(10)})
    response = client.post("/api/v1/claims/", fields, content_type="application/x-www-form-urlencoded")
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in assert_refused_with_a_message(response, status=400)["detail"]
    # Under the limits, as before.
    assert send(client, "post", "/api/v1/claims/", {"text": "A claim."}).status_code == 201


# --- URLs with impossible ports in the admin --------------------------------------


@pytest.mark.parametrize("port", BAD_PORTS)
def test_admin_evidence_form_refuses_an_invalid_port(client, superuser, researching, port):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:claims_evidence_add"),
        {
            "claim": researching.pk,
            "url": f"https://stats.example.org:{port}/t",
            "stance": "refutes",
            "source_type": "other",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "url" in errors, errors
    assert not Evidence.objects.exists()


def test_admin_evidence_form_names_the_port(client, superuser, researching):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:claims_evidence_add"),
        {
            "claim": researching.pk,
            "url": "https://stats.example.org:99999/t",
            "stance": "refutes",
            "source_type": "other",
        },
    )
    assert response.context["adminform"].form.errors["url"] == [
        "The port must be a whole number up to 65535, not '99999'."
    ]


def test_evidence_inline_on_the_claim_page_refuses_an_invalid_port(client, superuser, researching, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client.force_login(superuser)
    change_url = reverse("admin:claims_claim_change", args=[researching.pk])
    data = admin_post_data(client.get(change_url))
    data.update(
        {
            "evidence-TOTAL_FORMS": "1",
            "evidence-0-url": "https://stats.example.org:99999/inline",
            "evidence-0-stance": "refutes",
            "evidence-0-source_type": "dataset",
            "evidence-0-claim": str(researching.pk),
        }
    )
    response = client.post(change_url, data)
    assert response.status_code == 200
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "evidence")
    assert "port must be a whole number" in str(formset.forms[0].errors["url"])
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("port", BAD_PORTS)
def test_admin_article_form_refuses_an_invalid_port(client, superuser, port):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:claims_article_add"), {"url": f"https://news.example:{port}/s", "title": "", "text": ""}
    )
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert not Article.objects.exists()


def test_admin_article_canonical_url_refuses_an_invalid_port(client, superuser):
    article = ArticleFactory(outlet=OutletFactory())
    client.force_login(superuser)
    change_url = reverse("admin:claims_article_change", args=[article.pk])
    data = admin_post_data(client.get(change_url))
    data["canonical_url"] = "https://news.example:99999/s"
    response = client.post(change_url, data)
    assert response.status_code == 200
    assert "port" in str(response.context["adminform"].form.errors["canonical_url"])


@pytest.mark.parametrize("port", BAD_PORTS)
def test_admin_webhook_subscription_refuses_an_invalid_port(client, superuser, port):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:claims_webhooksubscription_add"),
        {"url": f"https://partner.example:{port}/hooks", "events": ["fact_check.published"], "active": "on"},
    )
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://stats.example.org:99999/t", "the port must be a whole number up to 65535, not '99999'"),
        ("https://stats.example.org:abc/t", "the port must be a whole number up to 65535, not 'abc'"),
        ("https://user@[::1]:70000/t", "the port must be a whole number up to 65535, not '70000'"),
        ("https://[::1/t", "not a valid URL: Invalid IPv6 URL"),
    ],
)
def test_normalize_url_names_the_problem_with_a_port(url, message):
    with pytest.raises(InvalidURL) as caught:
        normalize_url(url)
    assert str(caught.value) == message
    with pytest.raises(ValidationError):
        validate_http_url(url)
    assert normalize_url("https://stats.example.org:8443/t") == "https://stats.example.org:8443/t"
    validate_http_url("https://stats.example.org:443/t")


@pytest.mark.parametrize("url", ["http://localhost:99999/x", "http://localhost:abc/x"])
def test_a_redirect_to_an_invalid_port_is_a_fetch_error(settings, monkeypatch, urllib3_connections, url):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    fake_dns(monkeypatch, {"localhost": ["127.0.0.1"]})  # the server listens on 127.0.0.1 only
    with LocalHTTPServer() as server:

        @server.route("/moved")
        def moved(request):
            request.reply(302, headers={"Location": url})

        with pytest.raises(FetchError) as caught:
            fetch(server.url("/moved"))
    assert caught.value.kind == "invalid_url", caught.value.message
    assert urllib3_connections == [("127.0.0.1", server.port)]


# --- The 409 safety net for unique-constraint races ---------------------------------


class RacingOutlets(APIView):
    """Stands for a service that checked before writing and lost the race."""

    permission_classes: list = []
    authentication_classes: list = []

    def post(self, request):
        with transaction.atomic():
            Outlet.objects.create(name="Second", domain="race.example")
        return None


def test_an_integrity_error_that_escapes_a_service_is_a_logged_409_rolled_back(caplog):
    Outlet.objects.create(name="First", domain="race.example")
    with caplog.at_level("ERROR", logger="claims.api.exceptions"):
        response = RacingOutlets.as_view()(APIRequestFactory().post("/race", {}, format="json"))
    assert response.status_code == 409
    assert response.data == {"detail": CONFLICT, "code": "conflict"}
    assert "race.example" not in str(response.data), "no constraint or value leaks to the caller"
    assert [r.levelname for r in caplog.records] == ["ERROR"] and "IntegrityError" in caplog.text
    # The service's atomic block rolled back; the connection is usable.
    assert list(Outlet.objects.values_list("name", flat=True)) == ["First"]


class StoringAValueTheDatabaseRefuses(APIView):
    permission_classes: list = []
    authentication_classes: list = []

    def post(self, request):
        raise DataError("value too long for type character varying(200)")


def test_a_data_error_is_a_400_with_a_plain_message_and_logged(caplog):
    with caplog.at_level("WARNING", logger="claims.api.exceptions"):
        response = StoringAValueTheDatabaseRefuses.as_view()(APIRequestFactory().post("/x", {}, format="json"))
    assert response.status_code == 400
    assert response.data == {"detail": BAD_VALUE, "code": "invalid"}
    assert "character varying" in caplog.text and "character varying" not in str(response.data)


def test_with_atomic_requests_the_409_marks_the_request_transaction_for_rollback(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    Outlet.objects.create(name="First", domain="race.example")
    with transaction.atomic():
        response = RacingOutlets.as_view()(APIRequestFactory().post("/race", {}, format="json"))
        assert response.status_code == 409
        assert connection.needs_rollback
    assert Outlet.objects.count() == 1

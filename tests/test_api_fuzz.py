"""API fuzzing: schemathesis drives every operation of /api/schema/ in-process
against the WSGI app, with all of its checks, anonymously and with an editor's
write key. No 5xx, no response outside the schema, no auth ignored.

A check is left out only where the request could not say what schemathesis
meant it to (see call_and_validate): the case once thought order dependent was
a form field whose value (an empty list) a form encoding cannot carry, so the
server never saw it and rightly accepted the rest."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from django.test import override_settings
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
)

from claims.models import APIKey, Claim
from claims.review import workflow
from factcheck.wsgi import application

from .factories import ArticleFactory, ClaimFactory, EvidenceFactory, add_verdict_draft, advance

# transactional_db, not db: the WSGI handler closes the connection at the end of
# each request (close_old_connections), which would end a test's transaction.
pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

# schemathesis's WSGI client sends `Host: localhost`; the test environment only allows testserver.
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True)
def allow_schemathesis_host(settings):
    settings.ALLOWED_HOSTS = ["localhost"]


@pytest.fixture
def desk(editor, reviewer, default_scale, settings):
    """Published fact-checks (one under correction), drafts, and claims in most statuses."""
    # Submitted articles are queued, never fetched: fuzzed URLs must not reach the internet.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    for n in range(2):
        claim = ClaimFactory(article=ArticleFactory(), text=f"Published claim {n}.")
        advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    corrected = advance(ClaimFactory(article=ArticleFactory()), Claim.Status.PUBLISHED, editor, reviewer)
    workflow.correct(corrected.pk, by=editor, note="A figure was wrong.")
    EvidenceFactory(claim=corrected)
    for status in [Claim.Status.ACCEPTED, Claim.Status.ASSIGNED, Claim.Status.IN_RESEARCH, Claim.Status.IN_REVIEW]:
        advance(ClaimFactory(), status, editor, reviewer)
    advance(ClaimFactory(), Claim.Status.SCHEDULED, editor, reviewer)
    advance(ClaimFactory(), Claim.Status.RETRACTED, editor, reviewer)
    workflow.dismiss(ClaimFactory().pk, by=editor, note="Not checkable.")
    add_verdict_draft(ClaimFactory(), reviewer)
    ClaimFactory()
    ArticleFactory(url="", text="An article pasted as text.")


@pytest.fixture
def editor_key(editor) -> str:
    _, key = APIKey.objects.create_key(name="fuzz", user=editor, scope="write")
    return key


def call_and_validate(case, headers: dict[str, str] | None = None) -> None:
    """case.call_and_validate() with every check, less one for requests no API view answered."""
    response = case.call(headers=headers)
    excluded = []
    try:
        resolve(urlsplit(response.request.url).path)
    except Resolver404:
        # An id that does not fit the route (`0.5`, `null,null`) matches no URL pattern,
        # so Django's HTML 404 page answers before any API view; the operation was never reached.
        excluded.append(content_type_conformance)
    if accepts_nothing_valid_to_a_schema(case) or refuses_only_what_the_schema_cannot_state(case, response):
        excluded.append(positive_data_acceptance)
    if sends_a_number_for_a_string(case) or form_encoding_dropped_a_field(case, response):
        # DRF's CharField takes a number as its text, by design; and a field whose value a form
        # encoding cannot carry (an empty list) never reached the server, so nothing was refused.
        excluded.append(negative_data_rejection)
    case.validate_response(
        response, headers=headers, excluded_checks=excluded, transport_kwargs={"headers": headers or {}}
    )


# Django refuses NUL in any text (PostgreSQL cannot store it); JSON Schema cannot say so.
NUL_REFUSED = "Null characters are not allowed."
# Request fields whose schema-valid values a correct server may still refuse with 400: a row
# that must exist (article, rating), or a URL that Django's validator refuses though it is a
# format "uri" (a host label over 63 characters, no dot in the host).
UNSTATABLE_FIELDS = {
    "POST /api/v1/articles/": {"url"},
    "POST /api/v1/claims/": {"article"},
    "PUT /api/v1/claims/{id}/": {"article"},
    "PATCH /api/v1/claims/{id}/": {"article"},
    "POST /api/v1/claims/{id}/evidence/": {"url"},
    "PUT /api/v1/claims/{id}/verdict-draft/": {"rating"},
}


def refuses_only_what_the_schema_cannot_state(case, response) -> bool:
    if response.status_code != 400:
        return False
    errors = response.json()
    if not isinstance(errors, dict):
        return False
    if all(messages == [NUL_REFUSED] for messages in errors.values()):
        return True
    return set(errors) <= UNSTATABLE_FIELDS.get(case.operation.label, set())


def sends_a_number_for_a_string(case) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    content = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    ref = content.get(case.media_type or "", {}).get("schema", {}).get("$ref", "")
    properties = case.operation.schema.raw_schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    properties = properties.get("properties", {})
    return any(
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and properties.get(name, {}).get("type") == "string"
        for name, value in body.items()
    )


def form_encoding_dropped_a_field(case, response) -> bool:
    """A form body drops a field whose value is an empty list: the server never sees it."""
    if case.media_type != "application/x-www-form-urlencoded" or not isinstance(case.body, dict):
        return False
    body = response.request.body or b""
    sent = parse_qs(body.decode() if isinstance(body, bytes) else body, keep_blank_values=True)
    return bool(set(case.body) - set(sent))


def accepts_nothing_valid_to_a_schema(case) -> bool:
    """Requests the schema calls valid that no correct server could accept."""
    body = case.body if isinstance(case.body, dict) else {}
    if case.media_type != "application/json" and any(value is None for value in body.values()):
        # Form encodings cannot carry a JSON null: schemathesis sends the text "null" for a nullable field.
        return True
    if case.operation.label == "POST /api/v1/articles/":
        # "A URL or a text" is a rule across two fields that the schema does not state.
        return not any(isinstance(body.get(name), str) and body[name].strip() for name in ("url", "text"))
    return False


@schema.parametrize()
@FUZZ
def test_anonymous_requests_conform_to_the_schema(case, desk):
    call_and_validate(case)


@schema.parametrize()
@FUZZ
def test_editor_requests_conform_to_the_schema(case, desk, editor_key):
    call_and_validate(case, headers={"Authorization": f"Api-Key {editor_key}"})

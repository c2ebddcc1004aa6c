"""OpenAPI: the schema, its docs page served locally, and responses matching it."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from claims.models import Claim

from .factories import ClaimFactory, advance

pytestmark = pytest.mark.django_db


def openapi(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def json_schema(node, components):
    """OpenAPI 3.0 schema -> JSON Schema: resolve $ref, turn `nullable` into a null type."""
    if isinstance(node, list):
        return [json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(components[node["$ref"].rsplit("/", 1)[-1]], components)
    converted = {key: json_schema(value, components) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        else:
            converted = {"anyOf": [converted, {"type": "null"}]}
    if converted.get("type") == "object" or "properties" in converted:
        converted.setdefault("additionalProperties", False)
    return converted


def test_schema_documents_every_endpoint_with_examples(client):
    schema = openapi(client)
    paths = schema["paths"]
    assert set(paths) >= {"/api/v1/fact-checks/", "/api/v1/fact-checks/{id}/", "/api/v1/fact-checks/{id}/claimreview"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("description"), (path, method)
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, (path, method)
            ok = operation["responses"][success[0]]["content"]["application/json"]
            assert ok.get("examples"), (path, method)
    names = {p["name"] for p in paths["/api/v1/fact-checks/"]["get"]["parameters"]}
    assert names >= {
        "rating",
        "claimant",
        "outlet",
        "language",
        "published_after",
        "published_before",
        "q",
        "ordering",
        "cursor",
        "page_size",
    }


def test_docs_page_serves_its_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    # The sidecar's Redoc, served by claims/api/docs.py (see tests/test_public_site_polish.py).
    assert '<script src="/api/docs/redoc.standalone.js"' in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page


def test_responses_match_the_schema(client, editor, reviewer, default_scale):
    advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    schema = openapi(client)
    components = schema["components"]["schemas"]
    fact_check = json_schema(components["FactCheck"], components)
    page = client.get("/api/v1/fact-checks/").json()
    assert page["results"]
    for item in page["results"]:
        jsonschema.validate(item, fact_check)
    detail = client.get(f"/api/v1/fact-checks/{page['results'][0]['id']}/").json()
    jsonschema.validate(detail, fact_check)
    example = schema["paths"]["/api/v1/fact-checks/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]
    for entry in example["examples"].values():
        jsonschema.validate(entry["value"], fact_check)


def test_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/claims/{id}/transitions/" in target.read_text()

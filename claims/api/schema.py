"""OpenAPI descriptions of the project's own authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "claims.api.auth.APIKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An API key from the admin, sent as "Api-Key <key>".',
        }


# Error answers every operation can give, for its `responses`. DRF answers each
# with a JSON object whose `detail` says what went wrong.
def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


BAD_REQUEST = {400: error("The request is not valid; the body names each field at fault.")}
UNAUTHORIZED = {401: error("No credentials, or an invalid, revoked or expired API key.")}
FORBIDDEN = {403: error("Authenticated but not allowed: a read-only key, or a missing role permission.")}
NOT_FOUND = {404: error("No such object.")}
THROTTLED = {429: error("Too many requests; retry after the number of seconds in Retry-After.")}


# --- Grouping and naming the operations for the docs page (/api/docs/) ---------
#
# The tags in the order the docs list them: what anyone may call first, then the
# desk's internal API. Every operation is given a tag and a one-line summary
# here (tests/test_api_docs.py holds every operation to it), so Redoc shows
# "List published fact-checks" under "Public fact-checks", not a generated name.
PUBLIC = "Public fact-checks"
MATCHING = "Matching"
CLAIMS = "Internal: claims"
ARTICLES = "Internal: articles"
TRANSITIONS = "Internal: transitions"
TAGS = [
    {"name": PUBLIC, "description": "Published fact-checks, as JSON and as schema.org ClaimReview. No key needed."},
    {"name": MATCHING, "description": "Whether a claim was already checked, by this desk or by others."},
    {"name": CLAIMS, "description": "The desk's claims, their sources and verdict drafts (an API key)."},
    {"name": ARTICLES, "description": "Articles submitted to the desk, from which claims are extracted (an API key)."},
    {
        "name": TRANSITIONS,
        "description": "Moving a claim through the workflow, as the admin's buttons do (an API key).",
    },
]
OPERATIONS = {
    "fact_checks_list": (PUBLIC, "List published fact-checks"),
    "fact_checks_retrieve": (PUBLIC, "Get one published fact-check"),
    "fact_checks_claimreview": (PUBLIC, "Get a fact-check as ClaimReview JSON-LD"),
    "fact_checks_match": (MATCHING, "Find fact-checks that may already check a claim"),
    "claims_list": (CLAIMS, "List claims"),
    "claims_create": (CLAIMS, "Enter a claim"),
    "claims_retrieve": (CLAIMS, "Get a claim"),
    "claims_update": (CLAIMS, "Replace a claim's fields"),
    "claims_partial_update": (CLAIMS, "Change some of a claim's fields"),
    "claims_evidence_list": (CLAIMS, "List a claim's sources"),
    "claims_evidence_create": (CLAIMS, "Attach a source to a claim"),
    "claims_verdict_draft_retrieve": (CLAIMS, "Get a claim's verdict draft"),
    "claims_verdict_draft_update": (CLAIMS, "Write a claim's verdict draft"),
    "claims_notes_list": (CLAIMS, "List a claim's internal notes"),
    "claims_notes_create": (CLAIMS, "Write a note on a claim"),
    "claims_notes_update": (CLAIMS, "Edit your note (within 15 minutes)"),
    "claims_notes_remove": (CLAIMS, "Remove a note"),
    "claims_tags_list": (CLAIMS, "List a claim's tags"),
    "claims_tags_set": (CLAIMS, "Set a claim's tags"),
    "claims_tasks_list": (CLAIMS, "List a claim's checklist"),
    "claims_tasks_update": (CLAIMS, "Assign, answer or check a checklist task"),
    "articles_list": (ARTICLES, "List articles"),
    "articles_create": (ARTICLES, "Submit an article"),
    "articles_retrieve": (ARTICLES, "Get an article and its extraction state"),
    "claims_transition": (TRANSITIONS, "Move a claim through the workflow"),
}


def group_operations(result, generator, request, public):
    """drf-spectacular post-processing hook: each operation's tag and summary, public paths first."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if operation.get("operationId") in OPERATIONS:
                tag, summary = OPERATIONS[operation["operationId"]]
                operation["tags"] = [tag]
                operation["summary"] = summary
    order = {tag["name"]: index for index, tag in enumerate(TAGS)}

    def rank(item):
        tags = [op.get("tags", [""])[0] for op in item[1].values() if isinstance(op, dict)]
        return min((order.get(t, len(order)) for t in tags), default=len(order))

    result["paths"] = dict(sorted(result.get("paths", {}).items(), key=rank))
    result["tags"] = TAGS
    return result

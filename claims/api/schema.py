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

"""API keys for machines: `Authorization: Api-Key <key>`; the key acts as its user."""

from __future__ import annotations

from rest_framework import authentication, exceptions, permissions

from claims.models import APIKey

from . import schema  # noqa: F401 (registers the OpenAPI description of API keys)


class APIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        key = header[len(self.keyword) + 1 :].strip()
        try:
            api_key = APIKey.objects.get_from_key(key)
        except APIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key; ask an editor for a new one.") from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired; ask an editor for a new one.")
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("The API key's user is inactive.")
        return api_key.user, api_key

    def authenticate_header(self, request):
        return self.keyword


class WriteScopeForUnsafeMethods(permissions.BasePermission):
    """Read keys read; only write keys (or a logged-in person) change things."""

    message = "This API key is read-only; writing needs a key with the write scope."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        key = request.auth
        return not isinstance(key, APIKey) or key.scope == APIKey.Scope.WRITE

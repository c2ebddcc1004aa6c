"""The public base URL that links to published fact-checks start with.

In production ``SITE_URL`` is required (settings refuse to start without it)
and is the only source: a request's Host header never decides a public link.
In debug with ``SITE_URL`` unset, links follow the server the developer is
looking at: ``RequestSiteURLMiddleware`` remembers the address each request
came to (for the request's own thread or task), and work done outside a
request (tasks, commands) uses ``DEBUG_SITE_URL``, http://127.0.0.1:$PORT.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings

_request_base: ContextVar[str | None] = ContextVar("site_url_request_base", default=None)


def site_url() -> str:
    """The base URL of public links, without a trailing slash."""
    if settings.SITE_URL:
        return settings.SITE_URL
    return _request_base.get() or settings.DEBUG_SITE_URL


def fact_check_url(slug: str) -> str:
    """Where the published fact-check with this slug lives ('' before its first publication)."""
    return f"{site_url()}/fact-checks/{slug}/" if slug else ""


class RequestSiteURLMiddleware:
    """In debug without SITE_URL, public links built during a request use the
    address it came to (its scheme and Host, already checked against ALLOWED_HOSTS)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SITE_URL:
            return self.get_response(request)
        token = _request_base.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(token)

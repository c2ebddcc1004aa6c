"""The public site: fact-checks, methodology, corrections log and feed.

Every page reads through ``claims.publishing.record`` (published fact-checks only);
templates autoescape everything the desk or a claimant wrote.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models.functions import Lower
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language_info
from django.views.decorators.http import require_safe

from claims.models import Claim, RatingScale, Verdict
from claims.publishing import claimreview
from claims.publishing.filters import FactCheckFilter
from claims.publishing.record import fact_check, published_fact_checks
from claims.siteurl import fact_check_url, site_url


def published_languages() -> list[tuple[str, str]]:
    """(code, name) of the languages published fact-checks are in, by name: the language filter's choices."""
    codes = (
        Verdict.objects.published().exclude(language="").order_by().values_list(Lower("language"), flat=True).distinct()
    )
    return sorted(((code, language_name(code)) for code in codes), key=lambda choice: choice[1])


def language_name(code: str) -> str:
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code


@require_safe
def fact_check_list(request):
    rating = request.GET.get("rating", "").strip()
    language = request.GET.get("language", "").strip()
    query = request.GET.get("q", "").strip()
    # The same filters as the public API, so the page and the API agree.
    verdicts = FactCheckFilter(
        {"rating": rating, "language": language, "q": query},
        queryset=published_fact_checks().order_by("-published_at", "-pk"),
    ).qs
    page = Paginator(verdicts, 20).get_page(request.GET.get("page"))
    scale = RatingScale.objects.filter(is_default=True).prefetch_related("ratings").first()
    return render(
        request,
        "claims/fact_check_list.html",
        {
            "page": page,
            "items": [fact_check(v) for v in page.object_list],
            "ratings": [r.label for r in scale.ratings.all()] if scale else [],
            "languages": published_languages(),
            "rating": rating,
            "language": language,
            "q": query,
        },
    )


@require_safe
def fact_check_detail(request, slug):
    if "\x00" in slug:
        # PostgreSQL refuses NUL in a text parameter; no slug holds one.
        raise Http404("No published fact-check at this address.")
    claim = get_object_or_404(Claim, slug=slug)
    verdict = published_fact_checks().filter(claim=claim).first()
    if verdict is None:
        retracted = claim.verdicts.filter(status=Verdict.Status.RETRACTED).order_by("-revision").first()
        if retracted is None:
            raise Http404("No published fact-check at this address.")
        return render(request, "claims/fact_check_retracted.html", {"claim": claim, "verdict": retracted}, status=410)
    return render(
        request,
        "claims/fact_check_detail.html",
        {"item": fact_check(verdict), "claimreview": claimreview.claimreview(verdict), "language": verdict.language},
    )


@require_safe
def favicon(request):
    """/favicon.ico, which browsers ask for on every page (the admin's too): the static file.
    Not a permanent redirect: the static file's name changes with its content."""
    return HttpResponseRedirect(static("claims/favicon.ico"))


@require_safe
def methodology(request):
    scale = RatingScale.objects.filter(is_default=True).prefetch_related("ratings").first()
    return render(
        request,
        "claims/methodology.html",
        {
            "scale": scale,
            "ratings": [r for r in scale.ratings.all() if not r.retired] if scale else [],
            "min_sources": settings.FACTCHECK_MIN_INDEPENDENT_SOURCES,
        },
    )


def public_corrections():
    """Corrections (revisions after the first, with their note) and retractions, newest first."""
    entries = []
    corrected = Verdict.objects.filter(revision__gt=1, published_at__isnull=False).exclude(correction_note="")
    for v in corrected.select_related("claim").order_by("-published_at")[:200]:
        if v.claim.slug:
            entries.append(
                {
                    "kind": "correction",
                    "when": v.published_at,
                    "claim": v.claim,
                    "text": v.claim_text,
                    "note": v.correction_note,
                }
            )
    for v in (
        Verdict.objects.filter(status=Verdict.Status.RETRACTED).select_related("claim").order_by("-retracted_at")[:200]
    ):
        if v.claim.slug:
            entries.append(
                {
                    "kind": "retraction",
                    "when": v.retracted_at,
                    "claim": v.claim,
                    "text": v.claim_text,
                    "note": v.retraction_reason,
                }
            )
    return sorted(entries, key=lambda e: e["when"], reverse=True)


@require_safe
def corrections(request):
    return render(request, "claims/corrections.html", {"entries": public_corrections()})


# Characters XML 1.0 cannot carry at all; Django's feed writer refuses them
# (UnserializableContentError), which would take the whole feed down.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _feed_text(value: str) -> str:
    return _XML_INVALID.sub("", value)


class PlainTextAtom1Feed(Atom1Feed):
    """Atom whose entry summaries are plain text.

    Django writes ``<summary type="html">``: a reader unescapes it once and
    renders what the desk or a claimant typed as markup. As ``type="text"``
    (RFC 4287, 3.1.1) the reader shows it as typed; titles carry no ``type``
    and so are text already.
    """

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class FactCheckFeed(Feed):
    """New and corrected fact-checks, as Atom."""

    feed_type = PlainTextAtom1Feed
    title = "Fact-checks"
    description = "New and corrected fact-checks."

    # Absolute, from claims.siteurl: Django would otherwise put the request's Host in front.
    def link(self):
        return f"{site_url()}/fact-checks/"

    def feed_url(self):
        return f"{site_url()}/fact-checks/feed/"

    def items(self):
        return published_fact_checks().order_by("-published_at", "-pk")[:50]

    def item_title(self, verdict):
        title = f"{verdict.headline}: {verdict.rating.label}"
        return _feed_text(f"Corrected: {title}" if verdict.revision > 1 else title)

    def item_description(self, verdict):
        return _feed_text(verdict.summary)

    def item_link(self, verdict):
        return fact_check_url(verdict.claim.slug)

    def item_guid(self, verdict):
        return f"{fact_check_url(verdict.claim.slug)}#revision-{verdict.revision}"

    def item_pubdate(self, verdict):
        return verdict.published_at

    def item_updateddate(self, verdict):
        return verdict.published_at

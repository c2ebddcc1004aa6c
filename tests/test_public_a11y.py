"""The public pages in a real browser (issue 15, part 8): axe-core finds no serious or
critical accessibility violation, the skip link appears only when focused, and the
API docs load nothing from another host.

Headless Chromium (Debian's) driven by Playwright against pytest-django's live
server, launched as tests/test_e2e_admin_workflow.py does. axe-core is the
vendored copy (tests/vendor/axe.min.js), injected into each page; the browser
context bypasses the Content-Security-Policy for that injection only.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import transaction

from claims.models import Claim
from claims.review import editing, workflow

from .factories import ClaimantFactory, ClaimFactory, add_evidence, add_independent_evidence, advance, archive
from .test_e2e_admin_workflow import TIMEOUT_MS, chromium

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def public_site(live_server, editor, reviewer, default_scale):
    """Two published fact-checks, one in Arabic, one corrected and citing a source without its archive."""
    # In one transaction, as `demo` does: the snapshot tasks queued for its commit find the
    # archived sources done (the live server's tests commit, and tests never fetch the internet).
    with transaction.atomic():
        english = ClaimFactory(text="Unemployment fell by 3 percent.", claimant=ClaimantFactory(name="The mayor"))
        unarchived, archived = add_evidence(
            english,
            ("https://stats.example.org/unemployment", "refutes"),
            ("https://www.reuters.com/world/unemployment", "supports"),
            archived=False,
        )
        archive(archived)
        editing.override_archive(unarchived.pk, by=editor, reason="The statistics office refuses automated copies.")
        arabic = ClaimFactory(text="انخفضت البطالة بنسبة 3 في المئة.", language="ar")
        add_independent_evidence(arabic)
    english = advance(english, Claim.Status.PUBLISHED, editor, reviewer)
    arabic = advance(arabic, Claim.Status.PUBLISHED, editor, reviewer)
    # A correction, for the corrections log.
    workflow.correct(english.pk, by=editor, note="The year was wrong.")
    editing.save_draft(english.pk, by=reviewer, changes={"correction_note": "We corrected the year."})
    workflow.submit(english.pk, by=reviewer)
    workflow.approve(english.pk, by=editor)
    return live_server.url, english, arabic


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def test_public_pages_have_no_serious_accessibility_violation(public_site):
    base, english, arabic = public_site
    pages = [
        "/fact-checks/",
        "/fact-checks/?language=ar",
        f"/fact-checks/{english.slug}/",
        f"/fact-checks/{arabic.slug}/",
        "/methodology/",
        "/corrections/",
    ]
    found = {}
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        for path in pages:
            response = page.goto(base + path)
            assert response.status == 200, path
            found[path] = axe_violations(page)
    assert found == dict.fromkeys(pages, []), found


def test_skip_link_appears_only_when_focused(public_site):
    base, english, _ = public_site
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/fact-checks/{english.slug}/")
        skip = page.locator("a.skip")
        hidden = skip.bounding_box()
        assert hidden is None or hidden["x"] + hidden["width"] <= 0 or hidden["width"] <= 1
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        shown = skip.bounding_box()
        assert shown["x"] >= 0 and shown["y"] >= 0 and shown["width"] > 50 and shown["height"] > 10
        page.keyboard.press("Enter")
        assert page.url.endswith("#content")
        assert page.locator(".not-archived").inner_text() == (
            "not archived: The statistics office refuses automated copies."
        )


def test_api_docs_load_every_asset_from_this_server(live_server):
    own = urlsplit(live_server.url).netloc
    requested: list[str] = []
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{live_server.url}/api/docs/")
        # Redoc has rendered the grouped operations.
        page.locator("li[data-item-id^='tag/']").first.wait_for()
        page.wait_for_load_state("networkidle")
        # The side menu's groups (operations are items under "tag/<name>/operation/...").
        tags = page.evaluate(
            """() => [...document.querySelectorAll("li[data-item-id^='tag/']")]
                .filter((li) => !li.dataset.itemId.includes("/operation/"))
                .map((li) => li.querySelector("label").innerText)"""
        )
    elsewhere = [url for url in requested if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own]
    assert elsewhere == []
    assert [t.strip() for t in tags] == [
        "Public fact-checks",
        "Matching",
        "Internal: claims",
        "Internal: articles",
        "Internal: transitions",
    ]

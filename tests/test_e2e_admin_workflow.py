"""A claim from candidate to published in a real browser, through the admin pages.

Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright logs in
as an editor and as a reviewer against pytest-django's live server. All ORM work
happens outside the ``sync_playwright()`` block: Playwright runs an event loop
in this thread while it is open, and Django refuses ORM calls under a running loop.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from claims.models import Claim, Rating, ReviewEvent, Verdict
from claims.review.roles import EDITORS, REVIEWERS
from tools.browser import CHROMIUM, CHROMIUM_ARGS

from .factories import ClaimFactory, UserFactory, advance

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install -r requirements-dev.txt)"
)
expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

# Fail a step in seconds rather than Playwright's default 30 s.
TIMEOUT_MS = 10_000
# A fixed, well-known path so that a person can look at the published page after a run.
SCREENSHOT = Path("/tmp/e2e-published.png")  # noqa: S108

EDITOR_PASSWORD = "editor-e2e-pass"
REVIEWER_PASSWORD = "reviewer-e2e-pass"


@pytest.fixture
def desk(roles, default_scale):
    """An editor and a reviewer who log in with a password, as a person would."""
    editor = UserFactory(username="editor", password=EDITOR_PASSWORD)
    editor.groups.add(roles[EDITORS])
    reviewer = UserFactory(username="reviewer", password=REVIEWER_PASSWORD)
    reviewer.groups.add(roles[REVIEWERS])
    return editor, reviewer


@contextmanager
def chromium() -> Iterator:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(browser, base_url: str, username: str, password: str):
    """A page in a fresh browser context (its own cookies), logged in to the admin."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)
    return page


def watch_console(page) -> list[str]:
    """The console errors and uncaught exceptions of ``page`` from now on.

    Chromium reports every Content-Security-Policy violation as a console
    error ("... violates the following Content Security Policy directive ...").
    """
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def csp_violations(errors: list[str]) -> list[str]:
    return [e for e in errors if "Content Security Policy" in e]


def click_transition(page, action: str) -> None:
    page.locator(f'form[data-action="{action}"] input[type=submit]').click()


def expect_success(page, text: str) -> None:
    expect(page.locator("ul.messagelist li.success")).to_contain_text(text)
    expect(page.locator("ul.messagelist li.error")).to_have_count(0)


def add_evidence(page, index: int, *, url: str, stance: str, title: str, publisher: str) -> None:
    page.get_by_text("Add another Evidence", exact=True).click()
    prefix = f"evidence-{index}"
    page.fill(f'[name="{prefix}-url"]', url)
    page.select_option(f'[name="{prefix}-stance"]', label=stance)
    page.select_option(f'[name="{prefix}-source_type"]', label="Dataset")
    page.fill(f'[name="{prefix}-title"]', title)
    page.fill(f'[name="{prefix}-publisher"]', publisher)


@pytest.mark.django_db(transaction=True)
def test_editor_and_reviewer_take_a_claim_from_candidate_to_published(live_server, desk):
    editor, reviewer = desk
    claim = ClaimFactory(text="Unemployment fell by 3 percent in 2025.")
    rating = Rating.objects.get(scale__is_default=True, label="False")
    base = live_server.url
    change_url = f"{base}/admin/claims/claim/{claim.pk}/change/"
    consoles = []

    with chromium() as browser:
        # 1. The editor triages and assigns.
        page = log_in(browser, base, "editor", EDITOR_PASSWORD)
        consoles.append(watch_console(page))
        page.goto(change_url)
        click_transition(page, "accept")
        expect_success(page, f"Accept: claim #{claim.pk} is now accepted.")
        page.select_option("#id_assign-assignee", label="reviewer")
        click_transition(page, "assign")
        expect_success(page, f"Assign: claim #{claim.pk} is now assigned.")
        page.context.close()

        # 2. The reviewer researches, writes the draft and submits it.
        page = log_in(browser, base, "reviewer", REVIEWER_PASSWORD)
        consoles.append(watch_console(page))
        page.goto(change_url)
        click_transition(page, "start_research")
        expect_success(page, f"Start research: claim #{claim.pk} is now in research.")
        add_evidence(
            page,
            0,
            url="https://stats.example.org/unemployment-2025",
            stance="Refutes",
            title="Labour force survey 2025",
            publisher="Statistics Office",
        )
        add_evidence(
            page,
            1,
            url="https://www.reuters.com/world/unemployment-figures",
            stance="Adds context",
            title="Unemployment figures explained",
            publisher="Reuters",
        )
        page.get_by_text("Add another Verdict draft", exact=True).click()
        page.select_option('[name="verdicts-0-rating"]', value=str(rating.pk))
        page.fill('[name="verdicts-0-headline"]', "Unemployment fell by 1 percent, not 3")
        page.fill('[name="verdicts-0-summary"]', "The statistics office's series shows a fall of 1.1 percent.")
        page.fill('[name="verdicts-0-explanation"]', "The labour force survey for 2025 puts the fall at 1.1 percent.")
        page.click('input[name="_continue"]')
        expect_success(page, "was changed successfully")
        click_transition(page, "submit")
        expect_success(page, f"Submit for review: claim #{claim.pk} is now in review.")
        page.context.close()

        # 3. The editor reads the right-of-reply record and publishes.
        page = log_in(browser, base, "editor", EDITOR_PASSWORD)
        consoles.append(watch_console(page))
        page.goto(change_url)
        panel = page.locator(".workflow-panel")
        expect(panel.get_by_role("heading", name="Right of reply")).to_be_visible()
        expect(panel).to_contain_text("The claimant has not been contacted for a reply.")
        expect(page.locator("#contacts-group")).to_be_visible()
        expect(page.locator("#id_approve-publish_at")).to_have_value("")
        # The sources could not be archived (this network reaches no outside site):
        # approval waits until the editor cites each without its archive, with the reason.
        click_transition(page, "approve")
        expect(page.locator("ul.messagelist li.error")).to_contain_text("is not archived yet")
        for _ in range(2):
            page.get_by_role("link", name="cite without archive…").first.click()
            page.fill("#id_reason", "The site refuses automated copies.")
            page.click("input[type=submit][value=Save]")
            expect_success(page, "cited without its archive")
        expect(page.locator("#id_approve-publish_at")).to_have_value("")
        click_transition(page, "approve")
        expect_success(page, f"Approve and publish: claim #{claim.pk} is now published.")
        expect(page.locator("#workflow-heading")).to_contain_text("Workflow: Published")
        status = page.get_by_role("group", name="Workflow", exact=True).locator(".fieldBox.field-status .readonly")
        expect(status).to_have_text("Published")
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.context.close()

    # The claim page (inline formsets, workflow forms) runs under the CSP untouched.
    console_errors = [error for errors in consoles for error in errors]
    assert not csp_violations(console_errors), console_errors

    claim.refresh_from_db()
    assert claim.status == Claim.Status.PUBLISHED
    assert claim.assignee == reviewer
    verdict = Verdict.objects.published().get(claim=claim)
    assert (verdict.author, verdict.approver, verdict.rating) == (reviewer, editor, rating)
    assert verdict.headline == "Unemployment fell by 1 percent, not 3"
    assert set(claim.evidence.values_list("added_by__username", flat=True)) == {"reviewer"}
    assert list(
        ReviewEvent.objects.filter(claim=claim).order_by("created_at", "pk").values_list("action", flat=True)
    ) == [
        "claims.claim.accepted",
        "claims.claim.assigned",
        "claims.claim.research_started",
        # Every change to the record the public will read is in the audit trail too.
        "claims.evidence.added",
        "claims.evidence.added",
        "claims.verdict.draft_created",
        "claims.claim.submitted",
        # The editor's decisions to cite the sources without their archive.
        "claims.evidence.archive_overridden",
        "claims.evidence.archive_overridden",
        "claims.verdict.published",
    ]
    assert set(verdict.contributors.values_list("username", flat=True)) == {"reviewer"}


@pytest.mark.django_db(transaction=True)
def test_reviewer_sees_no_accept_button_on_a_candidate(live_server, desk):
    claim = ClaimFactory()
    base = live_server.url

    with chromium() as browser:
        page = log_in(browser, base, "reviewer", REVIEWER_PASSWORD)
        page.goto(f"{base}/admin/claims/claim/{claim.pk}/change/")
        expect(page.locator("#workflow-heading")).to_contain_text("Workflow: Candidate")
        expect(page.locator('form[data-action="accept"]')).to_have_count(0)
        expect(page.locator(".workflow-panel")).to_contain_text("No workflow action is open to you")


@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_content_security_policy(live_server, desk):
    """The public pages, the API docs and the admin load with no CSP violation and no script error."""
    editor, reviewer = desk
    claim = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    base = live_server.url
    public = ["/fact-checks/", f"/fact-checks/{claim.slug}/", "/methodology/", "/corrections/", "/api/v1/fact-checks/"]
    admin = [
        "/admin/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{claim.pk}/change/",
        "/admin/claims/claim/add/",
        "/admin/dashboard/",
    ]

    with chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(TIMEOUT_MS)
        public_errors = watch_console(page)
        for path in public:
            page.goto(base + path)
        # Redoc renders the schema (its generated styles carry the nonce) and searches it in a worker.
        page.goto(f"{base}/api/docs/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Fact-check desk API")
        page.get_by_placeholder("Search...").fill("fact-checks")
        expect(page.get_by_role("search").get_by_role("menuitem").first).to_be_visible()
        page.goto(f"{base}/admin/login/")
        page.context.close()

        page = log_in(browser, base, "editor", EDITOR_PASSWORD)
        admin_errors = watch_console(page)
        for path in admin:
            page.goto(base + path)
        page.context.close()

    # Redoc shows Redocly's logo from its CDN, which img-src refuses; the logo then hides itself.
    public_errors = [e for e in public_errors if "https://cdn.redoc.ly/" not in e]
    assert csp_violations(public_errors) == []
    assert csp_violations(admin_errors) == []
    assert [e for e in public_errors + admin_errors if e.startswith("uncaught:")] == []

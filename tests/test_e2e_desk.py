"""The desk workspace in a real browser: the triage list's layout at laptop and desktop widths,
axe-core's accessibility rules on the desk's pages, and the one-step accept-and-assign flow.

Debian's Chromium (/usr/bin/chromium) under Playwright against pytest-django's live
server, on the demo data plus 200 generated claims. Layout is asserted on element
boxes and scroll sizes, never on pixels of a screenshot. ORM work happens outside the
``sync_playwright()`` block (see tests/test_e2e_admin_workflow.py).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from claims.models import Article, Claim, Claimant
from claims.review import workflow
from claims.review.roles import EDITORS, REVIEWERS

from .factories import ArticleFactory, ClaimFactory, advance, member_of
from .test_e2e_admin_workflow import CHROMIUM, TIMEOUT_MS, chromium, sync_api

expect = sync_api.expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DEMO_PASSWORDS = {"editor": "demo-editor-pass", "reviewer": "demo-reviewer-pass", "admin": "demo-admin-pass"}
VIEWPORTS = [(1366, 768), (1920, 1080)]

WORDS = (
    "the minister said unemployment fell by three percent across every region while wages rose faster than "
    "prices and the deficit shrank for the first time since the pandemic according to figures released"
).split()
LONG_NAMES = [
    "Ministry of Labour, Social Affairs and Family",
    "Dr. Anna-Katharina Müller-Lüdenscheidt",
    "عبد الرحمن بن عبد العزيز",
    "Spokesperson for the Opposition",
]


def generate_claims(n: int, editor, reviewers) -> None:
    """n claims of every length and status the queues show, with long claimant names and article titles."""
    rng = random.Random(15)  # noqa: S311 -- test data, not secrets
    claimants = [Claimant.objects.get_or_create(name=name, kind="person")[0] for name in LONG_NAMES]
    articles = [
        ArticleFactory(title=f"Budget {i}: what the government's new fiscal framework means for pensions and wages")
        for i in range(5)
    ]
    for i in range(n):
        length = rng.choice([4, 12, 30, 60])
        text = " ".join(rng.choice(WORDS) for _ in range(length)).capitalize() + "."
        claim = ClaimFactory(
            text=f"{text} ({i})",
            claimant=rng.choice(claimants),
            checkworthiness=round(rng.random(), 3),
        )
        if i < len(articles):
            Claim.objects.filter(pk=claim.pk).update(article=articles[i])
        if i % 5 == 0:
            workflow.accept_and_assign(claim.pk, by=editor, assignee=rng.choice(reviewers))


@pytest.fixture
def demo_desk(settings, transactional_db):
    settings.DEBUG = True
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123 -- silence its login list
    settings.DEBUG = False
    from django.contrib.auth import get_user_model

    User = get_user_model()  # noqa: N806
    editor = User.objects.get(username="editor")
    reviewer = User.objects.get(username="reviewer")
    second = member_of(REVIEWERS, "m.al-rashid.fact-desk")
    generate_claims(200, editor, [reviewer, second])
    return editor, reviewer


def log_in(browser, base: str, username: str, password: str, viewport=(1366, 768), *, bypass_csp: bool = False):
    page = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=bypass_csp).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)
    return page


LAYOUT = """() => {
  const table = document.querySelector('#result_list');
  const title = document.querySelector('#content h1').textContent.trim();
  if (!table) return {rows: 0, title};
  const results = table.closest('.results');
  const box = (el) => el.getBoundingClientRect();
  const widths = {};
  for (const th of table.querySelectorAll('thead th')) {
    const name = [...th.classList].find((c) => c.startsWith('column-'));
    if (name) widths[name.slice(7)] = box(th).width;
  }
  const clipped = [];
  for (const td of table.querySelectorAll('td.field-claimant, td.field-assignee')) {
    const b = box(td), t = box(table);
    if (td.scrollWidth > td.clientWidth + 1 || b.right > t.right + 1 || b.left < t.left - 1) {
      clipped.push(td.className + ': ' + td.textContent.trim());
    }
  }
  return {
    widths, table: box(table).width, rows: table.querySelectorAll('tbody tr').length, clipped,
    pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    tableOverflow: results.scrollWidth - results.clientWidth,
    title,
  };
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_triage_queue_gives_the_claim_the_widest_column_with_no_sideways_scroll(live_server, demo_desk, viewport):
    candidates = Claim.objects.filter(status=Claim.Status.CANDIDATE).count()
    assert candidates >= 150
    with chromium() as browser:
        page = log_in(browser, live_server.url, "editor", DEMO_PASSWORDS["editor"], viewport)
        layouts = {}
        for queue in ("triage", "", "approval"):
            page.goto(f"{live_server.url}/admin/claims/claim/?queue={queue}")
            layouts[queue] = page.evaluate(LAYOUT)
        page.context.close()
        page = log_in(browser, live_server.url, "reviewer", DEMO_PASSWORDS["reviewer"], viewport)
        page.goto(f"{live_server.url}/admin/claims/claim/?queue=mine")
        layouts["mine"] = page.evaluate(LAYOUT)
        page.context.close()

    assert layouts["triage"]["title"] == f"Triage queue · {candidates} candidates"
    for name, layout in layouts.items():
        if not layout["rows"]:
            continue
        widths = layout["widths"]
        widest = max(widths, key=widths.get)
        assert widest == "short_text", (name, widths)
        assert widths["short_text"] >= 0.35 * layout["table"], (name, widths, layout["table"])
        assert layout["pageOverflow"] <= 0, (name, layout)
        assert layout["tableOverflow"] <= 0, (name, layout)
        assert layout["clipped"] == [], (name, layout["clipped"])


# --- Accessibility -------------------------------------------------------------------------

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
}"""


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate(AXE_RUN)


@pytest.mark.skipif(not AXE.exists(), reason="tests/vendor/axe.min.js is missing")
def test_desk_pages_have_no_serious_or_critical_accessibility_violations(live_server, demo_desk):
    editor, reviewer = demo_desk
    candidate = Claim.objects.filter(status=Claim.Status.CANDIDATE).order_by("pk").first()
    # Nothing drafted, no source: the header lists its blockers, whose colours axe checks for contrast.
    blocked = advance(ClaimFactory(text="Rents doubled."), Claim.Status.IN_RESEARCH, editor, reviewer)
    in_review = advance(ClaimFactory(text="Wages rose by 7 percent."), Claim.Status.IN_REVIEW, editor, reviewer)
    published = advance(ClaimFactory(text="Exports doubled."), Claim.Status.PUBLISHED, editor, reviewer)
    article = Article.objects.order_by("pk").first()
    base = live_server.url
    pages = {
        "admin home": "/admin/",
        "triage queue": "/admin/claims/claim/?queue=triage",
        "claim page (candidate)": f"/admin/claims/claim/{candidate.pk}/change/",
        "claim page (in research, blocked)": f"/admin/claims/claim/{blocked.pk}/change/",
        "claim page (in review)": f"/admin/claims/claim/{in_review.pk}/change/",
        "claim page (published)": f"/admin/claims/claim/{published.pk}/change/",
        "article page": f"/admin/claims/article/{article.pk}/change/",
        "dashboard": "/admin/dashboard/",
    }
    found = {}
    with chromium() as browser:
        # axe is injected as an inline script, which the site's CSP rightly refuses: this context lets it in.
        anonymous = browser.new_context(bypass_csp=True).new_page()
        anonymous.goto(f"{base}/admin/login/")
        found["login"] = axe_violations(anonymous)
        anonymous.context.close()
        page = log_in(browser, base, "editor", DEMO_PASSWORDS["editor"], bypass_csp=True)
        for name, path in pages.items():
            page.goto(base + path)
            if "blocked" in name:
                # No draft; publishers; stance; the demo checklist's required task.
                expect(page.locator(".desk-blockers li")).to_have_count(4)
            found[name] = axe_violations(page)
        page.context.close()

    problems = {name: v for name, v in found.items() if v}
    assert problems == {}, json.dumps(problems, indent=1)


# --- The flow ----------------------------------------------------------------------------------

PASSWORD = "desk-e2e-pass"


@pytest.fixture
def people(roles, default_scale, transactional_db):
    editor = member_of(EDITORS, "editor", password=PASSWORD)
    second_editor = member_of(EDITORS, "editor2", password=PASSWORD)
    reviewer = member_of(REVIEWERS, "reviewer", password=PASSWORD)
    member_of(REVIEWERS, "reviewer2", password=PASSWORD)
    return editor, second_editor, reviewer


def test_accept_and_assign_in_one_action_the_note_on_top_a_conflict_keeps_the_note_and_view_on_site(
    live_server, people
):
    editor, second_editor, reviewer = people
    claim = ClaimFactory(text="Unemployment fell by 3 percent in 2025.")
    published = advance(ClaimFactory(text="Exports doubled in 2025."), Claim.Status.PUBLISHED, editor, reviewer)
    headline = published.verdicts.get().headline
    base = live_server.url
    change_url = f"{base}/admin/claims/claim/{claim.pk}/change/"
    note = "Start from the statistics office's table, not the press release."
    typed = "Reviewer2 knows the labour data; hand it over, please."

    with chromium() as browser:
        # 1. One action: accept and assign, with a note for the reviewer.
        page = log_in(browser, base, "editor", PASSWORD)
        page.goto(change_url)
        form = page.locator('form[data-action="accept_and_assign"]')
        expect(form.locator("input[type=submit]")).to_have_class("button default")
        form.locator("select").select_option(label="reviewer")
        form.locator("textarea").fill(note)
        form.locator("input[type=submit]").click()
        expect(page.locator("ul.messagelist li.success")).to_contain_text(
            f"Accept and assign: claim #{claim.pk} is now assigned."
        )

        # 2. The reviewer finds the editor's note at the top of the claim.
        reviewer_page = log_in(browser, base, "reviewer", PASSWORD)
        reviewer_page.goto(change_url)
        top_note = reviewer_page.locator(".workflow-panel .desk-note")
        expect(top_note).to_contain_text(note)
        expect(top_note).to_contain_text("from editor")
        expect(reviewer_page.locator("#events-group")).to_contain_text("Accepted and assigned to reviewer by editor")
        reviewer_page.context.close()

        # 3. A stale page: the editor types a handover note while another editor reassigns first.
        page.goto(change_url)
        reassign = page.locator('form[data-action="reassign"]')
        reassign.locator("select").select_option(label="reviewer2")
        reassign.locator("textarea").fill(typed)
        other = log_in(browser, base, "editor2", PASSWORD)
        other.goto(change_url)
        other_form = other.locator('form[data-action="reassign"]')
        other_form.locator("select").select_option(label="reviewer2")
        other_form.locator("input[type=submit]").click()
        expect(other.locator("ul.messagelist li.success")).to_contain_text("is now assigned")
        other.context.close()
        reassign.locator("input[type=submit]").click()
        expect(page.locator("ul.messagelist li.error")).to_contain_text("changed since you loaded it")
        expect(page.locator('form[data-action="reassign"] textarea')).to_have_value(typed)

        # 4. "View on site" on a published claim reaches its public fact-check.
        page.goto(f"{base}/admin/claims/claim/{published.pk}/change/")
        page.get_by_role("link", name="View on site").click()
        page.wait_for_url(f"{base}/fact-checks/{published.slug}/")
        expect(page.locator("body")).to_contain_text(headline)
        page.context.close()

    claim.refresh_from_db()
    events = list(claim.events.order_by("pk").values_list("action", "actor_username"))
    assert events == [("claims.claim.accepted_and_assigned", "editor"), ("claims.claim.reassigned", "editor2")]
    assert claim.assignee.username == "reviewer2"

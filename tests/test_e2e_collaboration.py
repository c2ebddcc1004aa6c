"""In a real browser: the reviewer sees the unread badge after an assignment and opens the claim from it."""

from __future__ import annotations

import pytest

from claims.models import Claim, Notification
from claims.review import workflow

from .factories import ClaimFactory
from .test_e2e_admin_workflow import (  # noqa: F401 (desk is a fixture)
    EDITOR_PASSWORD,
    REVIEWER_PASSWORD,
    chromium,
    click_transition,
    csp_violations,
    desk,
    expect,
    expect_success,
    log_in,
    watch_console,
)
from .test_e2e_admin_workflow import pytestmark as e2e_marks

# The same marks: e2e, and skipped with its reason where there is no Chromium.
pytestmark = e2e_marks


@pytest.mark.django_db(transaction=True)
def test_reviewer_gets_the_badge_after_assignment_and_opens_the_claim_from_it(live_server, desk):  # noqa: F811
    editor, reviewer = desk
    claim = ClaimFactory(text="Bread prices doubled in a year.")
    workflow.accept(claim.pk, by=editor)
    base = live_server.url
    change_url = f"{base}/admin/claims/claim/{claim.pk}/change/"

    with chromium() as browser:
        page = log_in(browser, base, "reviewer", REVIEWER_PASSWORD)
        errors = watch_console(page)
        expect(page.locator("#notification-badge .badge")).to_have_text("0")

        editor_page = log_in(browser, base, "editor", EDITOR_PASSWORD)
        editor_page.goto(change_url)
        editor_page.select_option("#id_assign-assignee", label="reviewer")
        click_transition(editor_page, "assign")
        expect_success(editor_page, f"Assign: claim #{claim.pk} is now assigned.")

        page.reload()
        badge = page.locator("#notification-badge")
        expect(badge.locator(".badge.unread")).to_have_text("1")
        badge.click()
        row = page.locator("#notification-list tr.unread")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Assigned to you")
        row.locator("a.open-notification").click()
        page.wait_for_url(change_url)
        expect(page.locator("#workflow-heading")).to_contain_text("Assigned")
        expect(page.locator("#notification-badge .badge")).to_have_text("0")
        assert csp_violations(errors) == []

    claim.refresh_from_db()
    assert claim.status == Claim.Status.ASSIGNED
    assert Notification.objects.get(recipient=reviewer).read_at is not None

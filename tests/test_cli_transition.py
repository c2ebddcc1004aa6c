"""`manage.py transition`: the workflow from a shell, with the workflow's own checks
and messages, one line out, and an exit status a script can test."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from claims.models import Claim, Verdict
from claims.review import workflow
from claims.review.roles import REVIEWERS

from .factories import ClaimFactory, advance, member_of
from .workers import ROOT, database_url_for_this_test_database

S = Claim.Status


@pytest.fixture
def manage(settings, transactional_db):
    """Run manage.py in a subprocess against this test's database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_for_this_test_database(),
        # Silence the start-up warning about running without a broker, so
        # stderr holds only what the command says.
        "DJANGO_LOG_LEVEL": "ERROR",
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run


def transition(*args, **options) -> str:
    out = StringIO()
    call_command("transition", *[str(a) for a in args], stdout=out, **options)
    return out.getvalue()


# --- Through a real shell command ---------------------------------------------


def test_transition_prints_one_line_and_exits_0(manage, editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), S.IN_REVIEW, editor, reviewer)

    result = manage("transition", str(claim.pk), "approve", "--as", "editor", "--note", "Well sourced.")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"claim #{claim.pk}: in review -> published (version {claim.version + 1})\n"
    assert result.stderr == ""
    claim.refresh_from_db()
    assert claim.status == S.PUBLISHED
    assert claim.events.latest("pk").note == "Well sourced."


def test_transition_from_the_wrong_status_fails_with_one_line_on_stderr(manage, editor):
    claim = ClaimFactory()

    result = manage("transition", str(claim.pk), "approve", "--as", "editor")

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"CommandError: Cannot approve and publish claim #{claim.pk}: it is candidate, "
        "and this action applies only to claims that are in review."
    ]
    assert Claim.objects.get(pk=claim.pk).version == claim.version


def test_reviewer_accepting_a_claim_fails(manage, reviewer):
    claim = ClaimFactory()

    result = manage("transition", str(claim.pk), "accept", "--as", "reviewer")

    assert result.returncode != 0
    assert result.stderr.splitlines() == ["CommandError: reviewer may not accept: it needs the Editors role."]
    assert Claim.objects.get(pk=claim.pk).status == S.CANDIDATE


def test_stale_expected_version_fails_and_says_the_claim_changed(manage, editor, reviewer):
    claim = ClaimFactory()
    workflow.accept(claim.pk, by=editor)

    result = manage(
        "transition", str(claim.pk), "assign", "--as", "editor", "--assignee", "reviewer", "--expected-version", "1"
    )

    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1
    assert "changed since you loaded it" in result.stderr
    assert Claim.objects.get(pk=claim.pk).version == 2


def test_help_lists_every_action_with_its_help_text(manage):
    result = manage("transition", "--help")

    assert result.returncode == 0
    for action, function in workflow.FUNCTIONS.items():
        assert function.__name__ == action
        assert f"  {action}  " in result.stdout
        assert workflow.TRANSITIONS[action].help in result.stdout
    assert "publish_scheduled" not in result.stdout


# --- In process ---------------------------------------------------------------


@pytest.mark.django_db
def test_assign_by_username(editor, reviewer):
    claim = ClaimFactory()
    workflow.accept(claim.pk, by=editor)

    output = transition(claim.pk, "assign", "--as", "editor", "--assignee", "reviewer", "--expected-version", 2)

    assert output == f"claim #{claim.pk}: accepted -> assigned (version 3)\n"
    assert Claim.objects.get(pk=claim.pk).assignee == reviewer


@pytest.mark.django_db
def test_assignee_is_a_username_even_when_it_is_all_digits(editor, roles):
    numeric = member_of(REVIEWERS, "2024")
    claim = ClaimFactory()
    workflow.accept(claim.pk, by=editor)

    transition(claim.pk, "assign", "--as", "editor", "--assignee", "2024")

    assert Claim.objects.get(pk=claim.pk).assignee == numeric


@pytest.mark.django_db
def test_unknown_assignee_is_refused(editor):
    claim = ClaimFactory()
    workflow.accept(claim.pk, by=editor)

    with pytest.raises(CommandError, match="No user 'nobody'"):
        transition(claim.pk, "assign", "--as", "editor", "--assignee", "nobody")


@pytest.mark.django_db
def test_mark_duplicate_points_at_the_claim_given(editor):
    canonical, claim = ClaimFactory(), ClaimFactory()

    output = transition(claim.pk, "mark_duplicate", "--as", "editor", "--duplicate-of", canonical.pk)

    assert output == f"claim #{claim.pk}: candidate -> duplicate (version 2)\n"
    assert Claim.objects.get(pk=claim.pk).duplicate_of == canonical


@pytest.mark.django_db
def test_approve_with_publish_at_schedules_the_claim(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), S.IN_REVIEW, editor, reviewer)
    publish_at = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)

    output = transition(claim.pk, "approve", "--as", "editor", "--publish-at", publish_at.isoformat())

    assert output == f"claim #{claim.pk}: in review -> approved, scheduled (version {claim.version + 1})\n"
    assert claim.verdicts.get().publish_at == publish_at
    assert not Verdict.objects.published().exists()


@pytest.mark.django_db
def test_publish_at_without_a_time_zone_is_refused(editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), S.IN_REVIEW, editor, reviewer)

    with pytest.raises(CommandError, match="has no time zone"):
        transition(claim.pk, "approve", "--as", "editor", "--publish-at", "2030-01-01T09:00")

    assert Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW


@pytest.mark.django_db
def test_publish_at_that_is_not_a_date_is_refused(editor):
    claim = ClaimFactory()

    with pytest.raises(CommandError, match="not an ISO 8601 date"):
        transition(claim.pk, "approve", "--as", "editor", "--publish-at", "next tuesday")


@pytest.mark.django_db
def test_unknown_user_is_refused(roles):
    claim = ClaimFactory()

    with pytest.raises(CommandError, match="No user 'nobody'"):
        transition(claim.pk, "accept", "--as", "nobody")


@pytest.mark.django_db
def test_unknown_claim_is_refused(editor):
    with pytest.raises(CommandError, match="Claim #999999 does not exist"):
        transition(999999, "accept", "--as", "editor")


@pytest.mark.django_db
def test_missing_reason_is_refused_with_the_workflow_message(editor):
    claim = ClaimFactory()

    with pytest.raises(CommandError, match="^Dismiss needs: note.$"):
        transition(claim.pk, "dismiss", "--as", "editor")

    assert Claim.objects.get(pk=claim.pk).status == S.CANDIDATE


@pytest.mark.django_db
def test_scheduler_only_transition_is_not_an_action(editor):
    claim = ClaimFactory()

    with pytest.raises(CommandError, match="invalid choice: 'publish_scheduled'"):
        transition(claim.pk, "publish_scheduled", "--as", "editor")

"""The claim list exported: the admin's "Export this list as CSV" and ``manage.py export_claims``
give the same rows for the same filter; CSV round-trips any text and never carries a live formula."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.models import Claim
from claims.review import export, workflow

from .factories import ClaimantFactory, ClaimFactory

pytestmark = pytest.mark.django_db

S = Claim.Status

AWKWARD_TEXTS = [
    'He said "never", then, "always".',
    "Line one,\nline two;\r\nline three.",
    "البطالة انخفضت بنسبة 3 في المئة في 2025.",
    "Mixed: 40% «de la población» — עברית too.",
    "  leading and trailing spaces  ",
]
FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1"]


def admin_csv(client, **params) -> list[dict]:
    response = client.get(reverse("admin:claims_claim_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-')
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


def command_output(*args) -> str:
    out = io.StringIO()
    call_command("export_claims", *args, stdout=out)
    return out.getvalue()


def command_csv(*args) -> list[dict]:
    return list(csv.DictReader(io.StringIO(command_output(*args), newline="")))


@pytest.fixture
def claims(editor, reviewer):
    ministry = ClaimantFactory(name='Ministry, of "Labour"')
    made = [ClaimFactory(text=text, claimant=ministry) for text in AWKWARD_TEXTS]
    made += [ClaimFactory(text=f"Formula {i}") for i in range(2)]
    accepted = ClaimFactory(text="Accepted one")
    workflow.accept(accepted.pk, by=editor)
    workflow.accept_and_assign(ClaimFactory(text="Assigned one").pk, by=editor, assignee=reviewer)
    return made


def test_admin_export_and_the_command_give_the_same_rows_for_the_same_filter(client, editor, claims):
    client.force_login(editor)

    for status in (S.CANDIDATE, S.ASSIGNED):
        from_admin = admin_csv(client, status__exact=status)
        from_command = command_csv("--status", status)
        assert from_admin == from_command
        assert {row["status"] for row in from_admin} == {status}
        assert len(from_admin) == Claim.objects.filter(status=status).count()
    assert admin_csv(client) == command_csv()
    assert [row["assignee"] for row in command_csv("--status", S.ASSIGNED)] == ["reviewer"]


def test_admin_export_follows_the_queue_and_search_of_the_list(client, editor, claims):
    client.force_login(editor)

    triage = admin_csv(client, queue="triage")
    searched = admin_csv(client, q="Accepted one")

    assert {row["status"] for row in triage} == {S.CANDIDATE}
    assert len(triage) == Claim.objects.filter(status=S.CANDIDATE).count()
    assert [row["text"] for row in searched] == ["Accepted one"]


def test_csv_round_trips_every_claim_text(client, editor, claims):
    client.force_login(editor)
    expected = {claim.pk: claim.text for claim in Claim.objects.all()}

    for rows in (admin_csv(client), command_csv()):
        assert {int(row["id"]): row["text"] for row in rows} == expected
        awkward = [row["claimant"] for row in rows if row["text"] in AWKWARD_TEXTS]
        assert awkward == ['Ministry, of "Labour"'] * len(AWKWARD_TEXTS)


def test_formula_looking_values_are_neutralised_in_csv_and_kept_in_json(client, editor, claims):
    for i, formula in enumerate(FORMULAS):
        ClaimFactory(text=formula, claimant=ClaimantFactory(name=f'=HYPERLINK("http://x.example/{i}")'))
    client.force_login(editor)

    rows = {row["id"]: row for row in admin_csv(client)}
    data = {str(item["id"]): item for item in json.loads(command_output("--format", "json"))}

    for claim in Claim.objects.filter(text__in=FORMULAS):
        row = rows[str(claim.pk)]
        assert row["text"] == "'" + claim.text
        assert row["claimant"].startswith("'=HYPERLINK(")
        # JSON is read by programs, not spreadsheets: the value stays as it was.
        assert data[str(claim.pk)]["text"] == claim.text
    # Ordinary text is left alone.
    assert rows[str(claims[0].pk)]["text"] == claims[0].text


def test_json_export_has_the_same_claims_and_columns_as_csv(claims):
    data = json.loads(command_output("--format", "json", "--status", S.CANDIDATE))
    rows = command_csv("--status", S.CANDIDATE)
    assert [item["id"] for item in data] == [int(row["id"]) for row in rows]
    assert all(list(item) == export.COLUMNS for item in data)
    assert json.loads(command_output("--format", "json", "--status", S.PUBLISHED)) == []


def test_command_refuses_an_unknown_status():
    with pytest.raises(CommandError, match="invalid choice: 'open'"):
        call_command("export_claims", "--status", "open", stdout=io.StringIO())


def test_staff_without_the_claim_view_permission_cannot_export(client, db):
    from .factories import UserFactory

    stranger = UserFactory(username="stranger", is_staff=True)
    client.force_login(stranger)
    response = client.get(reverse("admin:claims_claim_export"))
    assert response.status_code == 403


def test_admin_export_with_a_malformed_filter_redirects_rather_than_failing(client, editor, claims):
    client.force_login(editor)
    response = client.get(reverse("admin:claims_claim_export"), {"assignee": "abc"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_the_list_page_links_to_the_export_of_what_it_shows(client, editor, claims):
    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_changelist"), {"queue": "triage", "q": "line"}).content.decode()
    export_url = reverse("admin:claims_claim_export")
    assert f'href="{export_url}?q=line&amp;queue=triage"' in page

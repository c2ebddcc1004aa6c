"""Notes: markdown-lite rendered escaped, @mentions of desk members, a 15-minute edit window, removal with a stub."""

from __future__ import annotations

import datetime as dt

import pytest

from claims.collaboration import notes
from claims.models import Note, Notification, NotificationKind, ReviewEvent
from claims.review.roles import EDITORS, REVIEWERS

from .factories import ArticleFactory, ClaimFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def test_mentioning_the_reviewer_twice_tells_them_once(editor, reviewer):
    claim = ClaimFactory()
    note = notes.add_note(by=editor, claim=claim, body="@reviewer can you look? @reviewer, the figure first.")
    [notification] = Notification.objects.filter(recipient=reviewer)
    assert notification.verb == NotificationKind.MENTIONED
    assert notification.claim == claim and notification.actor == editor
    assert list(note.mentions.all()) == [reviewer]


def test_an_unknown_name_stays_plain_text(editor, reviewer):
    note = notes.add_note(by=editor, claim=ClaimFactory(), body="Ask @nobody and @reviewer.")
    assert list(note.mentions.all()) == [reviewer]
    html = notes.render_note(note)
    assert "Ask @nobody and " in html
    assert '<b class="mention">@reviewer</b>' in html
    assert Notification.objects.count() == 1


def test_users_outside_the_desk_and_e_mail_addresses_are_not_mentions(editor, roles):
    UserFactory(username="outsider")
    member_of(REVIEWERS, "gone", is_active=False)
    note = notes.add_note(by=editor, claim=ClaimFactory(), body="@outsider @gone write to someone@reviewer.org")
    assert not note.mentions.exists()
    assert not Notification.objects.exists()


def test_markdown_lite_is_rendered_with_everything_else_escaped(editor):
    body = '**bold** *it* `<b>code</b>` [src](https://example.org/a?b=1&c="x") <script>alert(1)</script>\nnext'
    html = notes.render(body, set())
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert "<code>&lt;b&gt;code&lt;/b&gt;</code>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=&quot;x&quot;" rel="nofollow noopener noreferrer">src</a>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>next" in html
    assert "<script>" not in html
    # A link to anything but http(s) stays text.
    assert "<a" not in notes.render("[x](javascript:alert(1))", set())


def test_the_author_edits_within_fifteen_minutes_then_the_note_shows_edited(editor, reviewer):
    note = notes.add_note(by=editor, claim=ClaimFactory(), body="first")
    edited = notes.edit_note(note.pk, by=editor, body="first, with @reviewer")
    assert edited.edited_at is not None and edited.body == "first, with @reviewer"
    assert Notification.objects.filter(recipient=reviewer).count() == 1
    notes.edit_note(note.pk, by=editor, body="again @reviewer")  # already told: not told again
    assert Notification.objects.filter(recipient=reviewer).count() == 1
    with pytest.raises(notes.NotePermissionDenied, match="author"):
        notes.edit_note(note.pk, by=reviewer, body="not mine")
    late = note.created_at + dt.timedelta(minutes=16)
    with pytest.raises(notes.NotePermissionDenied, match="15 minutes"):
        notes.edit_note(note.pk, by=editor, body="too late", now=late)
    assert Note.objects.get(pk=note.pk).body == "again @reviewer"


def test_removal_by_author_or_editor_leaves_a_stub_in_the_audit_trail(editor, reviewer, roles):
    claim = ClaimFactory()
    other = member_of(REVIEWERS, "other")
    note = notes.add_note(by=reviewer, claim=claim, body="private remark")
    with pytest.raises(notes.NotePermissionDenied):
        notes.remove_note(note.pk, by=other)
    notes.remove_note(note.pk, by=editor)
    note.refresh_from_db()
    assert note.body == "" and note.removed_at is not None and note.removed_by_username == "editor"
    event = ReviewEvent.objects.get(claim=claim, action="claims.note.removed")
    assert event.data["author"] == "reviewer" and event.actor == editor
    assert "private remark" not in str(event.data)
    with pytest.raises(notes.NoteError, match="removed"):
        notes.remove_note(note.pk, by=reviewer)
    mine = notes.add_note(by=reviewer, claim=claim, body="mine")
    notes.remove_note(mine.pk, by=reviewer)
    assert ReviewEvent.objects.filter(claim=claim, action="claims.note.removed").count() == 2


def test_notes_on_an_article(editor, reviewer):
    article = ArticleFactory()
    note = notes.add_note(by=reviewer, article=article, body="@editor this outlet corrected it")
    assert note.article == article and note.claim is None
    assert Notification.objects.get(recipient=editor).detail == f"in a note on article #{article.pk}"
    notes.remove_note(note.pk, by=reviewer)  # no claim, no audit row: the emptied note is the stub
    assert Note.objects.get(pk=note.pk).removed_at is not None


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001, "nul\x00"])
def test_bad_note_text_is_refused_and_nothing_stored(editor, body):
    with pytest.raises(notes.NoteError):
        notes.add_note(by=editor, claim=ClaimFactory(), body=body)
    assert not Note.objects.exists()


def test_people_without_a_desk_role_cannot_write_notes(roles):
    outsider = UserFactory(username="outsider")
    with pytest.raises(notes.NotePermissionDenied, match="Editors or Reviewers"):
        notes.add_note(by=outsider, claim=ClaimFactory(), body="hello")
    assert member_of(EDITORS, "ed2").has_perm("claims.add_note")

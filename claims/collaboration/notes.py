"""Notes on a claim or an article: markdown-lite, @mentions, a short edit window, removal with an audit stub."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from claims.models import Article, Claim, Note, NotificationKind, ReviewEvent

from . import notifications

EDIT_WINDOW = dt.timedelta(minutes=15)
MAX_LENGTH = 10_000
# The role groups of claims.review.roles (a layer above, which this package may not import).
DESK_GROUPS = ("Editors", "Reviewers")

# A username as Django allows it, not preceded by a word character (an e-mail address) or a slash (a URL).
MENTION = re.compile(r"(?<![\w/@.])@([\w.+-]*[\w+-])")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
CODE = re.compile(r"(`[^`\n]+`)")
# Applied to escaped text: a quote or angle bracket is an entity by then, so it cannot end the attribute.
LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")


class NoteError(Exception):
    """A note could not be written, changed or removed; ``message`` says why."""

    http_status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotePermissionDenied(NoteError):
    http_status = 403


def is_editor(user) -> bool:
    return user.is_superuser or user.has_perm("claims.assign_claim")


def mentioned_names(body: str) -> list[str]:
    """The @names in ``body``, each once, in order (code spans excluded)."""
    names: list[str] = []
    for i, chunk in enumerate(CODE.split(body)):
        if i % 2 == 0:
            names += [name for name in MENTION.findall(chunk) if name not in names]
    return names


def desk_users(names: list[str]):
    """The active desk members among ``names``; unknown names are simply not found."""
    if not names:
        return []
    User = get_user_model()  # noqa: N806
    desk = Q(groups__name__in=DESK_GROUPS) | Q(is_superuser=True)
    return list(User.objects.filter(desk, is_active=True, username__in=names).distinct())


def render(body: str, known: set[str]) -> SafeString:
    """Markdown-lite as HTML, every character of the text escaped first.

    ``**bold**``, ``*italic*``, ```code```, ``[label](https://...)``, line breaks;
    ``@name`` is highlighted when it named a desk member and stays plain text otherwise.
    """
    html = []
    for i, chunk in enumerate(CODE.split(body)):
        if i % 2:
            html.append(f"<code>{escape(chunk[1:-1])}</code>")
            continue
        text = str(escape(chunk))
        text = LINK.sub(r'<a href="\2" rel="nofollow noopener noreferrer">\1</a>', text)
        text = BOLD.sub(r"<strong>\1</strong>", text)
        text = ITALIC.sub(r"<em>\1</em>", text)
        text = MENTION.sub(lambda m: f'<b class="mention">@{m[1]}</b>' if m[1] in known else m[0], text)
        html.append(text)
    return mark_safe("".join(html).replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 (escaped above)


def render_note(note: Note) -> SafeString:
    """A note's HTML; with ``prefetch_related("mentions")`` it costs no query."""
    return render(note.body, {user.get_username() for user in note.mentions.all()})


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise NoteError("A note needs some text.")
    if len(body) > MAX_LENGTH:
        raise NoteError(f"A note is at most {MAX_LENGTH} characters; this one has {len(body)}.")
    if "\x00" in body:
        raise NoteError("A note cannot contain NUL characters.")
    return body


def _may_write(user) -> None:
    if not user.is_active or not user.has_perm("claims.add_note"):
        raise NotePermissionDenied(
            f"{user.get_username()} may not write notes: it needs the Editors or Reviewers role."
        )


def _notify_mentions(note: Note, users, by) -> None:
    where = f"claim #{note.claim_id}" if note.claim_id else f"article #{note.article_id}"
    for user in users:
        notifications.notify(
            user, NotificationKind.MENTIONED, claim=note.claim, actor=by, detail=f"in a note on {where}"
        )


def add_note(*, by, body: str, claim: Claim | int | None = None, article: Article | int | None = None) -> Note:
    """Write a note on a claim or an article; each desk member it @mentions is told once."""
    _may_write(by)
    body = _clean(body)
    if (claim is None) == (article is None):
        raise NoteError("A note belongs to one claim or one article.")
    with transaction.atomic():
        if claim is not None:
            claim = claim if isinstance(claim, Claim) else Claim.objects.filter(pk=claim).first()
            if claim is None:
                raise NoteError("No such claim.")
        if article is not None:
            article = article if isinstance(article, Article) else Article.objects.filter(pk=article).first()
            if article is None:
                raise NoteError("No such article.")
        note = Note.objects.create(
            claim=claim, article=article, author=by, author_username=by.get_username(), body=body
        )
        users = desk_users(mentioned_names(body))
        note.mentions.set(users)
        _notify_mentions(note, users, by)
    return note


def _lock(note_id: int) -> Note:
    note = Note.objects.select_for_update().filter(pk=note_id).first()
    if note is None or note.removed_at is not None:
        raise NoteError(f"Note #{note_id} does not exist or was removed.")
    return note


def edit_note(note_id: int, *, by, body: str, now: dt.datetime | None = None) -> Note:
    """The author may change a note within 15 minutes of writing it; it then shows as edited.

    Names newly @mentioned are told; those already mentioned are not told again.
    """
    body = _clean(body)
    now = now or timezone.now()
    with transaction.atomic():
        note = _lock(note_id)
        if note.author_id != by.pk:
            raise NotePermissionDenied("Only the note's author may edit it.")
        if now - note.created_at > EDIT_WINDOW:
            raise NotePermissionDenied(
                f"A note can be edited for {EDIT_WINDOW.seconds // 60} minutes after it was written; "
                "write a new note instead."
            )
        if body == note.body:
            return note
        before = set(note.mentions.values_list("pk", flat=True))
        note.body = body
        note.edited_at = now
        note.save(update_fields=["body", "edited_at"])
        users = desk_users(mentioned_names(body))
        note.mentions.set(users)
        _notify_mentions(note, [u for u in users if u.pk not in before], by)
    return note


def remove_note(note_id: int, *, by) -> Note:
    """Remove a note (its author or an editor): the text goes, a "note removed" stub stays in the audit trail."""
    with transaction.atomic():
        note = _lock(note_id)
        if note.author_id != by.pk and not is_editor(by):
            raise NotePermissionDenied("Only the note's author or an editor may remove it.")
        note.body = ""
        note.removed_at = timezone.now()
        note.removed_by_username = by.get_username()
        note.save(update_fields=["body", "removed_at", "removed_by_username"])
        note.mentions.clear()
        if note.claim_id:
            ReviewEvent.objects.create(
                claim_id=note.claim_id,
                action="claims.note.removed",
                actor=by,
                actor_username=by.get_username(),
                data={"note_id": note.pk, "author": note.author_username, "written_at": note.created_at.isoformat()},
            )
    return note

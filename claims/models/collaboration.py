"""Working together on a claim: notes, checklists, tags and notifications.

Private to the desk: nothing here is read by the public record
(``claims.publishing``), except a tag an editor marked public.
Writes go through ``claims.collaboration``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .articles import Article
from .claims import Claim


class Note(models.Model):
    """A message in the thread of a claim or of an article. Removing one keeps
    the row (body emptied) so the thread shows where it was."""

    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    author_username = models.CharField(max_length=150)
    body = models.TextField(help_text="Markdown-lite: **bold**, *italic*, `code`, links; @username mentions.")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(claim__isnull=False, article__isnull=True) | Q(claim__isnull=True, article__isnull=False),
                name="note_on_claim_or_article",
            ),
        ]
        indexes = [models.Index(fields=["claim", "created_at"], name="note_claim_created")]

    def __str__(self) -> str:
        return f"Note #{self.pk} by {self.author_username}"


class AnswerKind(models.TextChoices):
    TEXT = "text", "Free text"
    URL = "url", "A URL"
    YES_NO = "yes_no", "Yes or no"


class ChecklistTemplateTask(models.Model):
    """One task of the desk's checklist; copied onto each claim when it is accepted."""

    class Role(models.TextChoices):
        NONE = "", "Nobody"
        ASSIGNEE = "assignee", "The claim's reviewer"
        ACCEPTED_BY = "editor", "The editor who accepted it"

    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    answer_kind = models.CharField(max_length=8, choices=AnswerKind.choices, default=AnswerKind.TEXT)
    required = models.BooleanField(default=False, help_text="Submitting for review is refused while it is open.")
    default_assignee = models.CharField(max_length=16, choices=Role.choices, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Inactive tasks are not given to newly accepted claims.")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "checklist template task"

    def __str__(self) -> str:
        return self.label


class ClaimTask(models.Model):
    """A claim's own copy of a template task: later template edits leave it as it is."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="tasks")
    template = models.ForeignKey(ChecklistTemplateTask, null=True, blank=True, on_delete=models.SET_NULL)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    answer_kind = models.CharField(max_length=8, choices=AnswerKind.choices, default=AnswerKind.TEXT)
    required = models.BooleanField(default=False)
    default_assignee = models.CharField(max_length=16, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by_username = models.CharField(max_length=150, blank=True)
    # Optimistic locking: a write names the version it saw.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["claim", "position", "pk"]
        verbose_name = "checklist task"

    def __str__(self) -> str:
        return self.label

    @property
    def is_done(self) -> bool:
        return self.checked_at is not None


class Tag(models.Model):
    """A topic or campaign. Shown publicly (on published claims) only once an editor marks it public."""

    name = models.CharField(max_length=64, unique=True)
    public = models.BooleanField(default=False, help_text="Shown with published fact-checks.")
    claims = models.ManyToManyField(Claim, blank=True, related_name="tags")
    articles = models.ManyToManyField(Article, blank=True, related_name="tags")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned in a note"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Your claim was approved"
    PUBLISHED = "published", "Your claim was published"
    TASK_ASSIGNED = "task_assigned", "A task assigned to you"
    SOURCE_BROKEN = "source_broken", "A source of your fact-check broke"


class Notification(models.Model):
    """One thing a desk member is told, written in the transaction that caused it."""

    class Email(models.TextChoices):
        NONE = "none", "Workspace only"
        PENDING = "pending", "To send"
        SENT = "sent", "Sent"
        DIGEST = "digest", "In the daily digest"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=32, choices=NotificationKind.choices)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=8, choices=Email.choices, default=Email.NONE)
    # The Message-ID of the e-mail that carried it (itself or its digest's), set in
    # the transaction that holds the row's lock across the send.
    email_message_id = models.CharField(max_length=200, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    email_next_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index(
                fields=["email_next_at"], condition=Q(email__in=["pending", "digest"]), name="notification_email_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verb_display()} ({self.recipient_id})"


class NotificationPreference(models.Model):
    """How one user wants to hear about one kind of notification (default: e-mail at once)."""

    class Channel(models.TextChoices):
        WORKSPACE = "workspace", "In the workspace only"
        EMAIL = "email", "E-mail at once"
        DIGEST = "digest", "Daily digest"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notificationpreference_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"


class DigestEmail(models.Model):
    """The one digest e-mail of a user for a day: the unique key is what keeps it to one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    notification_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digestemail_one_per_day")]

    def __str__(self) -> str:
        return f"digest {self.day} for {self.user_id}"

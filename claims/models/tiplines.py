"""Reader tips: who asked (``Requester``), what they asked (``Tip``) and what we
sent back (``TipReply``). None of it is public: the public API, pages, feeds,
ClaimReview and webhooks read published verdicts only (claims.publishing.record).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .claims import Claim
from .matching import ExternalReview
from .verdicts import Verdict


class Channel(models.TextChoices):
    WEB = "web", "Web form or API"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"


class Requester(models.Model):
    """One person on one channel, kept only to send them answers.

    ``channel_id`` is the channel's opaque id (a WhatsApp number's wa_id, a
    Telegram chat id; for the web form, the e-mail address). Retention blanks it
    and the e-mail (``erased_at``); the row stays so the counts stay.
    """

    channel = models.CharField(max_length=16, choices=Channel.choices)
    channel_id = models.CharField(max_length=320, blank=True)
    email = models.EmailField(max_length=320, blank=True)
    # WhatsApp allows a free-form reply only within 24 hours of this.
    last_message_at = models.DateTimeField(default=timezone.now)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_id"], condition=~Q(channel_id=""), name="requester_unique_channel_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} requester #{self.pk}"


class Tip(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "Received, not yet matched"
        ANSWERED = "answered", "Answered at once"
        QUEUED = "queued", "Queued for the desk"
        LINKED = "linked", "Linked to a claim"
        SPAM = "spam", "Spam"

    channel = models.CharField(max_length=16, choices=Channel.choices)
    text = models.TextField(blank=True)
    url = models.URLField("URL", max_length=2000, blank=True)
    # The linked page as the safe fetcher read it on the worker: its title (a hint for
    # matching), or why it was not read (a refused address, a timeout...). Never public.
    url_title = models.CharField("linked page's title", max_length=500, blank=True)
    url_error = models.TextField("link not read", blank=True)
    # The channel's reference of an attached image, then the image itself once fetched.
    media_id = models.CharField(max_length=200, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    media = models.BinaryField(null=True, blank=True, editable=False)
    media_error = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # Set by the stuck-work sweep (claims.recovery) when the tip was still new long after
    # it arrived and its processing was queued again (once); cleared once processed.
    processing_error = models.TextField("not processed", blank=True)
    requester = models.ForeignKey(Requester, null=True, blank=True, on_delete=models.SET_NULL, related_name="tips")
    # The channel's id of the incoming message (Meta and Telegram deliver again until answered 200).
    message_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="tips")
    # The claim the tip was first linked to, when the desk later marked that claim a
    # duplicate: its tips moved to the canonical claim (``claim``), whose fact-check they are sent.
    moved_from_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # The published fact-check that answered it at once, and how well it matched.
    answered_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="answered_tips", db_index=False
    )
    answered_review = models.ForeignKey(
        ExternalReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    match_score = models.FloatField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "message_id"], condition=~Q(message_id=""), name="tip_unique_channel_message"
            ),
        ]
        indexes = [models.Index(fields=["received_at"], name="tip_received_at")]

    def __str__(self) -> str:
        return f"Tip #{self.pk} ({self.get_channel_display()}, {self.get_status_display()})"


class TipReply(models.Model):
    """A message to a requester: an instant answer to a tip, or a published
    revision of the claim they asked about (at most one per revision each)."""

    class Kind(models.TextChoices):
        ANSWER = "answer", "Instant answer"
        PUBLICATION = "publication", "Fact-check published"
        CORRECTION = "correction", "Correction published"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"
        NOT_SENT = "not_sent", "Not sent"

    requester = models.ForeignKey(Requester, on_delete=models.CASCADE, related_name="replies")
    tip = models.ForeignKey(Tip, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    verdict = models.ForeignKey(Verdict, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    body = models.TextField()
    # For a WhatsApp template send (outside the 24-hour window): its parameters.
    template_parameters = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "tip replies"
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "verdict"], condition=Q(verdict__isnull=False), name="tipreply_once_per_revision"
            ),
            models.UniqueConstraint(fields=["tip"], condition=Q(kind="answer"), name="tipreply_one_answer_per_tip"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="tipreply_due"),
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="tipreply_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to requester #{self.requester_id} ({self.get_status_display()})"

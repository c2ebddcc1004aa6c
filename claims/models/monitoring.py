"""Outlet monitoring: the feeds and sitemaps we read on a schedule, what each
has shown us, and the claims found there that repeat one we already checked.

Written by ``claims.monitoring`` only; the admin edits a source's settings.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .articles import Article, Outlet
from .claims import Claim

MIN_INTERVAL_MINUTES = 2


def validate_url_patterns(value: str) -> None:
    """One regular expression per line, each of which must compile."""
    problems = []
    for number, line in enumerate(value.splitlines(), start=1):
        pattern = line.strip()
        if not pattern:
            continue
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(f"line {number}, {pattern!r}, is not a valid regular expression: {exc}")
    if problems:
        raise ValidationError("; ".join(problems).capitalize() + ".")


def url_patterns(value: str) -> list[re.Pattern[str]]:
    return [re.compile(line.strip()) for line in value.splitlines() if line.strip()]


class WatchedSource(models.Model):
    """One RSS/Atom feed or XML sitemap of an outlet, polled every `interval_minutes`."""

    class Kind(models.TextChoices):
        FEED = "feed", "RSS or Atom feed"
        SITEMAP = "sitemap", "XML sitemap (or sitemap index, or Google News sitemap)"

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="watched_sources")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    url = models.URLField("address", max_length=2000, unique=True)
    title = models.CharField(max_length=300, blank=True, help_text="As the outlet names it, when discovered.")
    interval_minutes = models.PositiveIntegerField(
        "poll every (minutes)", default=15, validators=[MinValueValidator(MIN_INTERVAL_MINUTES)]
    )
    enabled = models.BooleanField("switched on", default=True)
    include_patterns = models.TextField(
        blank=True,
        validators=[validate_url_patterns],
        help_text="Regular expressions, one a line: only article URLs matching one of them are taken. Empty: all.",
    )
    exclude_patterns = models.TextField(
        blank=True,
        validators=[validate_url_patterns],
        help_text="Regular expressions, one a line: article URLs matching one of them are skipped.",
    )
    # Health, written by claims.monitoring.polling.
    next_poll_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set while a poller has the source (claims.monitoring.polling.claim_due); a lapsed lease frees it.
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    items_seen = models.PositiveIntegerField(default=0, editable=False)
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    # A sitemap index's children and the <lastmod> each had, so unchanged ones are not fetched again.
    child_lastmods = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["outlet", "url"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_minutes__gte=MIN_INTERVAL_MINUTES), name="watchedsource_interval_min"
            ),
        ]
        indexes = [
            models.Index(fields=["next_poll_at"], condition=Q(enabled=True), name="watchedsource_due"),
        ]

    def __str__(self) -> str:
        return self.title or self.url

    @property
    def is_failing(self) -> bool:
        return self.consecutive_failures >= settings.FACTCHECK_MONITOR_FAILING_AFTER


class WatchedItem(models.Model):
    """An article URL a source listed, once per source; the article it became."""

    source = models.ForeignKey(WatchedSource, on_delete=models.CASCADE, related_name="items")
    url = models.URLField(max_length=2000)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True, help_text="As the feed or sitemap dates it.")
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-first_seen_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["source", "url"], name="watcheditem_unique_url")]

    def __str__(self) -> str:
        return self.url


class ClaimRepeat(models.Model):
    """A new claim that matches one of our published fact-checks: the claim came back."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="repeat")
    original = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="repeats")
    score = models.FloatField(help_text="0 to 1: how likely the new claim is the checked one.")
    # The original's verdict when the repeat was found, as the editor reads it.
    rating_label = models.CharField(max_length=100)
    rated_at = models.DateTimeField()
    found_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-found_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(original=models.F("claim")), name="claimrepeat_not_itself"),
        ]

    def __str__(self) -> str:
        return f"repeated claim: already rated {self.rating_label} on {self.rated_at.day} {self.rated_at:%B %Y}"


class RepeatQueueManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(repeat__isnull=False)


class RepeatQueueClaim(Claim):
    """The claims marked as repeats, for their own admin queue."""

    objects = RepeatQueueManager()

    class Meta:
        proxy = True
        verbose_name = "repeat"
        verbose_name_plural = "repeats"

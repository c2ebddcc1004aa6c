"""Where claims come from: outlets and their articles."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from claims.normalize import content_hash, normalize_url, url_host


class Outlet(models.Model):
    """A publisher of articles (and, for evidence, of sources)."""

    name = models.CharField(max_length=200)
    domain = models.CharField(
        max_length=253, blank=True, help_text="Host name without www., e.g. presstv.ir; empty when unknown."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["domain"], condition=~Q(domain=""), name="outlet_unique_domain"),
            # Outlets known only by name (an uploaded page) are matched by name.
            models.UniqueConstraint(Lower("name"), condition=Q(domain=""), name="outlet_unique_name_without_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})" if self.domain and self.domain != self.name.lower() else self.name

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower().removeprefix("www.")
        super().save(*args, **kwargs)


class Article(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        FETCHING = "fetching", "Fetching"
        EXTRACTING = "extracting", "Extracting claims"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        SAME_TEXT = "same_text", "Same text as another article"

    url = models.URLField(
        "source URL", max_length=2000, blank=True, help_text="Normalized on save; unique when present."
    )
    canonical_url = models.URLField("canonical URL", max_length=2000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.PROTECT, related_name="articles")
    byline = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField("publication date", null=True, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 language tag, e.g. en or ar.")
    text = models.TextField("full text", blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, editable=False, help_text="sha256 of the normalized text."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField("ingestion error", blank=True)
    same_text_as = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="same_text_copies",
        help_text="The article already in the tracker with this text (the same story at another URL).",
    )
    fetch_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="article_unique_url"),
            models.UniqueConstraint(
                fields=["content_hash"], condition=~Q(content_hash=""), name="article_unique_content_hash"
            ),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""), name="article_failed_has_error"),
            models.CheckConstraint(
                condition=~Q(status="same_text") | Q(same_text_as__isnull=False),
                name="article_same_text_points_at_original",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="article_status_created")]

    def __str__(self) -> str:
        return self.title or self.url or f"Article #{self.pk}"

    def save(self, *args, **kwargs):
        self.url = normalize_url(self.url)
        self.content_hash = content_hash(self.text)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "text" in update_fields:
            kwargs["update_fields"] = {*update_fields, "content_hash"}
        super().save(*args, **kwargs)

    def clean(self):
        try:
            self.url = normalize_url(self.url)
        except ValueError as exc:
            raise ValidationError({"url": str(exc)}) from None
        duplicate = Article.objects.exclude(pk=self.pk)
        if self.url and duplicate.filter(url=self.url).exists():
            raise ValidationError({"url": "An article with this URL is already in the tracker."})
        digest = content_hash(self.text)
        if digest and (same := duplicate.filter(content_hash=digest).first()):
            raise ValidationError({"text": f"The same text is already in the tracker as article #{same.pk} ({same})."})

    @property
    def domain(self) -> str:
        return url_host(self.url)

"""The fact-check domain: where claims come from, who made them, the evidence
gathered, the verdicts and the record of who did what.

Claim.status is written only by claims.workflow; everything here describes
rows and the invariants the database can hold.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey

from .normalize import content_hash, normalize_url, url_host
from .querysets import TRIAGE_ORDERING, ClaimQuerySet, ReviewEventQuerySet, VerdictQuerySet


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


class Claimant(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANIZATION = "organization", "Organisation"
        OTHER = "other", "Other"

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERSON)
    description = models.CharField(
        max_length=300, blank=True, help_text="Who they are, e.g. 'Russian foreign ministry spokeswoman'."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Extraction matches speakers by name; the constraint makes
            # concurrent get_or_create calls agree on one row.
            models.UniqueConstraint(Lower("name"), "kind", name="claimant_unique_name_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.description}" if self.description else self.name


def validate_span(text: str, start: int, end: int, sentence: str = "") -> None:
    """A claim's span must lie inside its article's text and cover its sentence
    (``Claim.validate_span``, and extraction's bulk inserts, which skip save())."""
    if not (0 <= start < end <= len(text)):
        raise ValidationError(
            {"span_end": f"The span {start}–{end} lies outside the article text ({len(text)} characters)."}
        )
    if sentence and text[start:end] != sentence:
        raise ValidationError({"sentence": "The sentence is not the article text at that span."})


class Claim(models.Model):
    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"
        DUPLICATE = "duplicate", "Duplicate"
        ASSIGNED = "assigned", "Assigned"
        IN_RESEARCH = "in_research", "In research"
        IN_REVIEW = "in_review", "In review"
        SCHEDULED = "scheduled", "Approved, scheduled"
        PUBLISHED = "published", "Published"
        RETRACTED = "retracted", "Retracted"

    class Priority(models.IntegerChoices):
        LOW = 0, "Low"
        NORMAL = 1, "Normal"
        HIGH = 2, "High"
        URGENT = 3, "Urgent"

    text = models.TextField(help_text="The checkable statement, as it will be reviewed.")
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        help_text="Empty for claims from speeches, posts or other fact-checkers.",
        db_index=False,  # claim_unique_article_span starts with it
    )
    sentence = models.TextField("source sentence", blank=True)
    span_start = models.PositiveIntegerField(null=True, blank=True, help_text="Character offset in the article text.")
    span_end = models.PositiveIntegerField(null=True, blank=True)
    claimant = models.ForeignKey(Claimant, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    claimed_on = models.DateField("date claimed", null=True, blank=True)
    checkworthiness = models.FloatField(
        "check-worthiness",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Score from 0 to 1.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CANDIDATE, editable=False)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    # Most claims have neither: their indexes (in Meta) leave out the empty ones.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_claims",
        db_index=False,
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates", db_index=False
    )
    language = models.CharField(max_length=16, blank=True)
    slug = models.SlugField(  # noqa: DJ001 -- NULL until first published, so unpublished claims share no slug
        max_length=120,
        allow_unicode=True,
        null=True,
        blank=True,
        db_index=False,  # unique where set: claim_unique_slug
        editable=False,
        help_text="Public address of the fact-check, set when it is first published and never changed.",
    )
    # Optimistic locking: every workflow transition checks and increments it.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(span_start__isnull=True, span_end__isnull=True)
                | Q(
                    span_start__isnull=False,
                    span_end__isnull=False,
                    span_start__lt=F("span_end"),
                    article__isnull=False,
                ),
                name="claim_span_ordered_with_article",
            ),
            models.CheckConstraint(
                condition=Q(checkworthiness__isnull=True) | Q(checkworthiness__gte=0, checkworthiness__lte=1),
                name="claim_checkworthiness_0_1",
            ),
            models.CheckConstraint(condition=~Q(duplicate_of=F("pk")), name="claim_not_duplicate_of_itself"),
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False), name="claim_duplicate_has_canonical"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="claim_version_positive"),
            # Re-running extraction on an article never creates a second claim
            # for the same span.
            models.UniqueConstraint(fields=["article", "span_start", "span_end"], name="claim_unique_article_span"),
            models.UniqueConstraint(fields=["slug"], condition=Q(slug__isnull=False), name="claim_unique_slug"),
        ]
        indexes = [
            # Matches the triage queue's ordering exactly, so the first page
            # is read straight from the index however many candidates wait.
            models.Index(F("status"), *TRIAGE_ORDERING, name="claim_triage_queue"),
            models.Index(fields=["status", "-created_at"], name="claim_status_created"),
            models.Index(
                fields=["assignee", "status"], condition=Q(assignee__isnull=False), name="claim_assignee_status"
            ),
            models.Index(fields=["duplicate_of"], condition=Q(duplicate_of__isnull=False), name="claim_duplicate_of"),
            models.Index(fields=["status", "status_changed_at"], name="claim_status_changed"),
        ]
        permissions = [
            ("triage_claim", "Can triage candidate claims"),
            ("assign_claim", "Can assign claims to reviewers"),
            ("research_claim", "Can research assigned claims"),
            ("approve_verdict", "Can approve and publish verdicts"),
            ("correct_verdict", "Can correct published verdicts"),
            ("retract_claim", "Can retract published fact-checks"),
        ]

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 80 else self.text[:79] + "…"
        return f"#{self.pk} {text}" if self.pk else text

    def save(self, *args, **kwargs):
        self.validate_span()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("admin:claims_claim_change", args=[self.pk])

    @property
    def public_url(self) -> str:
        """Where the published fact-check lives, under SITE_URL ('' before first publication)."""
        return f"{settings.SITE_URL}/fact-checks/{self.slug}/" if self.slug else ""

    def clean(self):
        self.validate_span()

    def validate_span(self) -> None:
        """The span must lie inside the article text and cover the sentence.

        The database checks the span's shape; only here can it be checked
        against the article's text, which lives in another table.
        """
        if self.span_start is None and self.span_end is None:
            return
        if self.span_start is None or self.span_end is None or self.article_id is None:
            raise ValidationError({"span_start": "A span needs both ends and the article it points into."})
        validate_span(self.article.text, self.span_start, self.span_end, self.sentence)

    @property
    def time_in_status(self):
        return timezone.now() - self.status_changed_at


# What Evidence keeps of its source's page: the reference snapshot and the link
# checks' state, all of it cleared when the source's URL changes.
LINK_RECORD_FIELDS = (
    "snapshot_text",
    "snapshot_sha256",
    "snapshot_text_sha256",
    "snapshot_http_status",
    "snapshot_final_url",
    "snapshot_fetched_at",
    "snapshot_error",
    "link_status",
    "link_checked_at",
    "link_changed_at",
    "link_failures",
    "link_error",
    "link_text_sha256",
    "link_final_url",
)


class Evidence(models.Model):
    class LinkStatus(models.TextChoices):
        UNCHECKED = "unchecked", "Not yet archived"
        OK = "ok", "OK"
        CHANGED = "changed", "Text changed"
        MOVED = "moved", "Moved"
        GONE = "gone", "Gone"
        ERROR = "error", "Error"

    class Stance(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        REFUTES = "refutes", "Refutes"
        CONTEXT = "context", "Adds context"
        MIXED = "mixed", "Mixed"

    class SourceType(models.TextChoices):
        PRIMARY_DOCUMENT = "primary_document", "Primary document"
        OFFICIAL_STATEMENT = "official_statement", "Official statement"
        DATASET = "dataset", "Dataset"
        EXPERT = "expert", "Expert"
        NEWS_REPORT = "news_report", "News report"
        OTHER = "other", "Other"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField("source URL", max_length=2000)
    title = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    excerpt = models.TextField("quoted excerpt", blank=True)
    stance = models.CharField(max_length=16, choices=Stance.choices)
    source_type = models.CharField(max_length=24, choices=SourceType.choices, default=SourceType.OTHER)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    # The archived snapshot, filled in by a background fetch after attaching.
    snapshot_text = models.TextField(blank=True, editable=False)
    snapshot_sha256 = models.CharField("body sha256", max_length=64, blank=True, editable=False)
    snapshot_text_sha256 = models.CharField("text sha256", max_length=64, blank=True, editable=False)
    snapshot_http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True, editable=False)
    snapshot_final_url = models.URLField("final URL", max_length=2000, blank=True, editable=False)
    snapshot_fetched_at = models.DateTimeField("fetched at", null=True, blank=True, editable=False)
    snapshot_error = models.TextField(blank=True, editable=False)
    # Link rot and drift: the state after the latest check (claims.snapshots);
    # every check is logged in EvidenceCheck.
    link_status = models.CharField(
        "link status", max_length=16, choices=LinkStatus.choices, default=LinkStatus.UNCHECKED, editable=False
    )
    link_checked_at = models.DateTimeField("last checked", null=True, blank=True, editable=False)
    link_changed_at = models.DateTimeField(
        "last changed",
        null=True,
        blank=True,
        editable=False,
        help_text="When a check last found the source different from the check before it.",
    )
    link_failures = models.PositiveSmallIntegerField("consecutive failures", default=0, editable=False)
    link_error = models.TextField("last check error", blank=True, editable=False)
    link_text_sha256 = models.CharField("text sha256 at the last check", max_length=64, blank=True, editable=False)
    link_final_url = models.URLField("final URL at the last check", max_length=2000, blank=True, editable=False)

    class Meta:
        ordering = ["claim", "added_at"]
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(fields=["claim", "url"], name="evidence_unique_claim_url"),
            models.CheckConstraint(
                condition=Q(snapshot_http_status__isnull=True)
                | Q(snapshot_http_status__gte=100, snapshot_http_status__lte=599),
                name="evidence_http_status_range",
            ),
            # The reference snapshot is stored whole or not at all.
            models.CheckConstraint(
                condition=Q(snapshot_fetched_at__isnull=True, snapshot_sha256="")
                | (Q(snapshot_fetched_at__isnull=False) & ~Q(snapshot_sha256="")),
                name="evidence_snapshot_complete",
            ),
        ]
        indexes = [
            # The link checker's "oldest checked first" and the admin's broken-sources queue.
            models.Index(fields=["link_checked_at"], name="evidence_link_checked"),
            models.Index(fields=["link_status", "claim"], name="evidence_link_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stance_display()}: {self.title or self.url}"

    def save(self, *args, **kwargs):
        """Saves, and queues the snapshot of a new source (or of a new address) in the same transaction.

        The first successful snapshot is the reference that later checks compare
        with, so it is never overwritten; changing the URL starts the source's
        record afresh (snapshot and link state cleared, a new snapshot queued).
        """
        from .snapshots import queue_snapshot  # snapshots -> outbox -> models

        self.url = normalize_url(self.url)
        adding = self._state.adding
        update_fields = kwargs.get("update_fields")
        stored_url = getattr(self, "_stored_url", None)
        url_changed = (
            not adding
            and stored_url is not None
            and self.url != stored_url
            and (update_fields is None or "url" in update_fields)
        )
        if url_changed:
            self.reset_link_record()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *LINK_RECORD_FIELDS}
        elif getattr(self, "_stored_snapshot", None) and self.snapshot_sha256 != self._stored_snapshot:
            raise ValueError(f"Evidence #{self.pk}: the reference snapshot is kept as taken; it cannot be replaced.")
        if adding or url_changed:
            with transaction.atomic():
                super().save(*args, **kwargs)
                queue_snapshot(self)
        else:
            super().save(*args, **kwargs)
        self._stored_url = self.url
        self._stored_snapshot = self.snapshot_sha256

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # As stored: save() tells a change of address (which resets the snapshot) from other edits.
        instance._stored_url = instance.__dict__.get("url")
        instance._stored_snapshot = instance.__dict__.get("snapshot_sha256")
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "url" in fields:
            self._stored_url = self.__dict__.get("url")
        if fields is None or "snapshot_sha256" in fields:
            self._stored_snapshot = self.__dict__.get("snapshot_sha256")

    def reset_link_record(self) -> None:
        """Forget the snapshot and link state (the source's address changed)."""
        for name in LINK_RECORD_FIELDS:
            setattr(self, name, self._meta.get_field(name).get_default())

    @property
    def domain(self) -> str:
        return url_host(self.url)


class EvidenceCheck(models.Model):
    """One fetch of an evidence source: its reference snapshot or a later link
    check, with what it saw and the source's link status after it."""

    class Kind(models.TextChoices):
        SNAPSHOT = "snapshot", "Snapshot"
        CHECK = "check", "Link check"

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    url = models.URLField("URL fetched", max_length=2000)
    checked_at = models.DateTimeField(default=timezone.now)
    link_status = models.CharField(
        max_length=16, choices=Evidence.LinkStatus.choices, help_text="The source's status after this check."
    )
    status_changed = models.BooleanField(
        default=False, help_text="This check found the source different from the check before it."
    )
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    final_url = models.URLField("final URL", max_length=2000, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["evidence", "-checked_at", "-pk"]
        indexes = [models.Index(fields=["evidence", "-checked_at"], name="evidencecheck_evidence_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(http_status__isnull=True) | Q(http_status__gte=100, http_status__lte=599),
                name="evidencecheck_http_status_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.checked_at:%Y-%m-%d %H:%M}: {self.get_link_status_display()}"


class LinkCheckHost(models.Model):
    """Politeness towards the sites our sources live on: the earliest time the
    link checker may send its next request to a host."""

    host = models.CharField(max_length=253, unique=True)
    next_request_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.host}: next request at {self.next_request_at:%Y-%m-%d %H:%M:%S}"


class RatingScale(models.Model):
    """A versioned rating scale. A published verdict keeps the rating (and so the
    scale version) it was published with; changing a scale means a new version."""

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False, help_text="The scale new verdicts use.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="ratingscale_unique_name_version"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="ratingscale_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def best_value(self) -> int | None:
        values = [r.value for r in self.ratings.all() if r.value is not None]
        return max(values) if values else None

    @property
    def worst_value(self) -> int | None:
        values = [r.value for r in self.ratings.all() if r.value is not None]
        return min(values) if values else None


class Rating(models.Model):
    scale = models.ForeignKey(RatingScale, on_delete=models.PROTECT, related_name="ratings")
    label = models.CharField(max_length=100)
    definition = models.TextField(help_text="Shown to readers on the methodology page.")
    value = models.SmallIntegerField(
        null=True, blank=True, help_text="Numeric value for ClaimReview; empty for ratings off the numeric scale."
    )
    order = models.PositiveSmallIntegerField(default=0)
    retired = models.BooleanField(
        default=False, help_text="Retired ratings stay on verdicts that use them but are not offered."
    )

    class Meta:
        ordering = ["scale", "order"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "label"], name="rating_unique_label_per_scale"),
            models.UniqueConstraint(
                fields=["scale", "value"], condition=Q(value__isnull=False), name="rating_unique_value_per_scale"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.scale})"

    def clean(self):
        if self.pk is None:
            return
        previous = Rating.objects.filter(pk=self.pk).values("label", "value", "scale_id").first()
        changed = previous and (
            previous["label"] != self.label or previous["value"] != self.value or previous["scale_id"] != self.scale_id
        )
        if changed and self.verdicts.exists():
            raise ValidationError(
                "This rating is used by verdicts, so its label, value and scale are fixed; "
                "retire it or create a new version of the scale instead."
            )

    def delete(self, *args, **kwargs):
        if self.verdicts.exists():
            raise models.ProtectedError(
                "This rating is used by verdicts and cannot be deleted; retire it instead.", set(self.verdicts.all())
            )
        return super().delete(*args, **kwargs)


class Verdict(models.Model):
    """One revision of a claim's verdict. Revisions are never overwritten once
    published: a correction is a new revision with a public correction note."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded by a correction"
        RETRACTED = "retracted", "Retracted"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="verdicts")
    revision = models.PositiveIntegerField(default=1)
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="verdicts")
    headline = models.CharField(
        max_length=200, help_text="The claim as reviewed, short (ClaimReview claimReviewed); never the rating."
    )
    summary = models.TextField()
    explanation = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="authored_verdicts"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="approved_verdicts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True, help_text="Embargo: publish no earlier than this.")
    published_at = models.DateTimeField(null=True, blank=True)
    correction_note = models.TextField(blank=True, help_text="Public note required on every revision after the first.")
    retraction_reason = models.TextField(blank=True, help_text="Public reason, set when the fact-check is retracted.")
    retracted_at = models.DateTimeField(null=True, blank=True)
    # The claim as the public reads it. On a published (later superseded or
    # retracted) revision: the claim, its claimant and its sources as they stood
    # when the revision was published, copied then and never changed, so edits
    # made during a correction stay private until the correction is approved. On
    # the draft of a correction: the claim as it will read once approved (the
    # claim row keeps the published wording meanwhile).
    claim_text = models.TextField("claim as published", blank=True)
    claimant = models.ForeignKey(
        Claimant, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="claimant"
    )
    claimant_name = models.CharField(max_length=300, blank=True, editable=False)
    claimant_kind = models.CharField(max_length=16, blank=True, editable=False)
    claimant_description = models.CharField(max_length=300, blank=True, editable=False)
    claimed_on = models.DateField("date claimed", null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    sources = models.JSONField(
        default=list, blank=True, editable=False, help_text="The evidence as published: the public's list of sources."
    )
    # Four-eyes: everyone who changed this revision (its text, the claim held on
    # it, the claim's sources while it was the draft), and who submitted it. None
    # of them may approve it.
    contributors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VerdictQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "-revision"]
        get_latest_by = "revision"
        indexes = [
            # The public API's and pages' order: newest publication first, one page at a time.
            models.Index(fields=["-published_at", "-id"], condition=Q(status="published"), name="verdict_public_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["claim", "revision"], name="verdict_unique_revision"),
            models.UniqueConstraint(fields=["claim"], condition=Q(status="draft"), name="verdict_one_draft_per_claim"),
            models.UniqueConstraint(
                fields=["claim"], condition=Q(status="published"), name="verdict_one_published_per_claim"
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="verdict_revision_positive"),
            models.CheckConstraint(
                condition=Q(revision=1) | Q(status="draft") | ~Q(correction_note=""),
                name="verdict_correction_has_note",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="verdict_published_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="retracted") | (~Q(retraction_reason="") & Q(retracted_at__isnull=False)),
                name="verdict_retraction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(claim_text=""), name="verdict_public_has_claim_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.headline} — {self.rating.label} (rev. {self.revision})"

    def save(self, *args, **kwargs):
        """A revision that has been public is the public record: only its status
        may move on (superseded, retracted with a reason), and a source's
        reference snapshot, taken after publication, may be filled in."""
        stored_status = getattr(self, "_stored_status", None)
        if not self._state.adding and stored_status not in (None, Verdict.Status.DRAFT):
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= FROZEN_REVISION_WRITABLE:
                raise ValueError(
                    f"Verdict revision {self.revision} of claim #{self.claim_id} has been published, so it is fixed: "
                    "a change to a fact-check is a correction, a new revision."
                )
        super().save(*args, **kwargs)
        self._stored_status = self.status

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.__dict__.get("status")
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "status" in fields:
            self._stored_status = self.__dict__.get("status")


# What may still be written on a revision once it has been public.
FROZEN_REVISION_WRITABLE = frozenset({"status", "retraction_reason", "retracted_at", "updated_at", "sources"})


class ClaimantContact(models.Model):
    """Right of reply: the claimant was asked for comment, and what they said."""

    class Method(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        SOCIAL = "social", "Social media message"
        IN_PERSON = "in_person", "In person"
        OTHER = "other", "Other"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="contacts")
    contacted_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=16, choices=Method.choices)
    contact_details = models.CharField(max_length=300, blank=True, help_text="Who was contacted, and where.")
    response = models.TextField(blank=True, help_text="Their reply, or empty if none yet.")
    responded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["claim", "contacted_at"]
        verbose_name = "right-of-reply contact"
        constraints = [
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | Q(responded_at__gte=F("contacted_at")),
                name="contact_reply_after_contact",
            ),
        ]

    def __str__(self) -> str:
        state = "replied" if self.response else "no reply yet"
        return f"{self.get_method_display()} on {self.contacted_at:%Y-%m-%d}: {state}"


class ReviewEvent(models.Model):
    """The audit trail: one row per workflow step. Append-only: the ORM refuses
    edits and deletes, and on PostgreSQL a trigger refuses them too."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=64, help_text="e.g. claims.claim.accepted")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied so that deleting a user never erases who did what.
    actor_username = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "created_at", "pk"]
        indexes = [models.Index(fields=["claim", "created_at"], name="reviewevent_claim_created")]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return f"{self.action} by {who} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Review events are append-only; they cannot be edited.")
        if self.actor_id and not self.actor_username:
            self.actor_username = self.actor.get_username()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Review events are append-only; they cannot be deleted.")


class ExternalReview(models.Model):
    """A fact-check published by another organisation, imported from
    ClaimReview markup or the Google Fact Check Tools API.

    Kept as a reference: searchable and matchable at triage ("already
    checked"), always attributed to its publisher, never shown as this
    organisation's verdict.
    """

    url = models.URLField("review URL", max_length=2000, unique=True)
    identifier = models.CharField(max_length=200, blank=True, db_index=True, help_text="ClaimReview identifier.")
    publisher_name = models.CharField(max_length=300)
    publisher_site = models.CharField(max_length=253, blank=True)
    title = models.TextField(blank=True)
    claim_reviewed = models.TextField()
    claimant_name = models.CharField(max_length=300, blank=True)
    claim_date = models.DateField(null=True, blank=True)
    appearance_url = models.URLField(max_length=2000, blank=True)
    appearance_description = models.CharField(max_length=500, blank=True)
    review_date = models.DateField(null=True, blank=True)
    rating_text = models.TextField(blank=True, help_text="The publisher's own rating, as published.")
    rating_value = models.FloatField(null=True, blank=True)
    best_rating = models.FloatField(null=True, blank=True)
    worst_rating = models.FloatField(null=True, blank=True)
    local_rating = models.ForeignKey(
        Rating,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The nearest rating on this desk's scale, by value or label.",
    )
    language = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=32, help_text="claimreview or google-factcheck-api")
    raw = models.JSONField(default=dict, help_text="The record as imported.")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-review_date", "pk"]
        indexes = [models.Index(fields=["publisher_site", "review_date"], name="extreview_publisher_date")]

    def __str__(self) -> str:
        text = self.claim_reviewed if len(self.claim_reviewed) <= 80 else self.claim_reviewed[:79] + "…"
        return f"{self.publisher_name}: {text} ({self.rating_text or 'unrated'})"


class OutboxMessage(models.Model):
    """A task to send to the broker, written in the same transaction as the
    change that calls for it (the transactional outbox).

    A request never talks to the broker: ``claims.outbox.relay`` (the
    ``relay_outbox`` command) reads unsent rows with SKIP LOCKED and publishes
    them, so a broker outage delays work and drops none. A row may be published
    twice (the relay can die between publishing and marking it sent); every
    task is idempotent.
    """

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    queue = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["available_at", "id"], condition=Q(sent_at__isnull=True), name="outbox_unsent"),
        ]

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else f"pending ({self.attempts} attempts)"
        return f"{self.task}({self.kwargs}) {state}"


class APIKey(AbstractAPIKey):
    """A machine's key to the internal API: stored hashed (shown once when
    created), scoped, expiring and revocable; it acts as its user, so the
    user's role decides what the key may do."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class ServiceHeartbeat(models.Model):
    """When a background service last proved it was alive (shown by /healthz)."""

    service = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.service} on {self.hostname or '?'} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: 32 random bytes, base64, prefixed ``whsec_``."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_webhook_message_id() -> str:
    # The spec forbids "." in the id (it delimits the signed content); hex has none.
    return f"msg_{uuid.uuid4().hex}"


class WebhookSubscription(models.Model):
    """A receiver of signed webhooks (Standard Webhooks) for published, corrected
    and retracted fact-checks. Managed in the admin; see claims.webhooks."""

    class Event(models.TextChoices):
        PUBLISHED = "fact_check.published", "Fact-check published"
        CORRECTED = "fact_check.corrected", "Correction published"
        RETRACTED = "fact_check.retracted", "Fact-check retracted"

    url = models.URLField("URL", max_length=2000, help_text="Where deliveries are POSTed (a public http(s) address).")
    description = models.CharField(max_length=200, blank=True, help_text="Who receives it, and why.")
    secret = models.CharField(
        max_length=100, default=new_webhook_secret, editable=False, help_text="Signs every delivery (whsec_...)."
    )
    # After a rotation deliveries are signed with both secrets until this one expires,
    # so the receiver can switch without losing a delivery (the spec's zero-downtime rotation).
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(default=list, help_text="Event types sent to this URL.")
    active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook subscription"
        constraints = [
            models.CheckConstraint(
                condition=Q(active=True, disabled_at__isnull=True) | Q(active=False, disabled_at__isnull=False),
                name="webhooksubscription_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def save(self, *args, **kwargs):
        if self.active:
            self.disabled_at = None
            self.disabled_reason = ""
        elif self.disabled_at is None:
            self.disabled_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "active" in update_fields:
            kwargs["update_fields"] = {*update_fields, "disabled_at", "disabled_reason"}
        super().save(*args, **kwargs)

    def clean(self):
        known = set(self.Event.values)
        if not isinstance(self.events, list) or not self.events or not set(self.events) <= known:
            raise ValidationError({"events": f"Choose one or more of: {', '.join(self.Event.values)}."})

    def signing_secrets(self, now) -> list[str]:
        """The secrets each delivery is signed with now: the current one, then the previous one until it expires."""
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(models.Model):
    """One event for one subscription: the message (its ``webhook-id`` is the
    receiver's idempotency key and never changes across retries), where it
    stands, and when it is tried next."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GIVEN_UP = "given_up", "Given up"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="webhook_deliveries")
    message_id = models.CharField(
        "webhook-id", max_length=40, unique=True, default=new_webhook_message_id, editable=False
    )
    event = models.CharField(max_length=32, choices=WebhookSubscription.Event.choices)
    # The exact JSON text signed and sent on every attempt (a jsonb column would
    # reorder its keys).
    payload = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Attempts made before the current retry schedule began: a redelivery starts a new one.
    schedule_base = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "failed"], next_attempt_at__isnull=False)
                | Q(status__in=["delivered", "given_up"], next_attempt_at__isnull=True),
                name="webhookdelivery_due_only_while_open",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="webhookdelivery_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["pending", "failed"]),
                name="webhookdelivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id} ({self.get_status_display().lower()})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why it failed."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    manual = models.BooleanField(default=False, help_text="Asked for with the admin's redeliver action.")
    started_at = models.DateTimeField()
    # Empty until the attempt ends; stays empty if the worker died mid-attempt.
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, help_text="The start of the response body.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            # Two workers can never record the same attempt of a delivery.
            models.UniqueConstraint(fields=["delivery", "number"], name="webhookattempt_unique_number"),
        ]

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:60] or "no result"
        return f"attempt {self.number}: {outcome}"


class ClaimMatch(models.Model):
    """A possible earlier check of a claim: one of this desk's claims or an
    imported fact-check, found by ``claims.matching`` when the claim was
    extracted or entered, and shown at triage ("possibly already checked").

    Recomputing replaces the scores; an editor's link to an external
    fact-check stays.
    """

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="matches")
    matched_claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    matched_review = models.ForeignKey(
        ExternalReview, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(help_text="0 to 1: how likely the match checks the same claim.")
    rank = models.PositiveSmallIntegerField(
        help_text="1 for the match shown at triage: a confirmed link, else the best score."
    )
    computed_at = models.DateTimeField(default=timezone.now)
    linked_at = models.DateTimeField(
        null=True, blank=True, help_text="When an editor confirmed the external fact-check checks this claim."
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["claim", "rank", "pk"]
        verbose_name_plural = "claim matches"
        constraints = [
            models.CheckConstraint(
                condition=Q(matched_claim__isnull=False, matched_review__isnull=True)
                | Q(matched_claim__isnull=True, matched_review__isnull=False),
                name="claimmatch_one_target",
            ),
            models.CheckConstraint(condition=~Q(matched_claim=F("claim")), name="claimmatch_not_itself"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="claimmatch_score_0_1"),
            models.CheckConstraint(
                condition=Q(linked_at__isnull=True) | Q(matched_review__isnull=False),
                name="claimmatch_links_external_only",
            ),
            models.UniqueConstraint(fields=["claim", "matched_claim"], name="claimmatch_unique_claim"),
            models.UniqueConstraint(fields=["claim", "matched_review"], name="claimmatch_unique_review"),
            # The match the triage queue shows; its index serves the queue's join.
            models.UniqueConstraint(fields=["claim"], condition=Q(rank=1), name="claimmatch_one_shown"),
        ]

    def __str__(self) -> str:
        target = f"claim #{self.matched_claim_id}" if self.matched_claim_id else f"review #{self.matched_review_id}"
        return f"#{self.claim_id} ~ {target} ({self.score:.2f})"

"""Claims, the people and organisations who made them, and their right of reply."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from claims.siteurl import fact_check_url

from .articles import Article
from .querysets import TRIAGE_ORDERING, ClaimQuerySet


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


def public_url(slug: str | None, canonical_url: str = "") -> str:
    """A published fact-check's address (``Claim.public_url``, for the API's rows without instances)."""
    if canonical_url:
        return canonical_url
    return fact_check_url(slug or "")


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

    class Scorer(models.TextChoices):
        ENGLISH = "en", "English model"
        GENERAL = "general", "General model (language-independent)"

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
    # Scores of the two scorers are not comparable: the desk sees which one read the sentence.
    scorer = models.CharField(
        "scored by",
        max_length=16,
        choices=Scorer.choices,
        blank=True,
        editable=False,
        help_text="Which check-worthiness model scored the sentence; empty for claims entered by hand.",
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
    canonical_url = models.URLField(
        "canonical URL",
        max_length=2000,
        blank=True,
        editable=False,
        help_text="Where the published fact-check lives when it was first published elsewhere "
        "(imported from Meedan Check); empty for fact-checks published here.",
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
        """Where the published fact-check lives: its canonical URL when it was
        published elsewhere first, else under SITE_URL ('' before first publication)."""
        return public_url(self.slug, self.canonical_url)

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

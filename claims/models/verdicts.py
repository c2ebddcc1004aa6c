"""Verdicts and the versioned rating scales they rate on."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .claims import Claim, Claimant
from .querysets import VerdictQuerySet


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

"""Earlier checks: other organisations' fact-checks and the matches shown at triage."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .claims import Claim
from .verdicts import Rating


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

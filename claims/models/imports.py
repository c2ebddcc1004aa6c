"""What came from another tool, by its id there: makes imports repeatable."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class ImportedRecord(models.Model):
    """One record of an import (a Check item, user, fact-check...), by its id in
    the source, and the row it became here (none when it was kept for later).

    Importing the same export again finds every record here and creates
    nothing; ``data`` keeps what the tracker has no field for yet (an item's
    title, description, tags and media reference), for the steps that will use it.
    """

    source = models.CharField(max_length=100, help_text="e.g. check:1234 (the Check workspace id).")
    kind = models.CharField(max_length=32, help_text="e.g. item, user, fact_check, explainer.")
    external_id = models.CharField(max_length=200)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "external_id"], name="importedrecord_unique_external"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="importedrecord_target")]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id}"

"""Evidence: a claim's sources, their reference snapshot and the log of link checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from claims.normalize import normalize_url, url_host

from .claims import Claim

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

ARCHIVE_OVERRIDE_FIELDS = ("archive_override_reason", "archive_override_by", "archive_override_at")
ARCHIVE_OVERRIDE_MAX_LENGTH = 500


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
    # Link rot and drift: the state after the latest check (claims.evidence.snapshots);
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
    # An editor's decision to cite the source without its archive (the page
    # refuses our fetcher, say): the reason is public ("not archived: ...") and
    # goes into the published revision's sources. Set only through
    # claims.review.editing.override_archive; a new URL clears it (Evidence.save).
    archive_override_reason = models.TextField(
        "cited without archive because", max_length=ARCHIVE_OVERRIDE_MAX_LENGTH, blank=True, editable=False
    )
    archive_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    archive_override_at = models.DateTimeField(null=True, blank=True, editable=False)

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
            # An override is a reason and when it was decided, or nothing.
            models.CheckConstraint(
                condition=Q(archive_override_at__isnull=True, archive_override_reason="")
                | (Q(archive_override_at__isnull=False) & ~Q(archive_override_reason="")),
                name="evidence_archive_override_complete",
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
        """Saves the source; its snapshot is queued by ``claims.evidence.sources.save_source``.

        The first successful snapshot is the reference that later checks compare
        with, so it is never overwritten; changing the URL starts the source's
        record afresh (snapshot and link state cleared).
        """
        self.url = normalize_url(self.url)
        update_fields = kwargs.get("update_fields")
        if self.address_changed(update_fields):
            self.reset_link_record()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *LINK_RECORD_FIELDS, *ARCHIVE_OVERRIDE_FIELDS}
        elif getattr(self, "_stored_snapshot", None) and self.snapshot_sha256 != self._stored_snapshot:
            raise ValueError(f"Evidence #{self.pk}: the reference snapshot is kept as taken; it cannot be replaced.")
        super().save(*args, **kwargs)
        self._stored_url = self.url
        self._stored_snapshot = self.snapshot_sha256

    def address_changed(self, update_fields=None) -> bool:
        """Whether saving now (with these ``update_fields``) gives a stored source a new URL."""
        stored_url = getattr(self, "_stored_url", None)
        return (
            not self._state.adding
            and stored_url is not None
            and normalize_url(self.url) != stored_url
            and (update_fields is None or "url" in update_fields)
        )

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
        # The override was decided about the old page.
        self.archive_override_reason, self.archive_override_by, self.archive_override_at = "", None, None

    @property
    def domain(self) -> str:
        return url_host(self.url)

    @property
    def archived(self) -> bool:
        """Its reference snapshot exists."""
        return self.snapshot_fetched_at is not None

    @property
    def citable(self) -> bool:
        """The source policy counts it: archived, or an editor chose to cite it without (with a reason)."""
        return self.archived or bool(self.archive_override_reason)


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

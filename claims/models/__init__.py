"""The fact-check domain: where claims come from, who made them, the evidence
gathered, the verdicts and the record of who did what; one module per domain,
every model re-exported here (``from claims.models import Claim``).

Claim.status is written only by claims.review.workflow; these modules describe
rows and the invariants the database can hold, and call no services.

Migrations name ``claims.models.new_webhook_secret`` and
``claims.models.new_webhook_message_id`` as field defaults: they must stay importable here.
"""

from .articles import Article, Outlet
from .audit import ReviewEvent
from .claims import Claim, Claimant, ClaimantContact, validate_span
from .collaboration import (
    AnswerKind,
    ChecklistTemplateTask,
    ClaimTask,
    DigestEmail,
    Note,
    Notification,
    NotificationKind,
    NotificationPreference,
    Tag,
)
from .evidence import (
    ARCHIVE_OVERRIDE_FIELDS,
    ARCHIVE_OVERRIDE_MAX_LENGTH,
    LINK_RECORD_FIELDS,
    Evidence,
    EvidenceCheck,
    LinkCheckHost,
)
from .imports import ImportedRecord
from .matching import ClaimMatch, ExternalReview
from .monitoring import ClaimRepeat, RepeatQueueClaim, WatchedItem, WatchedSource
from .operations import APIKey, OutboxMessage, ServiceHeartbeat
from .tiplines import Channel, Requester, Tip, TipReply
from .verdicts import FROZEN_REVISION_WRITABLE, Rating, RatingScale, Verdict
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription, new_webhook_message_id, new_webhook_secret

__all__ = [
    "Outlet",
    "Article",
    "Claimant",
    "validate_span",
    "Claim",
    "ClaimantContact",
    "ARCHIVE_OVERRIDE_FIELDS",
    "ARCHIVE_OVERRIDE_MAX_LENGTH",
    "LINK_RECORD_FIELDS",
    "Evidence",
    "EvidenceCheck",
    "LinkCheckHost",
    "RatingScale",
    "Rating",
    "Verdict",
    "FROZEN_REVISION_WRITABLE",
    "ReviewEvent",
    "ExternalReview",
    "ClaimMatch",
    "WatchedSource",
    "WatchedItem",
    "ClaimRepeat",
    "RepeatQueueClaim",
    "ImportedRecord",
    "new_webhook_secret",
    "new_webhook_message_id",
    "WebhookSubscription",
    "WebhookDelivery",
    "WebhookAttempt",
    "OutboxMessage",
    "APIKey",
    "ServiceHeartbeat",
    "Note",
    "AnswerKind",
    "ChecklistTemplateTask",
    "ClaimTask",
    "Tag",
    "NotificationKind",
    "Notification",
    "NotificationPreference",
    "DigestEmail",
    "Channel",
    "Requester",
    "Tip",
    "TipReply",
]

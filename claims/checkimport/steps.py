"""The steps of a Check import, one per file of the export (headers as ``check_sunset.rake`` writes them)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from claims.collaboration import checklists, tags
from claims.matching import semantic
from claims.matching.triage import queue_matching
from claims.models import Channel, Claim, Claimant, ExternalReview, ImportedRecord, Rating, ReviewEvent, Tip
from claims.models.bulk import insert_objects
from claims.normalize import InvalidURL, normalize_url, url_host
from claims.tiplines import tips as tiplines

from .csvfiles import Row
from .importer import Context, KeptForLater, Step, title_key
from .services import ACTOR, IMPORTED, PublishedFactCheck, create_invitable_user, import_published_fact_checks

# Check's Media.type (its STI class) -> what the claim carries.
MEDIA_TYPES = {
    "Claim": "quote",
    "Link": "link",
    "UploadedImage": "image",
    "Image": "image",
    "UploadedVideo": "video",
    "Video": "video",
    "UploadedAudio": "audio",
    "Audio": "audio",
    "Blank": "blank",
    "": "blank",
}
_http_url = URLValidator(schemes=["http", "https"])
PUBLISHED = "published on its item's claim"
UNPUBLISHED = "kept: not published in Check"


def existing_records(ctx: Context, kind: str, external_ids: Sequence[str]) -> dict[str, ImportedRecord]:
    rows = ImportedRecord.objects.filter(source=ctx.source, kind=kind, external_id__in=list(external_ids))
    return {r.external_id: r for r in rows}


def check_date(value: str) -> dt.datetime | None:
    """Ruby's Time#to_s ('2024-03-01 10:00:00 UTC', '... +0300') or ISO 8601."""
    value = value.strip()
    if not value:
        return None
    text = value.removesuffix(" UTC")
    if len(text) > 20 and text[-6] == " " and text[-5] in "+-":
        text = f"{text[:-6]}{text[-5:-2]}:{text[-2:]}"
    parsed = parse_datetime(text.replace(" ", "T", 1))
    if parsed is None:
        raise ValueError(f"unreadable date {value!r}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def http_url(value: str) -> str:
    try:
        _http_url(value)
        return normalize_url(value)
    except (ValidationError, InvalidURL):
        raise ValueError(f"{value[:200]!r} is not an http(s) URL") from None


class WorkspaceStep(Step):
    kind = "workspace"
    files = ("workspace_data.csv",)
    required = ("Name",)

    def import_batch(self, rows, ctx, file):
        # Names the import's source (``importer.workspace_source``); nothing of it is stored.
        ctx.report.kind(self.kind).skipped += len(rows)
        ctx.report.kind(self.kind).note = "read to name the workspace; nothing stored"


class UserStep(Step):
    kind = "user"
    files = ("workspace_user_data.csv",)
    required = ("Name", "Email", "Role")
    User = get_user_model()

    def import_batch(self, rows, ctx, file):
        report = ctx.report.kind(self.kind)
        ids = {row.number: (row.get("ID") or row.get("Email").lower()) for row in rows}
        known = existing_records(ctx, self.kind, list(ids.values()))
        groups = {g.name: g for g in Group.objects.filter(name__in=set(ctx.role_map.values()))}
        user_type = ContentType.objects.get_for_model(self.User)
        counts = {"created": 0, "skipped": 0}
        records, failures = [], []
        for row in rows:
            external_id = ids[row.number]
            if external_id in known:
                counts["skipped"] += 1
                continue
            email, role = row.get("Email"), row.get("Role").lower()
            group = groups.get(ctx.role_map.get(role, ""))
            if not email or "@" not in email:
                failures.append((row, "no e-mail address"))
                continue
            if group is None:
                failures.append((row, f"role {role!r} is not in the role map"))
                continue
            user = self.User.objects.filter(email__iexact=email).first()
            if user is not None:
                # A member already here keeps their account, password and groups as the desk set them.
                report.outcomes["existing account linked"] += 1
                counts["skipped"] += 1
            else:
                username = email.lower()[:150]
                if self.User.objects.filter(username__iexact=username).exists():
                    failures.append((row, "another account already has this e-mail as its username"))
                    continue
                user = create_invitable_user(username=username, email=email, name=row.get("Name"), group=group)
                counts["created"] += 1
            records.append(
                ImportedRecord(
                    source=ctx.source,
                    kind=self.kind,
                    external_id=external_id,
                    content_type=user_type,
                    object_id=user.pk,
                    # The e-mail stays on the account only: records may be listed to staff, never the public.
                    data={"role": role, "joined": row.get("Joined date") or row.get("Joined data")},
                )
            )
        ImportedRecord.objects.bulk_create(records)
        report.created += counts["created"]
        report.skipped += counts["skipped"]
        for row, reason in failures:
            ctx.report.error(file, row, reason, self.kind)


class ItemStep(Step):
    kind = "item"
    files = ("workspace_item_data.csv",)
    required = ("ID", "Title", "Status", "Media type", "Media data")

    def import_batch(self, rows, ctx, file):
        report = ctx.report.kind(self.kind)
        known = existing_records(ctx, self.kind, [row.get("ID") for row in rows])
        planned, failures, remembered = [], [], []
        for row in rows:
            external_id = row.get("ID")
            record = known.get(external_id)
            if record is not None:
                remembered.append((record.data.get("title", ""), record.object_id, record.data.get("check_status", "")))
                continue
            try:
                planned.append((row, *self._claim(row, ctx)))
            except ValueError as exc:
                failures.append((row, str(exc)))
        claimants = self._claimants({c.claimant_name for _, c, _, _ in planned if c.claimant_name})
        claims = []
        for _, claim, _, _ in planned:
            claim.claimant = claimants.get(claim.claimant_name.lower()) if claim.claimant_name else None
            claims.append(claim)
        insert_objects(claims)
        claim_type = ContentType.objects.get_for_model(Claim)
        insert_objects(
            [
                ReviewEvent(
                    claim=claim,
                    action=IMPORTED,
                    to_status=claim.status,
                    actor_username=ACTOR,
                    data={
                        "source": ctx.source,
                        "kind": self.kind,
                        "external_id": row.get("ID"),
                        "check_status": status,
                    },
                )
                for row, claim, status, _ in planned
            ]
        )
        insert_objects(
            [
                ImportedRecord(
                    source=ctx.source,
                    kind=self.kind,
                    external_id=row.get("ID"),
                    content_type=claim_type,
                    object_id=claim.pk,
                    data=data,
                )
                for row, claim, _, data in planned
            ]
        )
        queue_matching(claim.pk for claim in claims)
        for _row, claim, status, data in planned:
            ctx.remember_item(data["title"], claim.pk, ctx.status_map[status])
        for title, claim_id, status in remembered:
            if claim_id is not None and status in ctx.status_map:
                ctx.remember_item(title, claim_id, ctx.status_map[status])
        report.created += len(planned)
        report.skipped += len(remembered)
        for row, reason in failures:
            ctx.report.error(file, row, reason, self.kind)

    def _claim(self, row: Row, ctx: Context) -> tuple[Claim, str, dict]:
        status = row.get("Status")
        target = ctx.status_map.get(status)
        if target is None:
            raise ValueError(f"status {status!r} is not in the status map (add it with --status-map)")
        media = MEDIA_TYPES.get(row.get("Media type"))
        if media is None:
            raise ValueError(f"unknown media type {row.get('Media type')!r}")
        title, description, media_data = row.get("Title"), row.get("Description"), row.get("Media data")
        media_url = ""
        if media == "quote":
            text = media_data or title or description
        else:
            if media_data:
                media_url = http_url(media_data)
            text = title if title and title != media_data else (description or media_data)
        if not text:
            raise ValueError("the item has no text: no quote, title, description or media reference")
        created = check_date(row.get("Creation date"))
        claim = Claim(
            text=text,
            status=target.status,
            claimed_on=created.date() if created else None,
            status_changed_at=timezone.now(),
        )
        claim.claimant_name = row.get("Source")[:300]
        data = {
            "title": title,
            "description": description,
            "created_at": created.isoformat() if created else None,
            "tags": [t.strip() for t in row.get("Tags").split(",") if t.strip()],
            "check_status": status,
            "media_type": row.get("Media type"),
            "media_url": media_url,
        }
        return claim, status, data

    @staticmethod
    def _claimants(names: set[str]) -> dict[str, Claimant]:
        if not names:
            return {}
        kind = Claimant.Kind.OTHER
        wanted = {n.lower(): n for n in names}
        found = {
            c.name.lower(): c for c in Claimant.objects.annotate(key=Lower("name")).filter(key__in=wanted, kind=kind)
        }
        missing = [Claimant(name=name, kind=kind) for key, name in wanted.items() if key not in found]
        if missing:
            Claimant.objects.bulk_create(missing, ignore_conflicts=True)
            found = {
                c.name.lower(): c
                for c in Claimant.objects.annotate(key=Lower("name")).filter(key__in=wanted, kind=kind)
            }
        return found


class FactCheckStep(Step):
    kind = "fact_check"
    files = ("workspace_fact_checks_data.csv",)
    required = ("ID", "Title", "Report Status")

    def import_batch(self, rows, ctx, file):
        report = ctx.report.kind(self.kind)
        known = existing_records(ctx, self.kind, [row.get("ID") for row in rows])
        ratings = {r.label: r for r in Rating.objects.filter(scale__is_default=True)}
        planned, to_publish, failures, skipped = [], [], [], 0
        for row in rows:
            if row.get("ID") in known:
                skipped += 1
                continue
            try:
                record, outcome, entry = self._plan(row, ctx, ratings)
            except ValueError as exc:
                failures.append((row, str(exc)))
                continue
            planned.append((row, record, outcome))
            if entry is not None:
                to_publish.append(entry)
        verdicts, refused = import_published_fact_checks(to_publish)
        claim_type = ContentType.objects.get_for_model(Claim)
        records, outcomes = [], []
        for row, record, outcome in planned:
            if outcome == PUBLISHED:
                if record.object_id in refused:
                    failures.append((row, refused[record.object_id]))
                    continue
                record.content_type = claim_type
            records.append(record)
            outcomes.append(outcome)
        ImportedRecord.objects.bulk_create(records)
        for outcome in outcomes:
            report.outcomes[outcome] += 1
            if outcome == UNPUBLISHED:
                report.kept_for_later += 1
            else:
                report.created += 1
        report.skipped += skipped
        for row, reason in failures:
            ctx.report.error(file, row, reason, self.kind)

    def _plan(
        self, row: Row, ctx: Context, ratings: dict[str, Rating]
    ) -> tuple[ImportedRecord, str, PublishedFactCheck | None]:
        title, summary = row.get("Title"), row.get("Summary")
        url = http_url(row.get("URL")) if row.get("URL") else ""
        language = row.get("Language").lower()[:16]
        language = "" if language == "und" else language
        record = ImportedRecord(
            source=ctx.source,
            kind=self.kind,
            external_id=row.get("ID"),
            data={"title": title, "url": url, "language": language, "report_status": row.get("Report Status")},
        )
        imported = row.get("Imported?").lower() in {"true", "yes", "1"}
        published = row.get("Report Status").lower() == "published"
        if not imported and not published:
            return record, UNPUBLISHED, None
        claim_id = ctx.items_by_title.get(title_key(title))
        target = ctx.item_targets.get(claim_id) if claim_id else None
        rating = ratings.get(target.rating) if target and target.rating else None
        if not imported and rating is not None:
            record.object_id = claim_id
            entry = PublishedFactCheck(
                claim_id=claim_id,
                rating=rating,
                headline=title,
                summary=summary or title,
                canonical_url=url,
                language=language,
                source={"source": ctx.source, "kind": self.kind, "external_id": row.get("ID")},
            )
            return record, PUBLISHED, entry
        # From elsewhere, or published without a rating the export can tell: a reference, attributed to its publisher.
        if not url:
            raise ValueError("no URL: a fact-check without its item's rating is kept as a reference, which needs one")
        review = ExternalReview.objects.filter(url=url).first()
        if review is None:
            host = url_host(url)
            review = ExternalReview.objects.create(
                url=url,
                publisher_name=host,
                publisher_site=host,
                title=title,
                claim_reviewed=summary or title,
                language=language,
                source="check-import",
                raw={k: v for k, v in row.values.items() if k},
            )
            semantic.queue_indexing(review_ids=[review.pk])
        record.content_type = ContentType.objects.get_for_model(ExternalReview)
        record.object_id = review.pk
        if imported:
            return record, "reference: imported into Check from elsewhere", None
        return record, "reference: no item or rating for it in the export", None


class ExplainerStep(Step):
    kind = "explainer"
    files = ("workspace_explainers_data.csv",)
    required = ("ID", "Title")

    def import_batch(self, rows, ctx, file):
        # Stored for later: the tracker has no article type without a rating yet.
        report = ctx.report.kind(self.kind)
        report.note = "stored with their import records; no explainer pages yet"
        known = existing_records(ctx, self.kind, [row.get("ID") for row in rows])
        new = [
            ImportedRecord(source=ctx.source, kind=self.kind, external_id=row.get("ID"), data=dict(row.values))
            for row in rows
            if row.get("ID") not in known
        ]
        ImportedRecord.objects.bulk_create(new)
        report.kept_for_later += len(new)
        report.skipped += len(rows) - len(new)


class TagStep(Step):
    """Each imported item's Check tags (kept on its import record) on its claim."""

    kind = "tag"
    files = ("workspace_item_data.csv",)
    required = ("ID",)

    def import_batch(self, rows, ctx, file):
        report = ctx.report.kind(self.kind)
        ids = [row.get("ID") for row in rows]
        items = existing_records(ctx, "item", ids)
        known = existing_records(ctx, self.kind, ids)
        names_by_claim, records, failures = {}, [], []
        for row in rows:
            item = items.get(row.get("ID"))
            # An item that failed was reported by its own step; one without tags has nothing to do.
            if item is None or item.object_id is None or not item.data.get("tags"):
                continue
            if row.get("ID") in known:
                report.skipped += len(known[row.get("ID")].data.get("tags", []))
                continue
            try:
                names = tags.parse(item.data["tags"])
            except tags.TagError as exc:
                failures.append((row, exc.message))
                continue
            names_by_claim[item.object_id] = names
            records.append(
                ImportedRecord(
                    source=ctx.source,
                    kind=self.kind,
                    external_id=row.get("ID"),
                    content_type_id=item.content_type_id,
                    object_id=item.object_id,
                    data={"tags": names},
                )
            )
        report.created += tags.attach_imported(names_by_claim)
        ImportedRecord.objects.bulk_create(records)
        for row, reason in failures:
            ctx.report.error(file, row, reason, self.kind)


NO_ANSWER = {"", "-"}
_CHECK_TASK_ID = re.compile(r"\s*\((\d+)\)$")


class AnnotationStep(Step):
    """One row per item, one column per workspace task (``"<label> (<task id>)"``): the
    answered ones become checked tasks on the item's claim. An unanswered cell (empty or
    ``-``) becomes nothing: Check's open tasks are its workflow, not the desk's here."""

    kind = "annotation"
    files = ("workspace_annotations_data.csv",)
    required = ("Item ID",)

    def import_batch(self, rows, ctx, file):
        report = ctx.report.kind(self.kind)
        report.note = "answered tasks become checked checklist tasks; unanswered ones are not carried over"
        ids = [row.get("Item ID") for row in rows]
        items = existing_records(ctx, "item", ids)
        known = existing_records(ctx, self.kind, ids)
        answers_by_claim, sources, records, failures = {}, {}, [], []
        for row in rows:
            item_id = row.get("Item ID")
            if item_id in known:
                report.skipped += len(known[item_id].data.get("labels", []))
                continue
            item = items.get(item_id)
            if item is None or item.object_id is None:
                failures.append((row, f"no imported item {item_id!r} (missing from the export, or refused)"))
                continue
            answers, task_ids = [], []
            for column, value in row.values.items():
                value = (value or "").strip()
                if column == "Item ID" or not column or value in NO_ANSWER:
                    continue
                match = _CHECK_TASK_ID.search(column)
                answers.append(((column[: match.start()] if match else column) or column, value))
                task_ids.append(match.group(1) if match else "")
            if not answers:
                continue
            answers_by_claim[item.object_id] = answers
            sources[item.object_id] = {
                "source": ctx.source,
                "kind": self.kind,
                "external_id": item_id,
                "check_task_ids": task_ids,
            }
            records.append(
                ImportedRecord(
                    source=ctx.source,
                    kind=self.kind,
                    external_id=item_id,
                    content_type_id=item.content_type_id,
                    object_id=item.object_id,
                    data={"labels": [label[:200] for label, _ in answers]},
                )
            )
        created = checklists.import_tasks(answers_by_claim, actor_username=ACTOR, event_data=sources)
        ImportedRecord.objects.bulk_create(records)
        report.created += sum(len(tasks) for tasks in created.values())
        for row, reason in failures:
            ctx.report.error(file, row, reason, self.kind)


def tip_channel(platform: str) -> str:
    """Check's platform (WhatsApp, Telegram, Messenger, Instagram, Viber, LINE, web...) to a tip channel."""
    platform = platform.lower()
    for channel in (Channel.WHATSAPP, Channel.TELEGRAM):
        if channel.value in platform:
            return channel.value
    return Channel.WEB.value


def requester_id(uid: str) -> str:
    """Check's opaque uid, hashed: enough to group one person's requests, nothing that names them."""
    return hashlib.sha256(f"check:{uid}".encode()).hexdigest() if uid else ""


class TiplineRequestStep(Step):
    """Tipline requests become queued tips with their original dates, from an anonymous
    requester per (platform, uid). Nothing is sent and nothing is matched: it is history."""

    kind = "tipline_request"
    # The rake task first spelt the file "requets".
    files = ("workspace_tipline_requests_data.csv", "workspace_tipline_requets_data.csv")
    required = ("ID",)

    def import_batch(self, rows, ctx, file):
        report = ctx.report.kind(self.kind)
        known = existing_records(ctx, self.kind, [row.get("ID") for row in rows])
        items = existing_records(ctx, "item", [row.get("Item ID") for row in rows if row.get("Item ID")])
        tip_type = ContentType.objects.get_for_model(Tip)
        records, failures = [], []
        for row in rows:
            if row.get("ID") in known:
                report.skipped += 1
                continue
            try:
                platform, at, uid, text = self._fields(row)
            except ValueError as exc:
                failures.append((row, str(exc)))
                continue
            item = items.get(row.get("Item ID"))
            language = row.get("Language").lower()
            tip = tiplines.record_history(
                tip_channel(platform),
                requester_id(uid),
                text=text,
                language="" if language == "und" else language,
                at=at,
                claim_id=item.object_id if item else None,
            )
            # The record holds no text and no uid: those live on the tip, where retention erases them.
            records.append(
                ImportedRecord(
                    source=ctx.source,
                    kind=self.kind,
                    external_id=row.get("ID"),
                    content_type=tip_type,
                    object_id=tip.pk,
                )
            )
            report.created += 1
        ImportedRecord.objects.bulk_create(records)
        for row, reason in failures:
            ctx.report.error(file, row, reason, self.kind)

    @staticmethod
    def _fields(row: Row) -> tuple[str, dt.datetime, str, str]:
        platform, date, uid, text = (row.get(c) for c in ("Platform", "Creation date", "User UID", "Text"))
        try:
            at = check_date(date)
        except ValueError:
            at = None
        if at is None and platform:
            # The first rake task wrote no platform value: every later value sits one column left.
            try:
                at = check_date(platform)
            except ValueError:
                at = None
            if at is not None:
                platform, uid, text = "", date, uid
        if at is None:
            raise ValueError(f"no readable date in 'Creation date' ({date[:40]!r}): a tip keeps its original date")
        if not text:
            raise ValueError("the request has no text")
        return platform, at, uid, text


class NewsletterStep(KeptForLater):
    kind = "tipline_newsletter"
    files = ("workspace_tipline_newsletter_data.csv",)
    required = ("ID",)
    reason = "tipline newsletters are not carried over"


# In order: fact-checks find their items by title; tags, tasks and tips find them by their Check id.
STEPS: tuple[Step, ...] = (
    WorkspaceStep(),
    UserStep(),
    ItemStep(),
    FactCheckStep(),
    ExplainerStep(),
    TagStep(),
    AnnotationStep(),
    TiplineRequestStep(),
    NewsletterStep(),
)

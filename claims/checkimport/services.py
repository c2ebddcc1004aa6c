"""The writes an import makes to what the public or the desk's accounts see, one function each."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from claims.models import Claim, Claimant, Evidence, Rating, ReviewEvent, Verdict
from claims.models.bulk import insert_objects
from claims.review.publication import freeze, public_slug

from .maps import IMPORT_STATUSES

ACTOR = "check-import"
IMPORTED = "claims.claim.imported"


@dataclass(frozen=True)
class PublishedFactCheck:
    """A fact-check that was public in Check, for the claim the import created from its item."""

    claim_id: int
    rating: Rating
    headline: str
    summary: str
    canonical_url: str
    language: str
    source: dict  # the Check record it came from, kept in the audit event


def import_published_fact_checks(
    entries: list[PublishedFactCheck], *, when: dt.datetime | None = None
) -> tuple[dict[int, Verdict], dict[int, str]]:
    """Publish fact-checks that were already public in Check, on claims the import created.

    The one place an import writes the public record: each revision is frozen
    as ``workflow.approve`` freezes it, the claim keeps Check's URL as its
    canonical address, and the audit trail says it was imported. No webhook is
    sent: subscribers hear of fact-checks published here, not of a desk's
    history. Many at once, in a fixed number of queries (an export holds
    thousands). Returns the verdicts by claim id, and the claims refused with
    the reason.
    """
    when = when or timezone.now()
    verdicts: dict[int, Verdict] = {}
    refused: dict[int, str] = {}
    if not entries:
        return verdicts, refused
    with transaction.atomic():
        ids = [entry.claim_id for entry in entries]
        claims = {c.pk: c for c in Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        with_verdicts = set(Verdict.objects.filter(claim_id__in=ids).values_list("claim_id", flat=True))
        claimants = {c.pk: c for c in Claimant.objects.filter(pk__in={c.claimant_id for c in claims.values()} - {None})}
        evidence = defaultdict(list)
        for item in Evidence.objects.filter(claim_id__in=ids).order_by("added_at", "pk"):
            evidence[item.claim_id].append(item)
        events = []
        for entry in entries:
            claim = claims.get(entry.claim_id)
            if (
                claim is None
                or claim.status not in IMPORT_STATUSES
                or claim.pk in with_verdicts
                or claim.pk in verdicts
            ):
                refused[entry.claim_id] = (
                    f"claim #{entry.claim_id} is not an imported claim waiting for its fact-check; "
                    "a published fact-check is imported only onto a claim the import created"
                )
                continue
            claim.claimant = claimants.get(claim.claimant_id)
            from_status = claim.status
            if entry.language and not claim.language:
                claim.language = entry.language
            verdict = Verdict(
                claim=claim,
                revision=1,
                rating=entry.rating,
                headline=entry.headline[:200],
                summary=entry.summary,
                explanation=entry.summary,
                status=Verdict.Status.PUBLISHED,
                published_at=when,
            )
            freeze(claim, verdict, evidence[claim.pk])
            verdicts[claim.pk] = verdict
            claim.status = Claim.Status.PUBLISHED
            claim.status_changed_at = when
            claim.canonical_url = entry.canonical_url
            claim.slug = public_slug(entry.headline, claim.pk)
            claim.version += 1
            claim.updated_at = when
            events.append(
                ReviewEvent(
                    claim=claim,
                    action=IMPORTED,
                    from_status=from_status,
                    to_status=Claim.Status.PUBLISHED,
                    actor_username=ACTOR,
                    data={**entry.source, "canonical_url": entry.canonical_url},
                )
            )
        insert_objects(list(verdicts.values()))
        _mark_published([claims[pk] for pk in verdicts], when)
        for event in events:
            event.data["verdict_id"] = verdicts[event.claim_id].pk
        insert_objects(events)
    return verdicts, refused


def _mark_published(claims: list[Claim], when: dt.datetime) -> None:
    """The claims' new state in one UPDATE per chunk. bulk_update's CASE expressions
    cost more in Python than the whole rest of a batch; a join on the new values does not."""
    table = connection.ops.quote_name(Claim._meta.db_table)
    for start in range(0, len(claims), 200):
        chunk = claims[start : start + 200]
        values = " UNION ALL ".join(
            "SELECT CAST(%s AS bigint) AS id, CAST(%s AS text) AS slug, CAST(%s AS text) AS url, CAST(%s AS text) AS lang"
            for _ in chunk
        )
        params = [Claim.Status.PUBLISHED, when, when]
        for claim in chunk:
            params += [claim.pk, claim.slug, claim.canonical_url, claim.language]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, status_changed_at = %s, updated_at = %s, version = version + 1, "  # noqa: S608 (a constant table name)
                f"slug = v.slug, canonical_url = v.url, language = v.lang FROM ({values}) AS v WHERE {table}.id = v.id",
                params,
            )


def create_invitable_user(*, username: str, email: str, name: str, group: Group):
    """An account for a Check member: inactive and without a password until the desk invites them."""
    user = get_user_model()(username=username, email=email, first_name=name[:150], is_active=False)
    user.set_unusable_password()
    user.save()
    user.groups.add(group)
    return user

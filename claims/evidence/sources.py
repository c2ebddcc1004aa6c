"""Attaching and editing an evidence source: the row and its snapshot, in one transaction.

Whatever attaches or edits evidence saves it through ``save_source``, never
through ``Evidence.save`` alone: today that is ``claims.review.editing``, which
the admin's inline and evidence pages, the internal API and the demo command
call. A new source, or a source given a new URL, gets its ``snapshot_evidence``
outbox row in the transaction that saves it, so attaching never waits on the
fetch and a rolled-back attach leaves no work behind. ``bulk_create`` is never
used for evidence. (The link checks' own writes, of the snapshot and link
fields, save the row directly: they change no address.)
"""

from __future__ import annotations

from django.db import transaction

from claims.models import Evidence

from .snapshots import queue_snapshot


def save_source(evidence: Evidence, **save_kwargs) -> Evidence:
    """Save ``evidence``; a new source or a new address has its snapshot queued in the same transaction."""
    new_address = evidence._state.adding or evidence.address_changed(save_kwargs.get("update_fields"))
    if not new_address:
        evidence.save(**save_kwargs)
        return evidence
    with transaction.atomic():
        evidence.save(**save_kwargs)
        queue_snapshot(evidence)
    return evidence

"""How Check's statuses and roles become this tracker's: the default maps and ``--status-map`` files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from claims.models import Claim, Rating
from claims.review.roles import EDITORS, REVIEWERS

# An import creates claims where a desk's work starts; published is reached only
# with a published fact-check (``publishing.import_published_fact_check``).
IMPORT_STATUSES = (Claim.Status.CANDIDATE, Claim.Status.ACCEPTED, Claim.Status.DISMISSED)


@dataclass(frozen=True)
class StatusTarget:
    status: str
    rating: str = ""  # a label of the default scale: the verdict a published Check fact-check carries


# Check's five core statuses (config/core_statuses.yml): Unstarted, Inconclusive, In Progress, False, Verified.
DEFAULT_STATUS_MAP: dict[str, StatusTarget] = {
    "undetermined": StatusTarget(Claim.Status.CANDIDATE),
    "in_progress": StatusTarget(Claim.Status.ACCEPTED),
    "not_applicable": StatusTarget(Claim.Status.ACCEPTED, "Unproven"),
    "false": StatusTarget(Claim.Status.ACCEPTED, "False"),
    "verified": StatusTarget(Claim.Status.ACCEPTED, "True"),
}

# Check's roles (TeamUser: admin, editor, collaborator; "owner" in older workspaces).
DEFAULT_ROLE_MAP: dict[str, str] = {
    "owner": EDITORS,
    "admin": EDITORS,
    "editor": EDITORS,
    "collaborator": REVIEWERS,
}


class MapError(Exception):
    """A status map file is unusable; the message says which entry and why."""


def load_status_map(path: str | Path | None) -> dict[str, StatusTarget]:
    """The default map, with the entries of a JSON file over it.

    The file maps a Check status id to a claim status (``"spam": "dismissed"``)
    or to an object (``"misleading": {"status": "accepted", "rating": "Misleading"}``).
    """
    mapping = dict(DEFAULT_STATUS_MAP)
    if path is None:
        return mapping
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MapError(f"{path}: not a readable JSON file ({exc}).") from None
    if not isinstance(document, dict):
        raise MapError(f"{path}: expected a JSON object of Check status -> claim status.")
    labels = set(Rating.objects.filter(scale__is_default=True).values_list("label", flat=True))
    for key, value in document.items():
        entry = {"status": value} if isinstance(value, str) else value
        if not isinstance(entry, dict) or set(entry) - {"status", "rating"}:
            raise MapError(f'{path}: {key!r}: expected a claim status or {{"status": ..., "rating": ...}}.')
        status, rating = entry.get("status", ""), entry.get("rating") or ""
        if status not in IMPORT_STATUSES:
            allowed = ", ".join(IMPORT_STATUSES)
            raise MapError(f"{path}: {key!r}: status {status!r} is not one an import may create ({allowed}).")
        if rating and rating not in labels:
            raise MapError(f"{path}: {key!r}: rating {rating!r} is not on the default rating scale.")
        mapping[str(key)] = StatusTarget(status, rating)
    return mapping

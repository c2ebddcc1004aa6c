"""Tags on claims and articles: free names, created on first use; public only when an editor says so."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count

from claims.models import Claim, Tag

MAX_LENGTH = 64


class TagError(Exception):
    http_status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse(names: str | list[str]) -> list[str]:
    """Comma-separated (or a list) to clean, distinct names; a bad one is refused with its reason."""
    raw = names.split(",") if isinstance(names, str) else list(names)
    result: list[str] = []
    for name in raw:
        if not isinstance(name, str):
            raise TagError(f"A tag is a name, not {name!r}.")
        name = " ".join(name.split())
        if not name:
            continue
        if len(name) > MAX_LENGTH:
            raise TagError(f"A tag is at most {MAX_LENGTH} characters: {name[:20]!r}... has {len(name)}.")
        if "\x00" in name:
            raise TagError("A tag cannot contain NUL characters.")
        if name.lower() not in {r.lower() for r in result}:
            result.append(name)
    return result


def _tags(names: list[str], *, by) -> list[Tag]:
    """The tags named, matched without regard to case; new ones only for who may add tags."""
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            if not by.has_perm("claims.add_tag"):
                raise TagError(f"There is no tag {name!r}, and {by.get_username()} may not create tags.")
            tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    return tags


def _may_tag(by) -> None:
    if not by.is_active or not (by.has_perm("claims.view_tag") and by.has_perm("claims.change_claim")):
        raise TagError(f"{by.get_username()} may not tag claims.")


def tag_claims(claim_ids: list[int], names: str | list[str], *, by) -> int:
    """Add tags to many claims at once (the lists' bulk action); returns the links created."""
    _may_tag(by)
    names = parse(names)
    if not names:
        raise TagError("Give at least one tag.")
    with transaction.atomic():
        tags = _tags(names, by=by)
        through = Tag.claims.through
        existing = set(through.objects.filter(claim_id__in=claim_ids, tag__in=tags).values_list("claim_id", "tag_id"))
        links = [
            through(claim_id=claim_id, tag_id=tag.pk)
            for claim_id in claim_ids
            for tag in tags
            if (claim_id, tag.pk) not in existing
        ]
        through.objects.bulk_create(links)
    return len(links)


def set_claim_tags(claim: Claim, names: str | list[str], *, by) -> list[Tag]:
    """Make ``claim``'s tags exactly ``names``."""
    _may_tag(by)
    names = parse(names)
    with transaction.atomic():
        tags = _tags(names, by=by)
        claim.tags.set(tags)
    return tags


def tag_counts() -> list[tuple[str, int]]:
    """Each tag with its number of claims, most used first (the dashboard)."""
    return list(Tag.objects.annotate(n=Count("claims")).filter(n__gt=0).order_by("-n", "name").values_list("name", "n"))


def attach_imported(names_by_claim: dict[int, list[str]]) -> int:
    """Tags from another tool's history on claims, created private when new (an editor
    decides what is public); names are matched without regard to case. Returns the links created."""
    wanted = {name.lower(): name for names in names_by_claim.values() for name in names}
    if not wanted:
        return 0
    with transaction.atomic():
        found = {t.name.lower(): t for t in Tag.objects.filter(name__in=list(wanted.values()))}
        for key, name in wanted.items():
            if key not in found:
                found[key] = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        through = Tag.claims.through
        ids = list(names_by_claim)
        existing = set(through.objects.filter(claim_id__in=ids).values_list("claim_id", "tag_id"))
        links = {
            (claim_id, found[name.lower()].pk) for claim_id, names in names_by_claim.items() for name in names
        } - existing
        through.objects.bulk_create([through(claim_id=c, tag_id=t) for c, t in sorted(links)])
    return len(links)

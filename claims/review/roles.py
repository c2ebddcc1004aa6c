"""The Editors and Reviewers groups and the permissions each role holds."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
REVIEWERS = "Reviewers"

# codename lists per model; "view" alone means read-only in the admin.
ROLE_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    EDITORS: {
        "outlet": ["view", "add", "change"],
        "article": ["view", "add", "change"],
        "claimant": ["view", "add", "change"],
        "claim": [
            "view",
            "add",
            "change",
            "triage_claim",
            "assign_claim",
            "approve_verdict",
            "correct_verdict",
            "retract_claim",
        ],
        "evidence": ["view", "add", "change"],
        "verdict": ["view", "change"],
        "ratingscale": ["view", "add", "change"],
        "rating": ["view", "add", "change"],
        "reviewevent": ["view"],
        "claimantcontact": ["view", "add", "change"],
        "externalreview": ["view"],
        "evidencecheck": ["view"],
        # Editors follow what their publications send out; managing subscriptions is a superuser's.
        "webhooksubscription": ["view"],
        "webhookdelivery": ["view"],
        "webhookattempt": ["view"],
        "note": ["view", "add", "change"],
        "claimtask": ["view", "change"],
        # Editors keep the desk's checklist.
        "checklisttemplatetask": ["view", "add", "change", "delete"],
        "tag": ["view", "add", "change"],
        # The tips inbox: editors read readers' requests and mark spam (change).
        "tip": ["view", "change"],
        "tipreply": ["view"],
        # Outlet monitoring: editors choose what to watch; the Repeats queue is a view of claims.
        "watchedsource": ["view", "add", "change", "delete"],
        "watcheditem": ["view"],
        "repeatqueueclaim": ["view"],
    },
    REVIEWERS: {
        "outlet": ["view", "add"],
        "article": ["view", "add"],
        "claimant": ["view", "add", "change"],
        "claim": ["view", "change", "research_claim"],
        "evidence": ["view", "add", "change", "delete"],
        "verdict": ["view", "add", "change"],
        "ratingscale": ["view"],
        "rating": ["view"],
        "reviewevent": ["view"],
        "claimantcontact": ["view", "add", "change"],
        "externalreview": ["view"],
        "evidencecheck": ["view"],
        "note": ["view", "add", "change"],
        "claimtask": ["view", "change"],
        "checklisttemplatetask": ["view"],
        "tag": ["view", "add"],
        "tip": ["view"],
    },
}


def _codename(action: str, model: str) -> str:
    return f"{action}_{model}" if action in {"view", "add", "change", "delete"} else action


def sync_role_groups() -> dict[str, Group]:
    """Create the role groups and set exactly the permissions listed above.

    Idempotent: running it again changes nothing.
    """
    groups = {}
    for group_name, models in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = set()
        for model, actions in models.items():
            for action in actions:
                wanted.add(_codename(action, model))
        perms = list(Permission.objects.filter(content_type__app_label="claims", codename__in=wanted))
        missing = wanted - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"Permissions missing for {group_name}: {sorted(missing)}; run migrate first.")
        group.permissions.set(perms)
        groups[group_name] = group
    return groups


def sync_role_groups_after_migrate(sender, using="default", plan=None, **kwargs) -> None:
    from django.contrib.auth.management import create_permissions

    # post_migrate handlers run in app order; make sure our permissions exist.
    create_permissions(sender, verbosity=0, using=using)
    sync_role_groups()

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Fact-checking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from claims.matching.checks import semantic_backend
        from claims.review import roles

        checks.register(semantic_backend, checks.Tags.database)

        # Permissions exist only after migrate has created them, so the role
        # groups are kept in step here rather than in a migration.
        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)

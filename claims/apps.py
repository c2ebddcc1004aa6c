from __future__ import annotations

import logging

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate

logger = logging.getLogger("claims")


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Fact-checking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import roles

        # Permissions exist only after migrate has created them, so the role
        # groups are kept in step here rather than in a migration.
        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.warning(
                "CELERY_BROKER_URL is not set: background tasks run eagerly in-process. "
                "Set it (e.g. redis://127.0.0.1:6379/0) and run a worker in production."
            )

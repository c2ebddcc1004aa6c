"""What a serving process says about its configuration when it starts."""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger("factcheck")


def log_configuration() -> None:
    """Called once per process by the WSGI and ASGI entry points (and so by runserver)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        logger.warning(
            "CELERY_BROKER_URL is not set: background tasks run eagerly in-process. "
            "Set it (e.g. redis://127.0.0.1:6379/0) and run a worker in production."
        )

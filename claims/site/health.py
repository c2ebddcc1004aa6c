from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from claims.models import ServiceHeartbeat

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers, 503 when it does not.

    The worker's last heartbeat is reported for monitoring but does not fail
    the check: a stopped worker delays work, it does not take the site down.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        heartbeat = ServiceHeartbeat.objects.filter(service="celery-worker").values_list("seen_at", flat=True).first()
    except DatabaseError as exc:
        logger.error("health check: database unavailable: %s", exc)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "worker_last_seen": heartbeat.isoformat() if heartbeat else None,
        }
    )

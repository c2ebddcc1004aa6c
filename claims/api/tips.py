"""Tips in from machines and channels: ``POST /api/v1/tips/`` (no login) and the
WhatsApp and Telegram webhooks.

The API takes what the web form takes (``claims.tiplines.tips.submit``, same
limits and messages) and answers with the match at once when there is one. The
webhooks check the channel's signature over the raw body before reading it,
keep the signed body with one INSERT (``tips.accept_delivery``: an outbox row a
worker reads, storing each message once and queueing its processing) and answer
200; a channel whose settings are missing is off and its webhook answers 404.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.models import Channel
from claims.tiplines import channels, tips


# Left out of the OpenAPI schema: its limits (a few tips a minute per address, URLs
# that must resolve to public addresses) are not things a schema can state, and
# the README documents it.
@extend_schema(exclude=True)
class TipCreate(APIView):
    permission_classes = [AllowAny]
    # No session: no CSRF to check, and no API key needed. The limits are the tipline's own.
    authentication_classes: list = []
    throttle_classes: list = []

    def post(self, request):
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            return Response({"detail": "Send a JSON object with text and/or url."}, status=400)
        values = {}
        for field in ("text", "url", "email", "website"):
            value = data.get(field, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                return Response({field: ["Must be a string."]}, status=400)
            values[field] = value
        try:
            tip = tips.submit(
                tips.WebTip(text=values["text"], url=values["url"], email=values["email"], honeypot=values["website"]),
                address=tips.client_address(request),
            )
        except tips.RateLimited as exc:
            return Response(
                {"detail": str(exc), "retry_after": exc.retry_after},
                status=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        except tips.TipRefused as exc:
            return Response(exc.errors, status=400)
        tips.process(tip.pk)
        tip.refresh_from_db()
        status = "received" if tip.status == tip.Status.SPAM else tip.status
        return Response({"id": tip.pk, "status": status, "answer": tips.answer_of(tip)}, status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request):
    if not channels.whatsapp_enabled():
        raise Http404("WhatsApp is not configured.")
    if request.method == "GET":
        # The verification handshake Meta makes when the webhook URL is set.
        token = request.GET.get("hub.verify_token", "")
        if request.GET.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), settings.WHATSAPP_VERIFY_TOKEN.encode()
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("Wrong verify token.")
    body = request.body
    if not channels.whatsapp_signature_valid(body, request.headers.get("X-Hub-Signature-256")):
        return HttpResponseForbidden("Bad signature.")
    return _accept(Channel.WHATSAPP, body)


@csrf_exempt
@require_http_methods(["POST"])
def telegram_webhook(request):
    if not channels.telegram_enabled():
        raise Http404("Telegram is not configured.")
    if not channels.telegram_secret_valid(request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
        return HttpResponseForbidden("Bad secret token.")
    return _accept(Channel.TELEGRAM, request.body)


def _accept(channel: str, body: bytes) -> HttpResponse:
    try:
        tips.accept_delivery(channel, body)
    except channels.PayloadError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return HttpResponse("ok", content_type="text/plain")

"""URLs of the tiplines benchmark's server: the project's, plus the floor: the webhook's
signature check over the raw body and a 200, nothing else."""

import hashlib
import hmac

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from factcheck.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def signed_200(request):
    expected = "sha256=" + hmac.new(settings.WHATSAPP_APP_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", "")):
        return HttpResponseForbidden("Bad signature.")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("floor/webhooks/whatsapp/", signed_200), *project_urlpatterns]

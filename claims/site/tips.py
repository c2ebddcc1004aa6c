"""The public tip form at ``/tips/``: a reader asks whether something is true.

CSRF-protected (the middleware), limited per address and in total
(``tips.check_rate``), a honeypot field for bots; the answer is shown at once when
a published fact-check matches, else the tip waits for the desk. Nothing a reader
sends is shown to anyone else.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from claims.tiplines import replies, tips


@require_http_methods(["GET", "HEAD", "POST"])
def tip_form(request):
    context = {"max_chars": tips.MAX_TEXT, "values": {}}
    if request.method != "POST":
        return render(request, "claims/tip_form.html", context)
    data = tips.WebTip(
        text=request.POST.get("text", ""),
        url=request.POST.get("url", ""),
        email=request.POST.get("email", ""),
        honeypot=request.POST.get("website", ""),
    )
    context["values"] = {"text": data.text, "url": data.url, "email": data.email}
    try:
        tip = tips.submit(data, address=tips.client_address(request))
    except tips.RateLimited as exc:
        context["errors"] = {"__all__": [str(exc)]}
        response = render(request, "claims/tip_form.html", context, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except tips.TipRefused as exc:
        context["errors"] = exc.errors
        return render(request, "claims/tip_form.html", context, status=400)
    tips.process(tip.pk)
    tip.refresh_from_db()
    return render(request, "claims/tip_answer.html", {"tip": tip, "answer": tips.answer_of(tip)})


@require_http_methods(["GET", "HEAD", "POST"])
def tip_unsubscribe(request, token: str):
    requester_id = replies.requester_for_token(token)
    if requester_id is None:
        return HttpResponse("This unsubscribe link is not valid.", status=404, content_type="text/plain")
    done = request.method == "POST" and (tips.unsubscribe(requester_id) or True)
    return render(request, "claims/tip_unsubscribe.html", {"done": done})

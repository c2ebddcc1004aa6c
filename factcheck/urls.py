from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from claims.admin import collaboration, dashboard
from claims.api import docs
from claims.api import tips as tip_webhooks
from claims.site import health, pages, tips

admin.site.site_header = "Fact-check desk"
admin.site.site_title = "Fact-check desk"
admin.site.index_title = "Workspace"

# Redoc (drf-spectacular-sidecar) searches in a worker made from a blob: URL, and
# its bundle adds perfect-scrollbar's stylesheet as a <style> element before it
# can be handed the nonce: allowed by hash, empty and then filled. On upgrading
# the sidecar, tests/test_e2e_admin_workflow.py reports the new hash if it changed.
api_docs = csp_update(
    {
        "worker-src": ["'self'", "blob:"],
        "style-src": [
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
            "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
        ],
    }
)(SpectacularRedocView.as_view(url_name="api-schema"))

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="fact-check-list", permanent=False)),
    path("fact-checks/", pages.fact_check_list, name="fact-check-list"),
    path("fact-checks/feed/", pages.FactCheckFeed(), name="fact-check-feed"),
    path("fact-checks/<str:slug>/", pages.fact_check_detail, name="fact-check-detail"),
    path("methodology/", pages.methodology, name="methodology"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("corrections/", pages.corrections, name="corrections"),
    path("tips/", tips.tip_form, name="tip-form"),
    path("tips/unsubscribe/<str:token>/", tips.tip_unsubscribe, name="tip-unsubscribe"),
    path("webhooks/whatsapp/", tip_webhooks.whatsapp_webhook, name="whatsapp-webhook"),
    path("webhooks/telegram/", tip_webhooks.telegram_webhook, name="telegram-webhook"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/dashboard/", admin.site.admin_view(dashboard.dashboard_view), name="claims-dashboard"),
    path("admin/notifications/", admin.site.admin_view(collaboration.notifications_view), name="claims-notifications"),
    path(
        "admin/notifications/<int:pk>/open/",
        admin.site.admin_view(collaboration.open_notification),
        name="claims-notification-open",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("claims.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/docs/redoc.standalone.js", docs.redoc_bundle_view, name="api-docs-redoc"),
]

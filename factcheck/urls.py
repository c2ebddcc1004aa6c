from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from claims import dashboard, pages, views

admin.site.site_header = "Fact-check desk"
admin.site.site_title = "Fact-check desk"
admin.site.index_title = "Workspace"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="fact-check-list", permanent=False)),
    path("fact-checks/", pages.fact_check_list, name="fact-check-list"),
    path("fact-checks/feed/", pages.FactCheckFeed(), name="fact-check-feed"),
    path("fact-checks/<str:slug>/", pages.fact_check_detail, name="fact-check-detail"),
    path("methodology/", pages.methodology, name="methodology"),
    path("corrections/", pages.corrections, name="corrections"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/dashboard/", admin.site.admin_view(dashboard.dashboard_view), name="claims-dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("claims.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
]

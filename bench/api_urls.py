"""URLs of the API benchmark's server: the project's, plus the floor under /floor/."""

from django.urls import path

from factcheck.urls import urlpatterns as project_urlpatterns

from . import api_floor

urlpatterns = [
    path("floor/api/v1/fact-checks/", api_floor.fact_check_list),
    path("floor/api/v1/fact-checks/<int:pk>/", api_floor.fact_check_detail),
    *project_urlpatterns,
]

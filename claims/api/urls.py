from django.urls import path
from rest_framework.routers import SimpleRouter

from . import collaboration, internal, internal_crud, match, tips, views

router = SimpleRouter()
router.register("articles", internal_crud.ArticleViewSet, basename="api-article")
router.register("claims", internal_crud.ClaimViewSet, basename="api-claim")

urlpatterns = [
    path("claims/<int:pk>/transitions/", internal.ClaimTransition.as_view(), name="api-claim-transition"),
    path("claims/<int:pk>/notes/", collaboration.ClaimNotes.as_view(), name="api-claim-notes"),
    path("claims/<int:pk>/notes/<int:note_id>/", collaboration.ClaimNote.as_view(), name="api-claim-note"),
    path("claims/<int:pk>/tasks/", collaboration.ClaimTasks.as_view(), name="api-claim-tasks"),
    path("claims/<int:pk>/tasks/<int:task_id>/", collaboration.ClaimTaskDetail.as_view(), name="api-claim-task"),
    path("claims/<int:pk>/tags/", collaboration.ClaimTags.as_view(), name="api-claim-tags"),
    path("fact-checks/", views.FactCheckList.as_view(), name="api-fact-check-list"),
    path("fact-checks/<int:pk>/", views.FactCheckDetail.as_view(), name="api-fact-check-detail"),
    path("fact-checks/<int:pk>/claimreview", views.FactCheckClaimReview.as_view(), name="api-fact-check-claimreview"),
    path("fact-checks/match", match.FactCheckMatch.as_view(), name="api-fact-check-match"),
    path("tips/", tips.TipCreate.as_view(), name="api-tip-create"),
    *router.urls,
]

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from audit.api import CheckpointViewSet, ConsistencyProofView, InclusionProofView, VerifyView
from filing.api import ContentViewSet, JurisdictionViewSet, RequestViewSet
from portal import views as portal_views

router = DefaultRouter()
router.register("requests", RequestViewSet, basename="request")
router.register("jurisdictions", JurisdictionViewSet, basename="jurisdiction")
router.register("content", ContentViewSet, basename="content")
router.register("audit/checkpoints", CheckpointViewSet, basename="checkpoint")


urlpatterns = [
    path("healthz", portal_views.healthz, name="healthz"),
    path("", include("operations.urls")),
    path("", portal_views.landing, name="landing"),
    path("admin/", admin.site.urls),
    # Any integer reaches the view, so that a negative index is answered in the API's error format.
    re_path(r"^api/v1/audit/events/(?P<index>-?[0-9]+)/proof/$", InclusionProofView.as_view(), name="inclusion-proof"),
    path("api/v1/audit/consistency/", ConsistencyProofView.as_view(), name="consistency-proof"),
    path("api/v1/audit/verify/", VerifyView.as_view(), name="verify-log"),
    path("api/v1/", include(router.urls)),
    path("", include("audit.urls")),
    path("", include("transparency.urls")),
    path("", include("feed.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("portal.urls")),
    path("", include("classroom.urls")),
]

# The site's own pages for errors (whenever debug is off); the API answers in its error format.
handler400 = "portal.views.errors.bad_request"
handler403 = "portal.views.errors.permission_denied"
handler404 = "portal.views.errors.page_not_found"
handler500 = "portal.views.errors.server_error"

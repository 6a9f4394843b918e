from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from portal import views as portal_views
from reports.api import ContentViewSet, JurisdictionViewSet, RequestViewSet

router = DefaultRouter()
router.register("requests", RequestViewSet, basename="request")
router.register("jurisdictions", JurisdictionViewSet, basename="jurisdiction")
router.register("content", ContentViewSet, basename="content")

urlpatterns = [
    path("", portal_views.landing, name="landing"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("", include("audit.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("portal.urls")),
]

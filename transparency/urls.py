"""Routes of the auditors' request log (/api/v1/audit/requests/, exports, uniformity), the figures and pages."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from transparency import api, views

app_name = "transparency"

router = SimpleRouter()
router.register("requests", api.AuditRequestViewSet, basename="audit-request")
router.register("exports", api.ExportJobViewSet, basename="audit-export")

urlpatterns = [
    path("api/v1/audit/uniformity/", api.UniformityView.as_view(), name="uniformity"),
    path("api/v1/audit/", include(router.urls)),
    path("api/v1/transparency/", api.TransparencyView.as_view(), name="transparency-api"),
    path("transparency/", views.transparency_page, name="transparency"),
    path("transparency/<str:code>/", views.transparency_country_page, name="transparency-country"),
]

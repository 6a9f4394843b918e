"""Routes of the audit trail's API: its events (/api/v1/audit/events/).

The checkpoints and proofs are routed in config/urls.py, beside the API's index.
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from audit import api

app_name = "audit"

router = SimpleRouter()
router.register("events", api.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("api/v1/audit/", include(router.urls)),
]

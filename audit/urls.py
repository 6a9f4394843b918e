"""Routes of the audit trail's API (/api/v1/audit/events/) and of the log as C2SP tiles (/log/).

The checkpoints and proofs are routed in config/urls.py, beside the API's index.
"""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from audit import api, views

app_name = "audit"

router = SimpleRouter()
router.register("events", api.AuditEventViewSet, basename="audit-event")

# A tile index (x001/234, or 005.p/17 for a partial tile): the view parses and checks it (audit/tiles.py).
TILE = r"(?P<path>[x0-9/.p]+)"

urlpatterns = [
    path("api/v1/audit/", include(router.urls)),
    # The log as C2SP static files (tlog-tiles), under the origin's path.
    path("log/checkpoint", views.checkpoint, name="log-checkpoint"),
    path("log/vkey", views.vkey, name="log-vkey"),
    re_path(rf"^log/tile/entries/{TILE}$", views.EntryBundleView.as_view(), name="log-entries"),
    re_path(rf"^log/tile/(?P<level>[0-9])/{TILE}$", views.tile, name="log-tile"),
]

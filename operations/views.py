"""The installation's own endpoints: readiness for monitors (public) and metrics for Prometheus (a token).

``/readyz`` answers JSON, 200 or 503 (operations/readiness.py). ``/metrics`` is for the holder
of CRS_METRICS_TOKEN only: the figures are aggregates, but they say how busy each jurisdiction
is and how the log is doing, so they are not public. With no token set it is off and says how
to turn it on.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from operations.metrics import metrics_exposition
from operations.readiness import readiness_report

METRICS_OFF = ("Metrics are turned off on this server: set CRS_METRICS_TOKEN to a random string and scrape "
               "/metrics with the header 'Authorization: Bearer <that token>'.\n")
MISSING_BEARER = "This endpoint needs the header 'Authorization: Bearer <CRS_METRICS_TOKEN>'.\n"


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    expected = settings.CRS_METRICS_TOKEN
    if not expected:
        return HttpResponse(METRICS_OFF, status=403, content_type="text/plain; charset=utf-8")
    # Compared in constant time: the token guards an endpoint anyone on the network can reach.
    if not hmac.compare_digest(_bearer_token(request).encode(), expected.encode()):
        response = HttpResponse(MISSING_BEARER, status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


@never_cache
@require_GET
def readyz(request):
    report = readiness_report()
    return JsonResponse(report.as_dict(), status=200 if report.ready else 503, json_dumps_params={"indent": 2})

"""Readiness for load balancers, orchestrators and on-call people: JSON, 200 or 503."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from operations.readiness import readiness_report


@never_cache
@require_GET
def readyz(request):
    report = readiness_report()
    return JsonResponse(report.as_dict(), status=200 if report.ready else 503, json_dumps_params={"indent": 2})

"""The admin site: review's queues, and for administrators whether the installation does its work.

Installed as Django's default admin site (operations.apps.InstallationAdminConfig). The
readiness panel is the same report /readyz answers (operations/readiness.py), in words.
"""

from __future__ import annotations

from operations.readiness import readiness_report
from review.admin_site import ReviewAdminSite


class InstallationAdminSite(ReviewAdminSite):
    index_template = "admin/operations/index.html"

    def index(self, request, extra_context=None):
        context = dict(extra_context or {})
        if request.user.is_superuser:
            context["readiness"] = readiness_report()
        return super().index(request, extra_context=context)

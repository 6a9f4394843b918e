"""The admin site reviewers work in: its index opens on the queues.

The installation's admin site (operations.admin_site.InstallationAdminSite) extends it and is
Django's default admin site (operations.apps.InstallationAdminConfig), so
``admin.site`` and ``@admin.register`` everywhere else keep working unchanged.
It lives outside the review.admin package on purpose: the site is built the first
time anything registers a model, and building it must not import the modules that
register (they would register on a site that is then replaced).
"""

from __future__ import annotations

from django.contrib import admin

from reports.auth import AdminLoginForm
from reports.models import Appeal
from reports.tenancy import exercise_for_user
from review.selectors import claims_of, queue_overview


class ReviewAdminSite(admin.AdminSite):
    site_header = "CRS Simulator — review"
    site_title = "CRS review"
    index_title = "Review queues and records"
    index_template = "admin/review/index.html"
    login_form = AdminLoginForm
    # The request list needs the screen's width at 1366 px; the index lists every model anyway.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        context = dict(extra_context or {})
        if request.user.has_perm("reports.view_takedownrequest"):
            exercise = exercise_for_user(request.user)
            context["review_queues"] = queue_overview(exercise=exercise, user=request.user)
            context["review_claims"] = list(claims_of(exercise=exercise, user=request.user)[:20])
            context["review_can_claim"] = request.user.has_perm("reports.review_takedownrequest")
        if request.user.has_perm("reports.view_appeal"):
            context["appeals_waiting"] = Appeal.objects.filter(exercise=exercise_for_user(request.user),
                                                               status=Appeal.Status.PENDING).count()
        return super().index(request, extra_context=context)

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ReviewConfig(AppConfig):
    default = True
    name = "review"
    verbose_name = "Review"


class ReviewAdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose index page opens on the review queues (review/admin_site.py)."""

    default = False  # named explicitly in INSTALLED_APPS; the review app itself is ReviewConfig
    default_site = "review.admin_site.ReviewAdminSite"

"""Routes of the live feed: the pull feed (/api/v1/audit/feed/)."""

from django.urls import path

from feed import api

app_name = "feed"

urlpatterns = [
    path("api/v1/audit/feed/", api.FeedView.as_view(), name="audit-feed"),
]

from django.urls import path

from operations import views_metrics

urlpatterns = [
    path("metrics", views_metrics.metrics, name="metrics"),
]

from django.urls import path

from classroom import views

app_name = "classroom"

EXERCISE = "exercises/<slug:slug>/"

urlpatterns = [
    path("exercises/", views.home, name="home"),
    path("exercises/new/", views.exercise_new, name="new"),
    path("exercises/join/", views.join, name="join"),
    path(EXERCISE, views.exercise_page, name="exercise"),
    path(EXERCISE + "roles/", views.roles_assign, name="assign"),
    path(EXERCISE + "roles/reporters/", views.reporters_distribute, name="distribute"),
    path(EXERCISE + "open/", views.exercise_open, name="open"),
    path(EXERCISE + "close/", views.exercise_close, name="close"),
    path(EXERCISE + "debrief/", views.debrief, name="debrief"),
    path(EXERCISE + "debrief/print/", views.debrief_print, name="debrief-print"),
    path(EXERCISE + "split-view/", views.split_view_page, name="split-view"),
]

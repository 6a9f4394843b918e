"""Two classes on one installation: neither sees the other's requests, posts, notices, appeals or records."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from reports.errors import NotAllowed
from reports.models import ContentItem, ExerciseRole
from review.services import appeal_file, request_claim
from tests.builders import decided
from tests.exercises import enrol, new_exercise, post_by_ordinary_user, student_files

pytestmark = pytest.mark.django_db


def _class(instructor, name: str, prefix: str):
    exercise = new_exercise(instructor, name)
    post = post_by_ordinary_user(exercise)
    people = SimpleNamespace(
        exercise=exercise, post=post,
        reporter=enrol(exercise, instructor, f"{prefix}_reporter", ExerciseRole.REPORTER, agency="kz-misd"),
        reviewer=enrol(exercise, instructor, f"{prefix}_reviewer", ExerciseRole.SENIOR_REVIEWER),
        auditor=enrol(exercise, instructor, f"{prefix}_auditor", ExerciseRole.AUDITOR),
        author=enrol(exercise, instructor, f"{prefix}_author", ExerciseRole.AFFECTED_USER, account=post.author),
    )
    people.request = student_files(people.reporter, [post.code])
    return people


@pytest.fixture
def two_classes(instructor):
    """Classes A and B of the same scenario, with the same agency and the same post reported in each.

    In A the post is restricted and its author has appealed; in B the request waits in its queue.
    """
    a, b = _class(instructor, "Class A", "a"), _class(instructor, "Class B", "b")
    a.request = decided(a.reviewer, a.request)
    a.appeal = appeal_file(user=a.author, item=a.request.items.get(), statement="It is a report, not incitement.")
    assert a.post.code == b.post.code and a.post.pk != b.post.pk
    return SimpleNamespace(a=a, b=b)


def test_reporters_see_only_their_exercise_on_the_portal_and_the_platform(client_for, two_classes):
    a, b = two_classes.a, two_classes.b
    reporter = client_for(a.reporter)

    dashboard = reporter.get("/portal/").content.decode()
    assert a.request.reference in dashboard and b.request.reference not in dashboard
    assert reporter.get(f"/portal/requests/{b.request.reference}/").status_code == 404

    feed = reporter.get("/platform/")
    assert {post.exercise_id for post in feed.context["page"]} == {a.exercise.pk}
    assert feed.context["page"].paginator.count == ContentItem.objects.filter(exercise=a.exercise).count()
    # A's decision withholds the post in Kazakhstan in A only
    assert not ContentItem.objects.get(pk=a.post.pk).visible_in("KZ")
    assert ContentItem.objects.get(pk=b.post.pk).visible_in("KZ")


def test_affected_users_see_notices_about_their_own_exercise_only(client_for, two_classes):
    a, b = two_classes.a, two_classes.b

    page_a = client_for(a.author).get("/platform/")
    page_b = client_for(b.author).get("/platform/")

    assert [notice.item.pk for notice in page_a.context["notices"]] == [a.request.items.get().pk]
    assert page_b.context["notices"] == []
    assert "The platform has not removed or restricted any of your posts." in page_b.content.decode()
    assert client_for(b.author).get(f"/platform/notices/{a.request.items.get().pk}/").status_code == 404


def test_reviewers_see_and_act_on_their_exercise_only_in_the_admin(client_for, two_classes):
    a, b = two_classes.a, two_classes.b
    admin = client_for(b.reviewer)

    listing = admin.get("/admin/reports/takedownrequest/")
    assert [r.reference for r in listing.context["cl"].result_list] == [b.request.reference]
    assert admin.get(f"/admin/reports/takedownrequest/{a.request.pk}/change/").status_code == 302  # not found
    assert list(admin.get("/admin/reports/appeal/").context["cl"].result_list) == []
    assert list(client_for(a.reviewer).get("/admin/reports/appeal/").context["cl"].result_list) == [a.appeal]
    assert admin.get(f"/admin/reports/appeal/{a.appeal.pk}/decide/").status_code == 404
    events = admin.get("/admin/audit/auditevent/").context["cl"].result_list
    assert {event.exercise_id for event in events} <= {b.exercise.pk, None}
    with pytest.raises(NotAllowed, match="belongs to another exercise"):
        request_claim(reviewer=b.reviewer, request=a.request)


def test_auditors_read_their_exercise_only_through_the_api(two_classes):
    a, b = two_classes.a, two_classes.b
    api = APIClient()
    api.force_authenticate(a.auditor)

    requests = api.get("/api/v1/audit/requests/").json()
    assert [row["reference"] for row in requests["results"]] == [a.request.reference]
    events = api.get("/api/v1/audit/events/?limit=500").json()["results"]
    assert b.request.reference not in {event.get("request") for event in events}
    assert "appeal_filed" in {event["type"] for event in events}
    figures = api.get("/api/v1/transparency/").json()["totals"]
    assert (figures["requests"], figures["appeals"]["filed"]) == (1, 1)

    api.force_authenticate(b.auditor)
    assert api.get("/api/v1/transparency/").json()["totals"]["appeals"]["filed"] == 0

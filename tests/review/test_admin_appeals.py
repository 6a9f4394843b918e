"""The appeals queue in the admin: waiting appeals on the index, decided on their own page by a second reviewer."""

from __future__ import annotations

import pytest

from reports.models import Appeal
from review.services import appeal_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def appeal(restricted) -> Appeal:
    return appeal_file(user=restricted.author, item=restricted.item, statement="A report of a meeting, nothing more.")


def test_the_index_counts_waiting_appeals_and_the_queue_lists_them(client_for, restricted, appeal):
    admin = client_for(restricted.legal)

    index = admin.get("/admin/").content.decode()
    assert '<a href="/admin/reports/appeal/?status__exact=pending" data-count="appeals-waiting">1 appeal waiting</a>' \
        in index
    listing = admin.get("/admin/reports/appeal/?status__exact=pending")
    assert list(listing.context["cl"].result_list) == [appeal]
    page = admin.get(f"/admin/reports/appeal/{appeal.pk}/change/").content.decode()
    assert "Decide this appeal…" in page


def test_the_reviewer_who_decided_is_told_to_leave_the_appeal_to_another(client_for, restricted, appeal):
    admin = client_for(restricted.senior)

    page = admin.get(f"/admin/reports/appeal/{appeal.pk}/change/").content.decode()
    assert "Decide this appeal…" not in page
    assert "another reviewer must decide it" in page
    refused = admin.post(f"/admin/reports/appeal/{appeal.pk}/decide/",
                         {"outcome": "reversed", "rationale": "I was wrong."})
    assert refused.status_code == 400
    assert "You made the decision under appeal: another reviewer must decide the appeal." in refused.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == "pending"


def test_a_bad_appeal_decision_is_explained_and_a_good_one_recorded(client_for, restricted, appeal):
    admin = client_for(restricted.legal)
    url = f"/admin/reports/appeal/{appeal.pk}/decide/"

    refused = admin.post(url, {"outcome": "", "rationale": " "})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Choose upheld (the decision stands) or reversed (the post is restored)." in html
    assert "Write the rationale: the author reads it and it is kept in the record." in html
    assert Appeal.objects.get(pk=appeal.pk).status == "pending"

    done = admin.post(url, {"outcome": "upheld", "rationale": "The court order names this post."}, follow=True)
    assert done.redirect_chain[-1][0] == "/admin/reports/appeal/"
    assert "Appeal upheld: the decision stands. The author has been told." in done.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == "upheld"

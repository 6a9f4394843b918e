"""The request page: what the reviewer reads before deciding, all of it read-only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language_info

from filing.services import evidence_attach, request_respond
from reports.models import LegalProvision, Status
from review.services import request_ask_info, request_claim, request_screen
from review.vocabulary import flag_label
from tests.builders import JUSTIFICATION, filed_and_screened

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def page(request) -> str:
    return reverse("admin:reports_takedownrequest_change", args=[request.pk])


def test_page_shows_the_items_with_author_persona_and_context(client_for, file_request, legal_reviewer):
    takedown = file_request("human_rights")
    snapshot = takedown.items.get().snapshot

    response = client_for(legal_reviewer).get(page(takedown))

    assert response.status_code == 200
    html = response.content.decode()
    assert snapshot["text"][:60] in html
    assert f"@{snapshot['author']}" in html
    assert 'data-persona="journalist">Journalist</span>' in html
    language = get_language_info(snapshot["language"])["name"]
    assert f"Kazakhstan · in {language}" in html, "the post's country and language in words, not codes"
    assert takedown.items.get().snapshot_sha256 in html
    assert "Visible everywhere" in html


def test_page_shows_the_four_checks_with_explanations_and_flags(client_for, file_request, policy_reviewer):
    takedown = file_request("human_rights")

    response = client_for(policy_reviewer).get(page(takedown))

    checks = response.context["checks"]
    assert [check.name for check in checks] == ["completeness", "platform_policy", "local_law", "human_rights"]
    html = response.content.decode()
    for check in checks:
        assert escape(check.explanation) in html
        for flag in check.flags:
            # Each flag in words, its code kept where a reviewer hovers to cite it.
            assert f'<span class="crs-flag" title="{flag}">{escape(flag_label(flag))}</span>' in html
    assert "Necessity and proportionality" in html


def test_page_shows_cited_provisions_with_human_rights_notes_and_the_court_order(client_for, file_request,
                                                                                 legal_reviewer):
    takedown = file_request("legal")
    provision = LegalProvision.objects.get(code="KZ-CC-174")

    html = client_for(legal_reviewer).get(page(takedown)).content.decode()

    assert "KZ-CC-174 — Criminal Code of the Republic of Kazakhstan art. 174" in html
    assert "criticised as vague or overbroad" in html
    assert provision.hr_notes[:60] in html
    assert "Almaty district court, case 2-123/2021." in html


def test_page_shows_the_timeline_and_messages(client_for, file_request, legal_reviewer):
    takedown = file_request("legal")
    request_claim(reviewer=legal_reviewer, request=takedown)
    request_ask_info(reviewer=legal_reviewer, request=takedown, message="Which hearing was the order made at?")

    response = client_for(legal_reviewer).get(page(takedown))

    titles = [entry.title for entry in response.context["timeline"]]
    assert titles[0] == "Submitted by Ministry of Information and Social Development"
    assert "Queued for Local law review (priority 3)" in titles
    assert titles[-2:] == ["Review started", "Information requested"]
    html = response.content.decode()
    assert "Which hearing was the order made at?" in html
    assert 'data-event="request_claimed"' in html
    assert "not yet sealed" in html  # the sequencer has not run: no event has a log leaf yet


def test_earlier_screening_rounds_are_collapsed_under_the_latest(client_for, file_request, kz_reporter, legal_reviewer):
    # given: a request asked for information, answered, and screened again
    takedown = file_request("legal")
    request_claim(reviewer=legal_reviewer, request=takedown)
    request_ask_info(reviewer=legal_reviewer, request=takedown, message="Attach the order.")
    request_respond(reporter=kz_reporter, request=takedown, message="The order is attached.")
    request_screen(request_id=takedown.pk)

    # when
    response = client_for(legal_reviewer).get(page(takedown))

    # then
    assert [c.round for c in response.context["checks"]] == [2, 2, 2, 2]
    assert [r.round for r in response.context["earlier_rounds"]] == [1]
    assert '<details class="crs-earlier">' in response.content.decode()
    assert "Earlier screening: round 1" in response.content.decode()


def test_page_links_evidence_through_a_permission_checked_download(client_for, file_request, kz_reporter,
                                                                   legal_reviewer):
    takedown = file_request("legal")
    evidence = evidence_attach(reporter=kz_reporter, request=takedown,
                               upload=SimpleUploadedFile("order scan.png", PNG, content_type="image/png"),
                               kind="court_order")
    url = reverse("admin:reports_takedownrequest_evidence", args=[takedown.pk, evidence.pk])

    assert url in client_for(legal_reviewer).get(page(takedown)).content.decode()
    response = client_for(legal_reviewer).get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="order scan.png"'


def test_evidence_is_refused_to_staff_without_the_evidence_permission(client_for, file_request, kz_reporter,
                                                                      platform_staff):
    takedown = file_request("legal")
    evidence = evidence_attach(reporter=kz_reporter, request=takedown,
                               upload=SimpleUploadedFile("scan.png", PNG, content_type="image/png"))
    url = reverse("admin:reports_takedownrequest_evidence", args=[takedown.pk, evidence.pk])

    assert client_for(platform_staff).get(url).status_code == 403
    assert client_for(kz_reporter.user).get(url).status_code == 302  # not staff: sent to the admin login


def test_an_evidence_id_of_another_request_is_not_found(client_for, file_request, kz_reporter, legal_reviewer):
    takedown, other = file_request("legal"), file_request("legal")
    evidence = evidence_attach(reporter=kz_reporter, request=other,
                               upload=SimpleUploadedFile("scan.png", PNG, content_type="image/png"))

    url = reverse("admin:reports_takedownrequest_evidence", args=[takedown.pk, evidence.pk])
    assert client_for(legal_reviewer).get(url).status_code == 404


def test_the_page_is_read_only(client_for, file_request, senior_reviewer):
    takedown = file_request("policy")
    client = client_for(senior_reviewer)

    response = client.get(page(takedown))
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()

    response = client.post(page(takedown), {"justification": "changed", "status": "decided"})
    assert response.status_code == 403
    takedown.refresh_from_db()
    assert (takedown.status, takedown.justification) == (Status.QUEUED, JUSTIFICATION)


def test_the_page_uses_no_inline_styles_or_scripts(client_for, file_request, policy_reviewer):
    takedown = file_request("policy")
    request_claim(reviewer=policy_reviewer, request=takedown)

    html = client_for(policy_reviewer).get(page(takedown)).content.decode()

    assert " style=" not in html and "<style" not in html
    assert "<script>" not in html and " onclick=" not in html
    assert "/static/review/admin.css" in html


def test_the_page_issues_the_same_number_of_queries_for_more_items(client_for, kz_reporter, legal_reviewer,
                                                                   kz_scenario):
    from filing.inputs import CourtOrderInput
    from reports.models import ContentItem

    codes = list(ContentItem.objects.filter(country="KZ").order_by("code").values_list("code", flat=True)[:6])
    order = CourtOrderInput("Almaty district court", "2-1/2021", None)
    one = filed_and_screened(kz_reporter, codes[0], court_order=order)
    six = filed_and_screened(kz_reporter, *codes, court_order=order)
    client = client_for(legal_reviewer)
    client.get(page(one))

    with CaptureQueriesContext(connection) as for_one:
        client.get(page(one))
    with CaptureQueriesContext(connection) as for_six:
        client.get(page(six))

    assert len(for_six.captured_queries) == len(for_one.captured_queries)


@pytest.mark.parametrize("reviewer", ["policy_reviewer", "legal_reviewer", "hr_reviewer", "senior_reviewer",
                                      "auditor"])
def test_every_tier_and_auditors_can_read_every_queues_requests(client_for, file_request, request, reviewer):
    user = request.getfixturevalue(reviewer)
    for queue in ("policy", "legal", "human_rights"):
        assert client_for(user).get(page(file_request(queue))).status_code == 200


def test_the_page_writes_times_as_the_portal_does(client_for, file_request, legal_reviewer):
    from django.utils import timezone

    takedown = file_request("legal")
    request_claim(reviewer=legal_reviewer, request=takedown)
    takedown.refresh_from_db()

    html = client_for(legal_reviewer).get(page(takedown)).content.decode()

    def written(moment):  # "9 Dec 2026, 18:26 UTC", as on the reporter's request page
        moment = timezone.localtime(moment)
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"

    assert f"SLA due {written(takedown.sla_due_at)}" in html
    assert f"You hold this request since {written(takedown.claimed_at)}" in html

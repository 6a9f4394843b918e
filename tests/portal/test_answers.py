"""No dead end: whatever screening or a reviewer asks for, the answer form on the request page supplies it.

Each test files a request lacking one part, lets screening send it back, answers through the web form
as a browser would (every field sent as the page filled it in, the reporter changing only what was
asked), and shows the request routed to a queue after screening runs again.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from filing.inputs import ItemInput, request_as_input
from portal.forms import RespondForm
from reports.models import Status
from review.services import request_ask_info, request_claim
from tests.builders import JUSTIFICATION, filed, screened

pytestmark = pytest.mark.django_db


def as_the_page_sends_it(request, **answers) -> dict:
    """The answer form's fields as the page filled them in, with the reporter's answers."""
    initial = RespondForm.initial_from(request_as_input(request))
    data = {"respond-message": "Here is what was missing."}
    for name, value in initial.items():
        if value in (None, "", []):
            continue
        data[f"respond-{name}"] = value.isoformat() if hasattr(value, "isoformat") else value
    data.update({f"respond-{name}": value for name, value in answers.items()})
    return data


def answered(client, request, **answers):
    page = client.get(reverse("portal:request-detail", args=[request.reference])).content.decode()
    response = client.post(reverse("portal:request-respond", args=[request.reference]),
                           as_the_page_sends_it(request, **answers))
    assert response.status_code == 302, response.content.decode()[:2000]
    return page, screened(request)


@pytest.mark.parametrize(("filed_with", "answers", "part"), [
    ({"requested_action": ""}, {"requested_action": "restrict_in_jurisdiction"}, "requested_action"),
    ({"legal_basis": []}, {"legal_basis": ["KZ-CC-174"]}, "legal_basis"),
    ({"justification": ""}, {"justification": JUSTIFICATION}, "justification"),
    ({"items": [ItemInput(url="https://example.org/gone/1")]}, {"items": "kz-0007"}, "items"),
], ids=["scope", "legal-basis", "justification", "item"])
def test_each_missing_part_is_supplied_through_the_answer_form(client_for, kz_reporter, filed_with, answers, part):
    # given: a request screening sent back for one missing part
    request = screened(filed(kz_reporter, "kz-0007", court_order=None, **filed_with))
    assert request.status == Status.NEEDS_INFO
    assert [missing["field"].split(".")[0] for missing in request.missing_parts] == [part]

    # when: the reporter reads what is asked and answers with the form
    page, request = answered(client_for(kz_reporter.user), request, **answers)

    # then: the page named what was missing and put its field first, and the request is routed
    assert "The platform is waiting for:" in page
    assert page.index(f'name="respond-{part}"') < page.index('class="corrections"')
    assert (request.status, request.missing_parts) == (Status.QUEUED, [])


def test_everything_missing_at_once_is_supplied_in_one_answer(client_for, kz_reporter):
    request = screened(filed(kz_reporter, "kz-0007", court_order=None, legal_basis=[], justification="",
                             requested_action=""))
    assert {part["field"] for part in request.missing_parts} == {"legal_basis", "justification",
                                                                  "requested_action"}

    page, request = answered(client_for(kz_reporter.user), request, requested_action="restrict_in_jurisdiction",
                             legal_basis=["KZ-CC-174"], justification=JUSTIFICATION)

    for message in ("State the scope", "Cite at least one legal provision", "Explain why each item is unlawful"):
        assert message in page
    assert request.status == Status.QUEUED


def test_a_reviewers_question_is_answered_and_the_request_goes_back_to_a_queue(client_for, kz_reporter,
                                                                                 legal_reviewer):
    request = screened(filed(kz_reporter, "kz-0007"))
    request_claim(reviewer=legal_reviewer, request=request)
    request_ask_info(reviewer=legal_reviewer, request=request, message="Which sentence does the order name?")

    page, request = answered(client_for(kz_reporter.user), request)

    assert "Which sentence does the order name?" in page
    assert request.status == Status.QUEUED

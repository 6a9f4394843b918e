"""Requests waiting in each review queue, filed and screened by the real services (no worker needed)."""

from __future__ import annotations

import pytest
from django.test import Client

from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from filing.services import request_file
from reports.models import TakedownRequest
from review.services import request_screen

JUSTIFICATION = "The post is unlawful under the cited article because it incites discord between groups."


def file_and_screen(reporter, **fields) -> TakedownRequest:
    """File as the reporter would, then run the screening the Celery task runs."""
    data = RequestInput(**{"category": "hate_speech", "legal_basis": ["KZ-CC-174"],
                           "requested_action": "restrict_in_jurisdiction", "justification": JUSTIFICATION,
                           **fields})
    request, created = request_file(reporter=reporter, data=data)
    assert created
    request_screen(request_id=request.pk)
    return TakedownRequest.objects.get(pk=request.pk)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def file_request(kz_reporter, violating_content_code, harmless_content_code, journalist_content_code):
    """file_request(queue) -> a request the workflow routed to that queue (fields may be overridden)."""
    defaults = {
        "policy": ([violating_content_code], {"category": "violence"}),
        "legal": ([harmless_content_code],
                  {"court_order": CourtOrderInput("Almaty district court", "2-123/2021", None)}),
        "human_rights": ([journalist_content_code],
                         {"category": "government_criticism", "requested_action": "remove_globally"}),
    }

    def make(queue: str, *, content: list[str] | None = None, **fields) -> TakedownRequest:
        codes, queue_fields = defaults[queue]
        request = file_and_screen(kz_reporter, items=[ItemInput(content_id=c) for c in content or codes],
                                  **{**queue_fields, **fields})
        assert request.queue == queue, f"{request.reference} was routed to {request.queue!r}, not {queue!r}"
        return request

    return make


@pytest.fixture
def role_groups(transactional_db):
    """The role groups for transactional tests: an earlier one may have emptied the tables they live in."""
    from reports.roles import ensure_role_groups

    return ensure_role_groups()

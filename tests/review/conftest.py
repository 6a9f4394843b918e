"""Requests waiting in each review queue, filed and screened by the real services (no worker needed)."""

from __future__ import annotations

import pytest

from filing.inputs import CourtOrderInput
from reports.models import TakedownRequest
from tests.builders import filed_and_screened


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
        request = filed_and_screened(kz_reporter, *(content or codes), **{"court_order": None, **queue_fields,
                                                                          **fields})
        assert request.queue == queue, f"{request.reference} was routed to {request.queue!r}, not {queue!r}"
        return request

    return make


@pytest.fixture
def role_groups(transactional_db):
    """The role groups for transactional tests: an earlier one may have emptied the tables they live in."""
    from reports.roles import ensure_role_groups

    return ensure_role_groups()

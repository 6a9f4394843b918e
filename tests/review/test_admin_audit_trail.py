"""The audit trail in the admin: each event and actor role in words, the event's code beside them, filters by both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils.html import strip_tags

from audit import events
from audit.models import AuditEvent
from audit.vocabulary import EVENT_NAMES
from reports.models import AgencyState, Verification
from review.services import item_decide, request_claim
from tests.builders import RATIONALE

LIST = "/admin/audit/auditevent/"


def rows(response) -> list[list[str]]:
    """The list's cells as the page shows them, row by row."""
    body = response.content.decode()
    table = body[body.index('<table id="result_list"'):body.index("</table>")]
    return [[" ".join(strip_tags(cell).split()) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]]


@pytest.fixture
def decided(file_request, legal_reviewer):
    takedown = file_request("legal")
    request_claim(reviewer=legal_reviewer, request=takedown)
    item_decide(reviewer=legal_reviewer, item=takedown.items.get(), action="no_action", reason_code="not_unlawful",
                rationale=RATIONALE)
    return takedown


def test_each_event_reads_in_words_with_its_code_and_its_actor_in_words(client_for, auditor, decided):
    response = client_for(auditor).get(LIST, {"o": "1"})

    shown = {(cells[2], cells[4]) for cells in rows(response)}
    assert ("Check completed check_completed", "The workflow (automated)") in shown
    assert ("Routed to a review queue request_routed", "The workflow (automated)") in shown
    assert ("Review started request_claimed", "Reviewer: local law") in shown
    assert ("Item decided item_decided", "Reviewer: local law") in shown
    assert ("Request submitted request_submitted", "Government reporter") in shown


def test_the_filters_name_events_and_roles_in_words_and_filter_by_their_codes(client_for, auditor, decided):
    client = client_for(auditor)

    page = client.get(LIST).content.decode()
    checks = client.get(LIST, {"event_type": "check_completed"})
    by_reviewer = client.get(LIST, {"actor_role": "legal_reviewer"})

    assert ">Check completed</a>" in page and ">Reviewer: local law</a>" in page
    assert {cells[2] for cells in rows(checks)} == {"Check completed check_completed"}
    assert len(rows(checks)) == AuditEvent.objects.filter(request=decided, event_type="check_completed").count() == 4
    assert {cells[2] for cells in rows(by_reviewer)} == {"Review started request_claimed", "Item decided item_decided",
                                                         "Request decided request_decided"}


def test_every_event_type_the_record_can_hold_has_a_name():
    # The types audit/events.py writes: its literals, and those it spells from a reporter's or agency's state.
    source = Path(events.__file__).read_text()
    literal = {name for line in source.splitlines() if "event_type=" in line
               for name in re.findall(r'(?<![{\w])"([a-z]+(?:_[a-z]+)+)"', line)}
    # An agency made active is written as "agency_accepted", a literal.
    spelled = ({f"reporter_{state}" for state in Verification.values}
               | {f"agency_{state}" for state in AgencyState.values if state != AgencyState.ACTIVE})

    assert len(literal) >= 25, literal
    assert (literal | spelled) - set(EVENT_NAMES) == set()


def test_times_read_as_on_the_portal_day_month_year_and_the_hour_in_utc(client_for, auditor, decided):
    first = AuditEvent.objects.filter(request=decided).order_by("id").first().created_at

    times = {cells[1] for cells in rows(client_for(auditor).get(LIST, {"o": "1"}))}

    assert f"{first.day} {first:%b %Y, %H:%M} UTC" in times  # as the portal writes "4 Dec 2026, 16:26 UTC"
    assert not [shown for shown in times if "p.m." in shown or "a.m." in shown]

"""Script payloads typed into every free-text field reach no page unescaped.

Every text a person can type (registration, the request and its court order, the
evidence's file name, answers, withdrawals and reconsiderations, reviewers' messages,
rationales and escalation notes, a rejection's reason, an affected user's appeal and its
answer, an exercise's name) carries its own ``<script>`` payload. Every page of the site
is then requested by the people who can see those texts; no HTML page may contain a
payload as markup, and each payload must be shown escaped somewhere (or the test would
prove nothing about a field that is never displayed).
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from classroom.services import exercise_create
from filing.inputs import CourtOrderInput, RequestInput
from filing.services import (
    AgencyProposal,
    evidence_attach,
    reporter_register,
    reporter_reject,
    request_draft_save,
    request_reconsider,
    request_respond,
    request_withdraw,
)
from reports import roles
from reports.models import Agency, ExerciseMembership, ExerciseRole, ReporterAccount
from review.services import (
    appeal_decide,
    appeal_file,
    item_decide,
    request_ask_info,
    request_claim,
    request_escalate,
)
from tests.builders import filed_and_screened
from tests.factories import ReporterFactory, UserFactory, user_in_role
from tests.security.test_access_matrix import NOT_REQUESTED, concrete, named_urls

pytestmark = pytest.mark.django_db

FIELDS = ["justification", "court", "case_number", "external_id", "filename", "respond", "withdraw", "reconsider",
          "ask_info", "escalate", "rationale", "official_title", "agency_name", "reject", "draft",
          "appeal_statement", "appeal_rationale", "exercise_name"]


def payload(field: str) -> str:
    return f'<script>alert("xss-{field}")</script><img src=x onerror="xss-{field}">'


MARKUP = re.compile(r"<script>alert\(|<img src=x onerror")


@pytest.fixture
def world(kz_scenario, violating_content_code, harmless_content_code):
    users = {
        "reporter": ReporterFactory(user=UserFactory(username="x_reporter"),
                                    agency=Agency.objects.get(code="kz-misd")).user,
        "senior": user_in_role("x_senior", roles.SENIOR_REVIEWER),
        "auditor": user_in_role("x_auditor", roles.AUDITOR),
        "staff": user_in_role("x_staff", roles.PLATFORM_STAFF),
        "admin": get_user_model().objects.create_superuser("x_admin", "admin@example.org", "x"),
    }
    reporter = ReporterAccount.objects.get(user=users["reporter"])

    def file(code, **extra):
        return filed_and_screened(reporter, code, **{"court_order": None, **extra})

    decided = file(violating_content_code, justification=payload("justification"),
                   external_id=payload("external_id")[:100],
                   court_order=CourtOrderInput(court=payload("court"), case_number=payload("case_number")[:100]))
    upload = io.BytesIO(b"%PDF-1.4\n%evidence\n")
    upload.name, upload.size = payload("filename") + ".pdf", 19
    evidence_attach(reporter=reporter, request=decided, upload=upload)
    request_claim(reviewer=users["senior"], request=decided)
    request_escalate(reviewer=users["senior"], request=decided, to_queue="legal", note=payload("escalate"))
    decided.refresh_from_db()
    request_claim(reviewer=users["senior"], request=decided)  # the seniors work every queue
    item_decide(reviewer=users["senior"], item=decided.items.get(), action="no_action", reason_code="not_unlawful",
                rationale=payload("rationale"))
    decided.refresh_from_db()
    request_reconsider(reporter=reporter, request=decided, message=payload("reconsider"))

    asked = file(violating_content_code, justification="The post incites discord between groups of citizens.")
    request_claim(reviewer=users["senior"], request=asked)
    request_ask_info(reviewer=users["senior"], request=asked, message=payload("ask_info"))
    asked.refresh_from_db()
    request_respond(reporter=reporter, request=asked, message=payload("respond"), changes=None)

    restricted = file(harmless_content_code, justification="The post incites discord between groups of citizens.")
    request_claim(reviewer=users["senior"], request=restricted)
    item_decide(reviewer=users["senior"], item=restricted.items.get(), action="restrict_in_jurisdiction",
                reason_code="unlawful_locally", rationale="Unlawful under art. 174.")
    author = UserFactory(username="x_author")
    ExerciseMembership.objects.create(exercise=restricted.exercise, user=author, role=ExerciseRole.AFFECTED_USER,
                                      platform_account=restricted.items.get().content.author)
    appeal = appeal_file(user=author, item=restricted.items.get(), statement=payload("appeal_statement"))
    appeal_decide(reviewer=user_in_role("x_legal", roles.LEGAL_REVIEWER), appeal=appeal, outcome="upheld",
                  rationale=payload("appeal_rationale"))
    exercise = exercise_create(instructor=users["admin"], name=payload("exercise_name")[:200],
                               scenario="kazakhstan-2021")

    withdrawn = file(harmless_content_code, justification="To be withdrawn.")
    request_withdraw(reporter=reporter, request=withdrawn, reason=payload("withdraw"))

    draft = request_draft_save(reporter=reporter, data=RequestInput(category="hate_speech",
                                                                    justification=payload("draft")))
    registrant = reporter_register(
        username="x_registrant", password="a-long-password-1", official_title=payload("official_title"),
        work_email="someone@gov.example",
        proposal=AgencyProposal(jurisdiction="KZ", name=payload("agency_name")[:200], authority_type="ministry"))
    rejected = reporter_register(username="x_rejected", password="a-long-password-1", official_title="Officer",
                                 work_email="other@gov.example", agency=Agency.objects.get(code="kz-police"))
    reporter_reject(actor=users["staff"], account=rejected, reason=payload("reject"))
    return {"users": users, "decided": decided, "draft": draft, "registrant": registrant, "rejected": rejected,
            "exercise": exercise}


def pages(world) -> list[str]:
    """Every page of the site, addressed with the world's objects (admin pages for each of its records)."""
    from django.apps import apps

    values = {"reference": world["decided"].reference, "content_id": "kz-0001", "code": "KZ", "index": "0",
              "queue": "legal", "item_id": str(world["decided"].items.get().pk), "uidb64": "MQ", "token": "x",
              "id": "1", "pk": "1", "evidence_id": str(world["decided"].evidence.get().pk), "app_label": "reports",
              "slug": world["exercise"].slug, "member_id": "1", "event_id": "1", "level": "0", "path": "000.p/1"}
    paths = []
    for name, route in named_urls():
        if name in NOT_REQUESTED or "logout" in name or "delete" in name:
            continue
        if "object_id" in route:
            model = apps.get_model(*re.match(r"admin/(\w+)/(\w+)/", route).groups())
            ids = [str(pk) for pk in model.objects.values_list("pk", flat=True)[:20]]
            if model._meta.model_name == "tokenproxy":
                continue
            paths += [concrete(route, {**values, "object_id": pk}) for pk in ids]
        else:
            paths.append(concrete(route, values))
    for request in (world["draft"],):
        paths += [f"/portal/requests/{request.reference}/edit/", f"/portal/requests/{request.reference}/review/"]
    from reports.models import TakedownRequest

    paths += [f"/portal/requests/{r}/" for r in TakedownRequest.objects.values_list("reference", flat=True)]
    return sorted(set(paths))


def test_no_payload_reaches_a_page_unescaped_and_every_one_is_shown(world):
    shown = set()
    unescaped = []
    for role in ("reporter", "senior", "auditor", "staff", "admin"):
        client = Client()
        client.force_login(world["users"][role])
        for path in pages(world):
            response = client.get(path)
            if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
                continue
            body = response.content.decode()
            if MARKUP.search(body):
                unescaped.append(f"{path} as {role}")
            shown.update(field for field in FIELDS if f"xss-{field}" in body)
    # The registrant sees their own pending account.
    client = Client()
    client.force_login(world["registrant"].user)
    for path in ("/portal/", "/"):
        body = client.get(path).content.decode()
        assert not MARKUP.search(body), path
        shown.update(field for field in FIELDS if f"xss-{field}" in body)

    assert unescaped == []
    assert sorted(set(FIELDS) - shown) == []


def test_the_api_returns_text_as_json_strings_never_as_html(world):
    client = Client()
    client.force_login(world["users"]["reporter"])
    response = client.get(f"/api/v1/requests/{world['decided'].reference}/")

    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["justification"] == payload("justification")

"""Every URL of the site against every role, generated from the URL configuration.

Each named URL is resolved from the URL configuration, filled in with objects that
belong to agency A (kz-misd) of the default exercise, and requested by every role:
anonymous, a pending reporter, A's reporter, another agency's reporter (B, against A's
objects), each reviewer tier, an auditor, an instructor, platform staff and an
administrator. GET is expected to give the answer in EXPECTED; every POST by a role
that may not act there must be refused, and must change nothing. A URL added without
an entry in EXPECTED fails the test, so the matrix grows with the site.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from audit import log
from audit.models import AuditEvent
from classroom.services import exercise_create, exercise_join
from feed.models import WebhookSubscription
from feed.services import deliveries_create
from filing.inputs import RequestInput
from filing.services import evidence_attach
from operations.models import ProcessHeartbeat
from reports import roles
from reports.models import ExerciseMembership, ExerciseRole, ReporterAccount, TakedownRequest
from review.services import appeal_file, item_decide, request_claim
from tests.builders import filed_and_screened
from tests.factories import ReporterFactory, UserFactory, user_in_role
from transparency import exports

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "pending", "reporter_a", "reporter_b", "policy", "legal", "hr", "senior", "auditor",
         "instructor", "staff", "admin"]
REPORTERS = {"reporter_a", "reporter_b"}
REVIEWERS = {"policy", "legal", "hr", "senior"}
STAFF = REVIEWERS | {"auditor", "instructor", "staff", "admin"}
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}

# Outcomes: "ok" (2xx, or a redirect elsewhere than a log-in page), "login" (a redirect to a log-in page,
# or 401 from the API), "forbidden" (403), "missing" (404), "method" (405), "invalid" (400).
OK, LOGIN, FORBIDDEN, MISSING, METHOD, INVALID = "ok", "login", "forbidden", "missing", "method", "invalid"


def rule(default: str, **exceptions: str | set) -> dict:
    """``rule(OK)`` for everyone; ``rule(FORBIDDEN, ok={"auditor"}, login={"anonymous"})`` for some."""
    table = dict.fromkeys(ROLES, default)
    for outcome, who in exceptions.items():
        for role in who:
            table[role] = outcome
    return table


PUBLIC = rule(OK)
REPORTER_PAGE = rule(FORBIDDEN, login={"anonymous"}, ok={"reporter_a", "reporter_b"})
A_ONLY_PAGE = rule(FORBIDDEN, login={"anonymous"}, ok={"reporter_a"}, missing={"reporter_b"})
# Portal actions are POSTs: a reporter asking with GET is told the method; anyone else is refused first.
REPORTER_POST = rule(FORBIDDEN, login={"anonymous"}, method={"reporter_a", "reporter_b"})
REPORTER_API = rule(FORBIDDEN, login={"anonymous"}, ok={"reporter_a", "reporter_b"})
A_ONLY_API = rule(FORBIDDEN, login={"anonymous"}, ok={"reporter_a"}, missing={"reporter_b"})
POST_ONLY_API = rule(FORBIDDEN, login={"anonymous"}, method={"reporter_a", "reporter_b"})
SIGNED_IN_API = rule(OK, login={"anonymous"})
AUDITOR_API = rule(FORBIDDEN, login={"anonymous"}, ok={"auditor"})
# The admin: anyone who is not staff is sent to its log-in page.
ADMIN_NOBODY = rule(FORBIDDEN, login=EVERYONE - STAFF)
ADMIN_SUPERUSER = rule(FORBIDDEN, login=EVERYONE - STAFF, ok={"admin"})
ADMIN_STAFF = rule(OK, login=EVERYONE - STAFF)
REQUEST_DATA_READERS = REVIEWERS | {"auditor", "instructor", "admin"}
ADMIN_REQUEST_DATA = rule(FORBIDDEN, login=EVERYONE - STAFF, ok=REQUEST_DATA_READERS)
ADMIN_POST = rule(METHOD, login=EVERYONE - STAFF)
ADMIN_REVIEW_FORM = rule(FORBIDDEN, login=EVERYONE - STAFF, ok=REVIEWERS | {"admin"})
RUNS_EXERCISE = rule(MISSING, login={"anonymous"}, ok={"instructor", "admin"})
RUNS_EXERCISE_POST = rule(MISSING, login={"anonymous"}, method={"instructor", "admin"})

EXPECTED: dict[str, dict] = {
    # Public pages and the public parts of the API.
    "landing": PUBLIC, "healthz": PUBLIC, "readyz": PUBLIC, "schema": PUBLIC, "api-docs": PUBLIC,
    # Prometheus's endpoint answers only its bearer token (unset here, so it is off): no session opens it.
    "metrics": rule(FORBIDDEN),
    "transparency:transparency": PUBLIC, "transparency:transparency-country": PUBLIC,
    "transparency:transparency-api": PUBLIC,
    "checkpoint-list": PUBLIC, "checkpoint-latest": PUBLIC, "inclusion-proof": PUBLIC,
    "consistency-proof": rule(INVALID),  # no sizes given: the answer says which are missing
    "portal:register": rule(OK), "portal:password-reset": PUBLIC, "portal:password-reset-done": PUBLIC,
    "portal:password-reset-confirm": PUBLIC, "portal:password-reset-complete": PUBLIC,
    "portal:login": PUBLIC, "portal:logout": rule(METHOD),  # logging out is a POST
    # Everyone signed in reads whom the API is for; reporters and auditors make their token there.
    "portal:api-access": rule(OK, login={"anonymous"}),
    "api-root": SIGNED_IN_API,
    # The simulated platform: anyone may browse it; reporting is for verified reporters.
    "portal:platform": PUBLIC,
    "portal:platform-report": REPORTER_POST,
    # A notice and its appeal are for the post's author (a student playing an affected user), nobody else.
    "portal:platform-notice": rule(FORBIDDEN, login={"anonymous"}),
    "portal:platform-notice-receipt": rule(FORBIDDEN, login={"anonymous"}),
    # The log as C2SP tiles: the checkpoint, the key and hash tiles are public; entries are the auditors'.
    "audit:log-checkpoint": PUBLIC, "audit:log-vkey": PUBLIC, "audit:log-tile": PUBLIC,
    "audit:log-entries": AUDITOR_API,
    # Classroom exercises: the instructor who created one (or an administrator) runs it; to anyone else
    # outside it, it does not exist. Anyone may open the join page; students find their exercise from /exercises/.
    "classroom:home": PUBLIC, "classroom:join": PUBLIC,
    "classroom:new": rule(FORBIDDEN, login={"anonymous"}, ok={"instructor", "admin"}),
    "classroom:exercise": RUNS_EXERCISE, "classroom:debrief": RUNS_EXERCISE, "classroom:debrief-print": RUNS_EXERCISE,
    "classroom:split-view": RUNS_EXERCISE,
    "classroom:assign": RUNS_EXERCISE_POST, "classroom:distribute": RUNS_EXERCISE_POST,
    "classroom:open": RUNS_EXERCISE_POST,
    # Closing is final: its page asks first (GET), and only its form closes.
    "classroom:close": RUNS_EXERCISE,
    # The reporters' portal.
    # A pending reporter sees the dashboard with a notice and no agency data.
    "portal:dashboard": rule(FORBIDDEN, login={"anonymous"}, ok={"pending", "reporter_a", "reporter_b"}),
    "portal:draft-new": REPORTER_POST,
    "portal:request-detail": A_ONLY_PAGE, "portal:request-status": A_ONLY_PAGE,
    "portal:draft-edit": A_ONLY_PAGE, "portal:draft-review": A_ONLY_PAGE,
    "portal:draft-submit": REPORTER_POST, "portal:request-respond": REPORTER_POST,
    "portal:request-withdraw": REPORTER_POST, "portal:request-reconsider": REPORTER_POST,
    "portal:evidence-add": REPORTER_POST, "portal:request-receipt": A_ONLY_PAGE,
    # Evidence goes to the filing agency and to those who read request data; to anyone else it does not exist.
    "portal:evidence-download": rule(MISSING, login={"anonymous"}, ok={"reporter_a"} | REQUEST_DATA_READERS),
    # The reporters' API.
    "request-list": REPORTER_API, "request-detail": A_ONLY_API, "request-bulk": POST_ONLY_API,
    "request-evidence": POST_ONLY_API, "request-reconsider": POST_ONLY_API, "request-respond": POST_ONLY_API,
    "request-withdraw": POST_ONLY_API, "request-receipts": A_ONLY_API, "request-receipt": A_ONLY_API,
    "jurisdiction-list": SIGNED_IN_API, "jurisdiction-provisions": SIGNED_IN_API,
    "content-list": SIGNED_IN_API, "content-detail": SIGNED_IN_API,
    # The auditors' API.
    "transparency:audit-request-list": AUDITOR_API, "transparency:audit-request-detail": AUDITOR_API,
    "transparency:audit-request-export": AUDITOR_API, "audit:audit-event-list": AUDITOR_API,
    "transparency:audit-request-dsa-report": AUDITOR_API, "feed:audit-feed": AUDITOR_API,
    "transparency:audit-export-list": AUDITOR_API, "transparency:audit-export-detail": AUDITOR_API,
    "transparency:audit-export-download": AUDITOR_API, "transparency:uniformity": AUDITOR_API,
    "verify-log": AUDITOR_API,
    # The admin.
    # The reports app lists requests for those who read them, and agencies and accounts for platform staff.
    "admin:index": ADMIN_STAFF, "admin:app_list": rule(FORBIDDEN, login=EVERYONE - STAFF, ok=STAFF),
    "admin:login": rule(OK),
    # Logging out is a POST; the admin sends anyone not signed in as staff to its index.
    "admin:logout": rule(METHOD, ok=EVERYONE - STAFF),
    "admin:password_change": ADMIN_STAFF, "admin:password_change_done": ADMIN_STAFF,
    "admin:jsi18n": ADMIN_STAFF, "admin:autocomplete": rule(FORBIDDEN, login=EVERYONE - STAFF),
    "admin:reports_takedownrequest_changelist": ADMIN_REQUEST_DATA,
    "admin:reports_takedownrequest_change": ADMIN_REQUEST_DATA,
    "admin:reports_takedownrequest_history": ADMIN_REQUEST_DATA,
    "admin:reports_takedownrequest_add": ADMIN_NOBODY, "admin:reports_takedownrequest_delete": ADMIN_NOBODY,
    "admin:reports_takedownrequest_evidence": ADMIN_REQUEST_DATA,
    # Review actions are POSTs; their GET forms are for the tiers that review.
    # Claiming is a POST: staff asking with GET are told the method (the POST test checks who may act).
    "admin:reports_takedownrequest_claim_next": ADMIN_POST,
    "admin:reports_takedownrequest_claim": ADMIN_POST, "admin:reports_takedownrequest_release": ADMIN_POST,
    "admin:reports_takedownrequest_decide": ADMIN_REVIEW_FORM,
    "admin:reports_takedownrequest_ask_info": ADMIN_REVIEW_FORM,
    "admin:reports_takedownrequest_escalate": ADMIN_REVIEW_FORM,
    # Records nobody may change: readable by those who read request data.
    **{f"admin:{model}_{view}": (ADMIN_REQUEST_DATA if view in ("changelist", "change", "history") else ADMIN_NOBODY)
       for model in ("audit_auditevent", "review_screeningrun", "review_checkresult", "review_decision")
       for view in ("changelist", "change", "history", "add", "delete")},
    "admin:review_ruleset_changelist": ADMIN_REQUEST_DATA, "admin:review_ruleset_change": ADMIN_REQUEST_DATA,
    "admin:review_ruleset_history": ADMIN_REQUEST_DATA, "admin:review_ruleset_add": ADMIN_NOBODY,
    "admin:review_ruleset_delete": ADMIN_NOBODY, "admin:review_ruleset_shadow": ADMIN_SUPERUSER,
    "admin:review_ruleset_activate": ADMIN_POST,
    # Platform staff verify reporters and manage agencies; every member of staff may read the agencies,
    # instructors read reporter accounts to run exercises. Accounts are created by registering, never deleted.
    **{f"admin:reports_agency_{view}": ADMIN_STAFF for view in ("changelist", "change", "history")},
    **{f"admin:reports_reporteraccount_{view}": rule(FORBIDDEN, login=EVERYONE - STAFF,
                                                     ok={"staff", "admin", "instructor"})
       for view in ("changelist", "change", "history")},
    "admin:reports_reporteraccount_verify": rule(FORBIDDEN, login=EVERYONE - STAFF, ok={"staff", "admin"}),
    "admin:reports_reporteraccount_reject": rule(FORBIDDEN, login=EVERYONE - STAFF, ok={"staff", "admin"}),
    "admin:reports_reporteraccount_add": ADMIN_NOBODY, "admin:reports_reporteraccount_delete": ADMIN_NOBODY,
    "admin:reports_agency_add": ADMIN_SUPERUSER, "admin:reports_agency_delete": ADMIN_SUPERUSER,
    # Affected users' appeals: read by those who read request data, decided by the reviewer tiers.
    **{f"admin:reports_appeal_{view}": ADMIN_REQUEST_DATA for view in ("changelist", "change", "history")},
    "admin:reports_appeal_add": ADMIN_NOBODY, "admin:reports_appeal_delete": ADMIN_NOBODY,
    "admin:reports_appeal_decide": ADMIN_REVIEW_FORM,
    # Accounts, groups and tokens: administrators only.
    **{f"admin:{model}_{view}": ADMIN_SUPERUSER
       for model in ("auth_user", "auth_group", "authtoken_tokenproxy")
       for view in ("changelist", "change", "history", "add", "delete")},
    "admin:auth_user_password_change": ADMIN_SUPERUSER,
    # Webhook subscriptions are set up by administrators; their delivery log is read-only, even for them.
    **{f"admin:feed_webhooksubscription_{view}": ADMIN_SUPERUSER
       for view in ("changelist", "change", "history", "add", "delete")},
    **{f"admin:feed_webhookdelivery_{view}": (ADMIN_SUPERUSER if view in ("changelist", "change", "history")
                                              else ADMIN_NOBODY)
       for view in ("changelist", "change", "history", "add", "delete")},
}
# Named URLs not requested here, and why.
NOT_REQUESTED = {
    "admin:view_on_site": "a redirect to the object's own page; no model here has one",
    "admin:": "the admin's bare object URL only redirects to the change page",
}
# Who may POST where a GET cannot tell: views that only answer POST, and A's objects that B's reporter can
# address. Elsewhere the roles whose GET succeeds may POST. Every other role's POST must be refused.
A_OBJECT_ACTIONS = ("portal:draft-submit", "portal:request-respond", "portal:request-withdraw",
                    "portal:request-reconsider", "portal:evidence-add", "request-respond", "request-withdraw",
                    "request-reconsider", "request-evidence")
MAY_POST = {
    "portal:logout": EVERYONE, "admin:logout": EVERYONE, "portal:login": EVERYONE, "admin:login": EVERYONE,
    "portal:register": EVERYONE, "portal:password-reset": EVERYONE, "portal:password-reset-confirm": EVERYONE,
    "portal:draft-new": REPORTERS, "portal:platform-report": REPORTERS, "request-bulk": REPORTERS,
    "portal:api-access": REPORTERS | {"auditor"},
    **dict.fromkeys(A_OBJECT_ACTIONS, {"reporter_a"}),
    "admin:reports_takedownrequest_claim": REVIEWERS | {"admin"},
    "admin:reports_takedownrequest_release": REVIEWERS | {"admin"},
    # Another tier asking for the policy queue is refused by the service, with a message on the page it came from.
    "admin:reports_takedownrequest_claim_next": REVIEWERS | {"admin"},
    "admin:review_ruleset_activate": {"admin"},
    **dict.fromkeys(("classroom:assign", "classroom:distribute", "classroom:open", "classroom:close"),
                    {"instructor", "admin"}),
}


def named_urls():
    """(name, route) for every URL pattern, with the routes of include()s joined, format suffixes left out."""
    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                    pattern.namespace or namespace)
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if "format" in route:
                    continue
                name = f"{namespace}:{pattern.name or ''}" if namespace else (pattern.name or "")
                yield name, route

    return sorted(set(walk(get_resolver().url_patterns, "", "")))


def concrete(route: str, values: dict[str, str]) -> str:
    """Fill a Django route or regex route with the given parameter values."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


@pytest.fixture
def world(kz_scenario, violating_content_code, tmp_path, settings):
    """A's request in the policy queue with evidence; an auditor's finished export; a sealed log."""
    users = {
        "pending": ReporterFactory(user=UserFactory(username="m_pending"), verification="pending",
                                   agency=_agency("kz-police")).user,
        "reporter_a": ReporterFactory(user=UserFactory(username="m_reporter_a"), agency=_agency("kz-misd")).user,
        "reporter_b": ReporterFactory(user=UserFactory(username="m_reporter_b"), agency=_agency("kz-prosecutor")).user,
        "policy": user_in_role("m_policy", roles.POLICY_REVIEWER),
        "legal": user_in_role("m_legal", roles.LEGAL_REVIEWER),
        "hr": user_in_role("m_hr", roles.HUMAN_RIGHTS_REVIEWER),
        "senior": user_in_role("m_senior", roles.SENIOR_REVIEWER),
        "auditor": user_in_role("m_auditor", roles.AUDITOR),
        "instructor": user_in_role("m_instructor", roles.INSTRUCTOR),
        "staff": user_in_role("m_staff", roles.PLATFORM_STAFF),
        "admin": get_user_model().objects.create_superuser("m_admin", "admin@example.org", "x"),
    }
    account_a = ReporterAccount.objects.get(user=users["reporter_a"])
    request = filed_and_screened(account_a, violating_content_code, court_order=None)
    assert request.queue == "policy"
    decided = filed_and_screened(account_a, violating_content_code, court_order=None, category="violence",
                                 requested_action="remove_globally",
                                 justification="The post calls for violence against a group of people.")
    decided.refresh_from_db()
    request_claim(reviewer=users["senior"], request=decided)
    item_decide(reviewer=users["senior"], item=decided.items.get(), action="remove_globally",
                reason_code="policy_violation", rationale="A call to violence.")
    pdf = io.BytesIO(b"%PDF-1.4\n%evidence\n")
    pdf.name = "order.pdf"
    pdf.size = len(pdf.getvalue())
    evidence = evidence_attach(reporter=account_a, request=request, upload=pdf)
    job = exports.export_job_create(actor=users["auditor"], exercise=request.exercise, fmt="csv", filters={})
    exports.export_job_run(job_id=str(job.pk))
    log.log_seal_all()
    # A worker and beat have reported, so that /readyz answers 200 like the other public pages, for as long
    # as this test walks every URL.
    settings.CRS_READY_PROCESS_STALE = settings.CRS_READY_MAX_SEAL_LAG = timedelta(days=1)
    for role in (ProcessHeartbeat.Role.WORKER, ProcessHeartbeat.Role.BEAT):
        ProcessHeartbeat.objects.create(role=role, hostname="host-a", pid=1, started_at=timezone.now(),
                                        seen_at=timezone.now())
    WebhookSubscription.objects.create(exercise=request.exercise, owner=users["auditor"], url="http://127.0.0.1:9/h")
    deliveries_create()
    draft_account = account_a
    from filing.services import request_draft_save

    draft = request_draft_save(reporter=draft_account, data=RequestInput(category="hate_speech"))
    # The removed post's author appeals; the instructor's exercise has a student waiting for a role.
    author = UserFactory(username="m_author")
    ExerciseMembership.objects.create(exercise=decided.exercise, user=author, role=ExerciseRole.AFFECTED_USER,
                                      platform_account=decided.items.get().content.author)
    appeal_file(user=author, item=decided.items.get(), statement="My post was misread.")
    exercise = exercise_create(instructor=users["instructor"], name="Matrix", scenario="kazakhstan-2021")
    student = exercise_join(user=UserFactory(username="m_student"), join_code=exercise.join_code)
    values = {
        "reference": request.reference, "pk": str(job.pk), "evidence_id": str(evidence.pk),
        "content_id": violating_content_code, "code": "KZ", "index": "0", "queue": "policy",
        "item_id": str(request.items.get().pk), "uidb64": "MQ", "token": "set-password", "id": str(users["admin"].pk),
        "app_label": "reports", "slug": exercise.slug, "member_id": str(student.pk),
        "event_id": str(request.events.get(event_type="request_submitted").pk), "level": "0", "path": "000.p/1",
    }
    return {"users": users, "request": request, "draft": draft, "values": values}


def _agency(code):
    from reports.models import Agency

    return Agency.objects.get(code=code)


def _object_id(route: str, world) -> str:
    """For admin routes: the id of an object of the route's model (A's request, its records, ...)."""
    from django.apps import apps

    match = re.match(r"admin/(\w+)/(\w+)/", route)
    model = apps.get_model(match.group(1), match.group(2))
    if model is TakedownRequest:
        return str(world["request"].pk)
    if model._meta.model_name == "tokenproxy":  # DRF's token admin addresses a token by its user's id
        from rest_framework.authtoken.models import Token

        return str(Token.objects.get_or_create(user=world["users"]["admin"])[0].user_id)
    obj = model.objects.order_by("pk").first()
    assert obj is not None, f"no {model.__name__} to address {route}"
    return str(obj.pk)


def outcome(response) -> str:
    code = response.status_code
    if code == 401 or (code == 302 and "login" in response.get("Location", "")):
        return LOGIN
    if code in (200, 201, 202, 204) or code in (301, 302, 303):
        return OK
    return {400: INVALID, 403: FORBIDDEN, 404: MISSING, 405: METHOD}.get(code, f"status {code}")


def client_as(role: str, world) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def url_for(name: str, route: str, world) -> str:
    values = dict(world["values"])
    if route.startswith("admin/") and "object_id" in route:
        values["object_id"] = _object_id(route, world)
    if name in ("portal:draft-edit", "portal:draft-review", "portal:draft-submit"):
        values["reference"] = world["draft"].reference
    return concrete(route, values)


def test_every_url_is_in_the_matrix():
    names = {name for name, _ in named_urls()}

    assert sorted(names - set(EXPECTED) - set(NOT_REQUESTED)) == []
    assert sorted(set(EXPECTED) - names) == []


def test_every_role_gets_the_expected_answer_on_every_url(world):
    wrong = []
    for name, route in named_urls():
        if name in NOT_REQUESTED or name == "portal:logout":
            continue
        path = url_for(name, route, world)
        for role in ROLES:
            got = outcome(client_as(role, world).get(path))
            if got != EXPECTED[name][role]:
                wrong.append(f"GET {path} as {role}: expected {EXPECTED[name][role]}, got {got}")

    assert wrong == []


def test_no_role_can_post_where_it_does_not_belong(world):
    """Every POST by a role whose GET is refused (or that only owns other data) is refused too, and changes nothing."""
    before = (list(TakedownRequest.objects.order_by("pk").values_list("pk", "status", "claimed_by_id")),
              AuditEvent.objects.count())
    wrong = []
    for name, route in named_urls():
        if name in NOT_REQUESTED:
            continue
        path = url_for(name, route, world)
        for role in ROLES:
            allowed = MAY_POST.get(name) or {r for r in ROLES if EXPECTED[name][r] == OK}
            if role in allowed:
                continue
            got = outcome(client_as(role, world).post(path, {"message": "x", "reason": "x", "rationale": "x",
                                                              "action": "no_action", "to_queue": "legal"}))
            if got not in (LOGIN, FORBIDDEN, MISSING, METHOD):  # 405: the URL takes no POST from anyone
                wrong.append(f"POST {path} as {role}: expected a refusal, got {got}")

    assert wrong == []
    assert (list(TakedownRequest.objects.order_by("pk").values_list("pk", "status", "claimed_by_id")),
            AuditEvent.objects.count()) == before


def test_references_and_ids_cannot_be_guessed_into_another_agencys_data(world):
    """B's reporter walks A's neighbours' references and evidence ids: every one answers like a missing one."""
    client = client_as("reporter_b", world)
    request = world["request"]
    year = request.reference.split("-")[1]
    for number in range(max(1, request.pk - 3), request.pk + 4):
        reference = f"CRS-{year}-{number:06d}"
        assert client.get(f"/portal/requests/{reference}/").status_code == 404
        assert client.get(f"/api/v1/requests/{reference}/").status_code == 404
    for evidence_id in range(1, 6):
        assert client.get(f"/portal/requests/{request.reference}/evidence/{evidence_id}/").status_code == 404

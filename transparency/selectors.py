"""Reads for auditors: the request log as plain records, and the pseudonyms that stand in for accounts.

Records are built a chunk of requests at a time from ``.values()`` queries (the requests,
then their citations, items, latest checks and decisions: five queries per chunk whatever
its size), so the API, the streamed exports and the background exports read the same
data the same way and never issue a query per row.

Privacy: a record names the agency and roles, never the reporter; the author of reported
content appears as a pseudonym (``author_pseudonym``) and the handle is removed from the
snapshot. With ``personal=True`` (the ``reports.view_personal_data`` permission) the
submitter's username and the author's handle are included as well.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import CharField, F, Func, Max, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

from audit.selectors import api_time
from reports import statements
from reports.models import CitedProvision, Exercise, Jurisdiction, LegalProvision, RequestItem, Status, TakedownRequest
from reports.roles import HOLDS_PERMISSION_SQL, PERSONAL_DATA_PERMISSION, may_see_personal_data
from reports.tenancy import EXERCISE_FOR_USER_SQL, exercise_for_user
from review.models import CheckResult, Decision

PSEUDONYM_SALT = "crs.audit.author-pseudonym"
PSEUDONYM_HEX_CHARS = 16  # 64 bits: collisions are negligible for a platform's worth of accounts
REDACTED = "[redacted]"
DEFAULT_CHUNK_SIZE = 1000

REQUEST_VALUES = (
    "id", "reference", "agency__code", "agency__name", "agency__jurisdiction_id", "authority_type", "category",
    "requested_action", "justification", "urgency", "court_name", "court_case_number", "court_order_date",
    "confidentiality_requested", "submission_method", "external_id", "status", "outcome", "queue", "priority",
    "sla_breached", "workflow_version", "rules_version", "screening_round", "review_round",
)
# Read as the text a record holds (see ``_time_text``), under these names.
REQUEST_TIMES = ("sla_due_at", "created_at", "submitted_at", "routed_at", "decided_at", "closed_at")


# --- Pseudonyms ------------------------------------------------------------------------------

def pseudonym_key(secret: str | None = None) -> bytes:
    """The HMAC key of the pseudonyms, derived from SECRET_KEY as ``salted_hmac`` derives it.

    Exports computed by the database key PostgreSQL's ``hmac`` with it, so both paths agree.
    """
    return hashlib.sha256(force_bytes(PSEUDONYM_SALT + (secret or settings.SECRET_KEY))).digest()


def author_pseudonym(handle: str) -> str:
    """A stable stand-in for an account handle: HMAC-SHA256 under a key derived from SECRET_KEY, truncated.

    The same handle always gives the same pseudonym (so an auditor can count requests per
    affected account), and the handle cannot be recovered without the server's secret.
    """
    return _pseudonym(handle, settings.SECRET_KEY)


@lru_cache(maxsize=100_000)
def _pseudonym(handle: str, secret: str) -> str:
    # Cached: an export names the same accounts again and again (the secret is part of the key).
    digest = salted_hmac(PSEUDONYM_SALT, handle, secret=secret, algorithm="sha256").hexdigest()
    return f"acct-{digest[:PSEUDONYM_HEX_CHARS]}"


# --- Requests -------------------------------------------------------------------------------

def audit_requests(*, exercise: Exercise) -> QuerySet[TakedownRequest]:
    """Every filed request of the exercise (drafts are the reporter's own and are left out), by id."""
    return TakedownRequest.objects.filter(exercise=exercise).exclude(status=Status.DRAFT).order_by("id")


class UTCText(Func):
    """A timestamp as ``api_time`` writes it, formatted by PostgreSQL: ``2021-07-01T09:30:00.250000Z``.

    Exports read millions of timestamps; formatting them in the database saves parsing each
    into a datetime and formatting it again. Microseconds appear only when there are any, as
    in ``datetime.isoformat``.
    """

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return utc_text_sql(sql), [*params] * UTC_TEXT_USES


UTC_TEXT_USES = 4  # times utc_text_sql repeats its argument


def utc_text_sql(sql: str) -> str:
    """PostgreSQL's text of the timestamp ``sql`` as ``api_time`` writes it (NULL stays NULL)."""
    utc = f"(({sql}) AT TIME ZONE 'UTC')"
    return (f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"mod(date_part('microseconds', {utc})::bigint, 1000000) <> 0 THEN to_char({utc}, '.US') ELSE '' END "
            f"|| 'Z')")


def _time_text(name: str):
    """The column as text on PostgreSQL; elsewhere the datetime itself, which ``api_time`` formats."""
    return UTCText(name) if connection.vendor == "postgresql" else F(name)


@lru_cache(maxsize=1024)
def _flag_tuple(text: str) -> tuple:
    return tuple(json.loads(text))


def _flags(text: str) -> list:
    # Most checks carry one of a few flag lists: decode each distinct one once.
    return list(_flag_tuple(text))


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _redacted_snapshot(snapshot: dict, personal: bool) -> dict:
    if personal or "author" not in snapshot:
        return snapshot
    return {**snapshot, "author": REDACTED}


def request_records(rows: list[dict], *, personal: bool, snapshots: bool = True,
                    ids: QuerySet | None = None) -> list[dict]:
    """Turn a chunk of ``REQUEST_VALUES`` rows into complete records, in five queries whatever the chunk size.

    ``snapshots=False`` leaves the items' snapshots out (the CSV export has no column for them).
    ``ids`` may give the rows' ids as a query (``values("id")``) rather than a list of thousands
    of parameters, which the driver would have to splice into each of the four queries.
    """
    if not rows:
        return []
    if ids is None:
        ids = [row["id"] for row in rows]

    provisions: dict[int, list[str]] = defaultdict(list)
    for request_id, code in (CitedProvision.objects.filter(request_id__in=ids)
                             .order_by("request_id", "position").values_list("request_id", "provision__code")):
        provisions[request_id].append(code)

    checks: dict[int, list[dict]] = defaultdict(list)
    for check in (CheckResult.objects.filter(request_id__in=ids, round=F("request__screening_round"))
                  .order_by("request_id", "position")
                  .values("request_id", "round", "name", "version", "verdict", "explanation",
                          flags_json=Cast("flags", TextField()))):
        check["flags"] = _flags(check.pop("flags_json"))
        checks[check.pop("request_id")].append(check)

    decisions: dict[int, list[dict]] = defaultdict(list)
    for decision in (Decision.objects.filter(request_id__in=ids).order_by("item_id", "round")
                     .values("item_id", "round", "action", "reason_code", "rationale", "reviewer_tier",
                             "contradicts_checks", decided_text=_time_text("decided_at"))):
        item_id = decision.pop("item_id")
        decision["decided_at"] = api_time(decision.pop("decided_text"))
        decisions[item_id].append(decision)

    items: dict[int, list[dict]] = defaultdict(list)
    item_fields = ["id", "request_id", "position", "content__code", "content__author__handle",
                   "content__author__persona", "url", "snapshot_sha256"] + (["snapshot"] if snapshots else [])
    for item in (RequestItem.objects.filter(request_id__in=ids).order_by("request_id", "position")
                 .values(*item_fields)):
        handle = item["content__author__handle"]
        history = decisions.get(item["id"], [])
        items[item["request_id"]].append({
            "position": item["position"],
            "content_id": item["content__code"],
            "url": item["url"],
            "author_pseudonym": author_pseudonym(handle) if handle else None,
            "author_handle": handle if personal else None,
            "author_persona": item["content__author__persona"],
            "snapshot": _redacted_snapshot(item["snapshot"] or {}, personal) if snapshots else None,
            "snapshot_sha256": item["snapshot_sha256"],
            "decision": history[-1] if history else None,
            "decisions": history,
        })

    return [_record(row, provisions[row["id"]], checks[row["id"]], items[row["id"]], personal) for row in rows]


def _record(row: dict, provisions: list[str], checks: list[dict], items: list[dict], personal: bool) -> dict:
    has_court_order = bool(row["court_name"] and row["court_case_number"])
    return {
        "reference": row["reference"],
        "jurisdiction": row["agency__jurisdiction_id"],
        "agency": row["agency__code"],
        "agency_name": row["agency__name"],
        "authority_type": row["authority_type"],
        "submitted_by": row.get("submitted_by__username") if personal else None,
        "submission_method": row["submission_method"],
        "external_id": row["external_id"],
        "category": row["category"],
        "provisions": provisions,
        "requested_action": row["requested_action"],
        "justification": row["justification"],
        "urgency": row["urgency"],
        "has_court_order": has_court_order,
        "court_order": {"court": row["court_name"], "case_number": row["court_case_number"],
                        "date": _day(row["court_order_date"])} if has_court_order else None,
        "confidentiality_requested": row["confidentiality_requested"],
        "status": row["status"],
        "outcome": row["outcome"] or None,
        "routing": {
            "queue": row["queue"] or None,
            "priority": row["priority"],
            "sla_due_at": api_time(row["sla_due_at_text"]),
            "sla_breached": row["sla_breached"],
            "workflow_version": row["workflow_version"],
            "rules_version": row["rules_version"],
            "screening_round": row["screening_round"],
            "review_round": row["review_round"],
        },
        "checks": checks,
        "items": items,
        "created_at": api_time(row["created_at_text"]),
        "submitted_at": api_time(row["submitted_at_text"]),
        "routed_at": api_time(row["routed_at_text"]),
        "decided_at": api_time(row["decided_at_text"]),
        "closed_at": api_time(row["closed_at_text"]),
    }


# The log's version as PostgreSQL sees it now: its snapshot, then the newest ids of events, requests and items.
_LOG_VERSION_COLUMNS = ("pg_current_snapshot()::text, (SELECT max(id) FROM audit_auditevent), "
                        "(SELECT max(id) FROM reports_takedownrequest), (SELECT max(id) FROM reports_requestitem)")


def request_log_version(exercise: Exercise) -> str | None:
    """What identifies the exercise's request log exactly as a new read would see it, or None where nothing does.

    PostgreSQL's current snapshot says which transactions' changes a read sees: two reads under
    the same snapshot see the same rows, whatever changed without an audit event (an agency's
    name, say) and however transactions committed out of id order. The newest ids of events,
    requests and items tell apart what the reader's own open transaction wrote, which its
    snapshot does not show. One query. Other databases have no such snapshot: None.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        # Written out rather than built by the ORM: every view of the list asks, and this is its whole cost.
        cursor.execute(f"SELECT {_LOG_VERSION_COLUMNS}")  # noqa: S608 (a constant)
        snapshot, *newest = cursor.fetchone()
    return _log_version(exercise, snapshot, newest)


def _log_version(exercise: Exercise, snapshot: str, newest: list) -> str:
    return f"{connection.settings_dict['NAME']}:{exercise.pk}.{exercise.created_at.timestamp()}:{snapshot}:{newest}"


@dataclass(frozen=True)
class AuditorsView:
    """What a view of the request log needs to know of its caller and of the log."""

    exercise: Exercise
    personal: bool  # may_see_personal_data
    log_version: str | None  # request_log_version


def auditors_view(user) -> AuditorsView:
    """The caller's exercise, whether they may see personal data, and the log's version: one statement on PostgreSQL.

    The three reads every view of the auditors' list makes (``exercise_for_user``,
    ``may_see_personal_data``, ``request_log_version``), asked together: under load each round trip
    to the database costs a thread its turn. Elsewhere, or where no exercise is found, each is asked alone.
    """
    if connection.vendor == "postgresql" and user.is_authenticated:
        app_label, codename = PERSONAL_DATA_PERMISSION.split(".")
        with statements.server_bound_cursor() as cursor:
            cursor.execute(_auditors_view_statement(),
                           {"user": user.pk, "default": True, "app_label": app_label, "codename": codename})
            row = cursor.fetchone()
        if row is not None:
            width = len(Exercise._meta.concrete_fields)
            (exercise,) = statements.instances(row[:width], (Exercise,))
            held, snapshot, *newest = row[width:]
            return AuditorsView(exercise=exercise, personal=may_see_personal_data(user, held=held),
                                log_version=_log_version(exercise, snapshot, newest))
    exercise = exercise_for_user(user)
    return AuditorsView(exercise=exercise, personal=may_see_personal_data(user),
                        log_version=request_log_version(exercise))


@lru_cache(maxsize=1)
def _auditors_view_statement() -> str:
    return (f"SELECT {statements.columns(Exercise, 'e')}, ({HOLDS_PERMISSION_SQL}), {_LOG_VERSION_COLUMNS} "  # noqa: S608
            f"FROM ({EXERCISE_FOR_USER_SQL}) e")


def request_values(queryset: QuerySet[TakedownRequest], *, personal: bool) -> QuerySet:
    fields = REQUEST_VALUES + (("submitted_by__username",) if personal else ())
    return queryset.values(*fields, **{f"{name}_text": _time_text(name) for name in REQUEST_TIMES})


def iter_request_records(queryset: QuerySet[TakedownRequest], *, personal: bool, snapshots: bool = True,
                         chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the records of ``queryset`` in chunks, by ascending id, in constant memory.

    Keyset pagination (``id > last``) rather than OFFSET, so the millionth row costs what the
    first did; and no cursor is held open between chunks. Requests filed after the export began
    are left out, so that the export describes one moment's log.
    """
    upper = TakedownRequest.objects.aggregate(upper=Max("id"))["upper"]
    if upper is None:
        return
    queryset = queryset.filter(id__lte=upper).order_by("id")
    base = request_values(queryset, personal=personal)
    last = 0
    while True:
        rows = list(base.filter(id__gt=last)[:chunk_size])
        if not rows:
            return
        # The chunk is exactly the queryset's rows between the two keys.
        ids = queryset.filter(id__gt=last, id__lte=rows[-1]["id"]).order_by().values("id")
        last = rows[-1]["id"]
        yield request_records(rows, personal=personal, snapshots=snapshots, ids=ids)


# --- What the interoperable exports add to a record ----------------------------------------------

def provision_citations() -> dict[str, str]:
    """Every provision's citation as a lawyer writes it (``Criminal Code art. 174``), by code: one query."""
    return {code: f"{statute} {article}" for code, statute, article
            in LegalProvision.objects.values_list("code", "statute", "article")}


def jurisdiction_names() -> dict[str, str]:
    return dict(Jurisdiction.objects.values_list("code", "name"))


def policy_rules_by_item(references: list[str]) -> dict[tuple[str, int], list[dict]]:
    """The community standards the latest screening found each item to violate, in one query per chunk."""
    rules: dict[tuple[str, int], list[dict]] = {}
    for reference, findings in (CheckResult.objects
                                .filter(request__reference__in=references, name="platform_policy",
                                        round=F("request__screening_round"))
                                .values_list("request__reference", "findings")):
        for entry in (findings or {}).get("items", []):
            if entry.get("verdict") == "violates":
                rules[(reference, entry["position"])] = [
                    {"rule": rule["rule"], "title": rule.get("title", "")} for rule in entry.get("rules", [])]
    return rules

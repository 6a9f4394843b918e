"""Shapes of the auditors' API and the transparency report.

The request and event records are built by audit/selectors.py as plain, JSON-ready dicts
(the same dicts the NDJSON export writes); these serializers describe them for the OpenAPI
schema and pass them through unchanged.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from audit.models import ExportFormat, ExportJob
from reports.models import AuthorityType, Category, Outcome, Queue, Status, SubmissionMethod, Urgency
from transparency.figures import APPEAL_FIGURES, OUTCOMES, REQUESTED_ACTIONS
from transparency.filters import AuditRequestFilter

# --- Requests --------------------------------------------------------------------------------

REQUEST_EXAMPLE = {
    "reference": "CRS-2021-000123",
    "jurisdiction": "KZ",
    "agency": "kz-misd",
    "agency_name": "Ministry of Information and Social Development",
    "authority_type": "ministry",
    "submitted_by": None,
    "submission_method": "api",
    "external_id": None,
    "category": "hate_speech",
    "provisions": ["KZ-CC-174"],
    "requested_action": "restrict_in_jurisdiction",
    "justification": "The post incites discord between groups within the meaning of art. 174.",
    "urgency": "standard",
    "has_court_order": True,
    "court_order": {"court": "Almaty district court", "case_number": "2-123/2021", "date": "2021-10-30"},
    "confidentiality_requested": False,
    "status": "decided",
    "outcome": "full",
    "routing": {"queue": "legal", "priority": 3, "sla_due_at": "2021-11-05T09:30:00Z", "sla_breached": False,
                "workflow_version": "1", "rules_version": "2021.1", "screening_round": 1, "review_round": 1},
    "checks": [
        {"round": 1, "name": "completeness", "version": "1", "verdict": "complete", "flags": [],
         "explanation": "Every required part is present."},
        {"round": 1, "name": "platform_policy", "version": "1", "verdict": "no_violation", "flags": [],
         "explanation": "No community standard is violated."},
        {"round": 1, "name": "local_law", "version": "1", "verdict": "supported", "flags": ["court_order"],
         "explanation": "The cited provision is in force and covers the category."},
        {"round": 1, "name": "human_rights", "version": "1", "verdict": "low", "flags": [],
         "explanation": "No red flags."},
    ],
    "items": [{
        "position": 1,
        "content_id": "kz-0007",
        "url": "",
        "author_pseudonym": "acct-3f9c2b1d7e6a5f40",
        "author_handle": None,
        "author_persona": "ordinary_user",
        "snapshot": {"content_id": "kz-0007", "url": "https://platform.example/p/kz-0007", "author": "[redacted]",
                     "author_persona": "ordinary_user", "author_country": "KZ", "text": "…", "language": "ru",
                     "country": "KZ", "posted_at": "2021-10-28T18:04:00+00:00"},
        "snapshot_sha256": "9d5e3c0f2a4b6c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
        "decision": {"round": 1, "action": "restrict_in_jurisdiction", "reason_code": "unlawful_locally",
                     "rationale": "Unlawful under art. 174 as applied by the court order.",
                     "reviewer_tier": "legal_reviewer", "contradicts_checks": False,
                     "decided_at": "2021-11-03T10:12:44Z"},
        "decisions": [{"round": 1, "action": "restrict_in_jurisdiction", "reason_code": "unlawful_locally",
                       "rationale": "Unlawful under art. 174 as applied by the court order.",
                       "reviewer_tier": "legal_reviewer", "contradicts_checks": False,
                       "decided_at": "2021-11-03T10:12:44Z"}],
    }],
    "created_at": "2021-11-02T09:30:00Z",
    "submitted_at": "2021-11-02T09:30:00Z",
    "routed_at": "2021-11-02T09:30:02Z",
    "decided_at": "2021-11-03T10:12:44Z",
    "closed_at": None,
}


class CourtOrderRecordSerializer(serializers.Serializer):
    court = serializers.CharField()
    case_number = serializers.CharField()
    date = serializers.DateField(allow_null=True)


class RoutingSerializer(serializers.Serializer):
    queue = serializers.ChoiceField(choices=Queue.choices, allow_null=True,
                                    help_text="Queue the workflow routed the request to; null if none.")
    priority = serializers.IntegerField(allow_null=True, help_text="1 is the most urgent.")
    sla_due_at = serializers.DateTimeField(allow_null=True)
    sla_breached = serializers.BooleanField()
    workflow_version = serializers.CharField(help_text="Version of the workflow (order and versions of the checks).")
    rules_version = serializers.CharField(help_text="Version of the rule data the checks and routing used.")
    screening_round = serializers.IntegerField()
    review_round = serializers.IntegerField()


class CheckRecordSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.CharField()
    verdict = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())
    explanation = serializers.CharField()


class DecisionRecordSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    action = serializers.CharField(help_text="remove_globally, restrict_in_jurisdiction or no_action.")
    reason_code = serializers.CharField()
    rationale = serializers.CharField()
    reviewer_tier = serializers.CharField(help_text="The reviewer's role, never their name.")
    contradicts_checks = serializers.BooleanField()
    decided_at = serializers.DateTimeField()


class ItemRecordSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    content_id = serializers.CharField(allow_null=True)
    url = serializers.CharField(allow_blank=True)
    author_pseudonym = serializers.CharField(
        allow_null=True, help_text="Stable pseudonym of the content's author (HMAC-SHA256 of the handle).")
    author_handle = serializers.CharField(
        allow_null=True, help_text="The author's handle; null unless you hold reports.view_personal_data.")
    author_persona = serializers.CharField(allow_null=True)
    snapshot = serializers.DictField(
        help_text="The content as reported. Its author field reads [redacted] unless you hold "
                  "reports.view_personal_data; snapshot_sha256 is the hash of the unredacted snapshot.")
    snapshot_sha256 = serializers.CharField(allow_blank=True)
    decision = DecisionRecordSerializer(allow_null=True, help_text="The decision of the latest round, if any.")
    decisions = DecisionRecordSerializer(many=True, help_text="Every round's decision, oldest first.")


@extend_schema_serializer(examples=[OpenApiExample("A decided request", value=REQUEST_EXAMPLE, response_only=True)])
class AuditRequestSerializer(serializers.Serializer):
    reference = serializers.CharField()
    jurisdiction = serializers.CharField()
    agency = serializers.CharField(help_text="Agency code.")
    agency_name = serializers.CharField()
    authority_type = serializers.ChoiceField(choices=AuthorityType.choices)
    submitted_by = serializers.CharField(
        allow_null=True, help_text="The submitter's username; null unless you hold reports.view_personal_data.")
    submission_method = serializers.ChoiceField(choices=SubmissionMethod.choices)
    external_id = serializers.CharField(allow_null=True)
    category = serializers.ChoiceField(choices=Category.choices)
    provisions = serializers.ListField(child=serializers.CharField(), help_text="Cited provision codes, in order.")
    requested_action = serializers.CharField(allow_blank=True)
    justification = serializers.CharField(allow_blank=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    has_court_order = serializers.BooleanField()
    court_order = CourtOrderRecordSerializer(allow_null=True)
    confidentiality_requested = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Status.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    routing = RoutingSerializer()
    checks = CheckRecordSerializer(many=True, help_text="The checks of the latest screening round, in order.")
    items = ItemRecordSerializer(many=True)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    routed_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        # Records are already in their JSON form (audit.selectors.request_records).
        return instance


# --- Events ----------------------------------------------------------------------------------

# --- Exports ---------------------------------------------------------------------------------

class ExportFiltersSerializer(serializers.Serializer):
    """The request log's filters, as for GET /api/v1/audit/requests/ (all optional)."""

    def get_fields(self):
        fields = {}
        for name, spec in AuditRequestFilter.base_filters.items():
            help_text = spec.extra.get("help_text", "")
            if "choices" in spec.extra:
                fields[name] = serializers.ChoiceField(choices=spec.extra["choices"], required=False,
                                                       help_text=help_text)
            elif name.endswith(("_after", "_before")):
                fields[name] = serializers.CharField(
                    required=False, max_length=40,
                    help_text=f"{help_text} A day (YYYY-MM-DD) or an ISO 8601 time.")
            else:
                fields[name] = serializers.CharField(required=False, max_length=60, help_text=help_text)
        return fields

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown filter."] for name in unknown})
        return super().to_internal_value(data)


@extend_schema_serializer(examples=[OpenApiExample(
    "Kazakhstan's requests of the second half of 2021 as NDJSON", request_only=True,
    value={"format": "ndjson", "filters": {"jurisdiction": "KZ", "submitted_after": "2021-07-01",
                                           "submitted_before": "2022-01-01"}})])
class ExportJobInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)
    filters = ExportFiltersSerializer(required=False, default=dict)


class ExportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "format", "filters", "personal_data", "status", "rows_done", "rows_total", "progress",
                  "size", "sha256", "error", "report", "created_at", "started_at", "finished_at", "download_url"]
        extra_kwargs = {"report": {"help_text": "DSA formats, once done: statements written, and the decisions "
                                                "not expressible (count, per reason, the first 1,000 listed)."}}

    def get_progress(self, job) -> float | None:
        """Share of rows written, from 0 to 1; null until the worker has counted the rows."""
        if job.status == ExportJob.Status.DONE:
            return 1.0
        if not job.rows_total:
            return None
        return round(min(job.rows_done / job.rows_total, 1.0), 4)

    def get_download_url(self, job) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        path = reverse("transparency:audit-export-download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


# --- Transparency ----------------------------------------------------------------------------

def _counts(name: str, keys, help_text: str) -> type[serializers.Serializer]:
    fields = {key: serializers.IntegerField(min_value=0) for key in keys}
    return type(name, (serializers.Serializer,), {**fields, "__doc__": help_text})


CategoryCountsSerializer = _counts("CategoryCounts", Category.values, "Requests per reason category.")
RequestedActionCountsSerializer = _counts("RequestedActionCounts", REQUESTED_ACTIONS,
                                          "Requests per requested action (unspecified: none stated).")
OutcomeCountsSerializer = _counts(
    "OutcomeCounts", OUTCOMES,
    "Items by the decision of their request's latest review round: removed for a policy violation, "
    "restricted in the requester's jurisdiction, no action, or pending.")


AppealCountsSerializer = _counts(
    "AppealCounts", APPEAL_FIGURES,
    "Affected users' appeals against decisions on these requests: filed, still pending, upheld (the decision "
    "stands), reversed, and reversals that restored the content.")


class TransparencyFiguresSerializer(serializers.Serializer):
    requests = serializers.IntegerField(min_value=0)
    items = serializers.IntegerField(min_value=0)
    by_category = CategoryCountsSerializer()
    by_requested_action = RequestedActionCountsSerializer()
    outcomes = OutcomeCountsSerializer()
    with_court_order = serializers.IntegerField(min_value=0)
    court_order_share = serializers.FloatField(allow_null=True, min_value=0, max_value=1,
                                               help_text="with_court_order / requests; null without requests.")
    decided = serializers.IntegerField(min_value=0)
    median_days_to_decision = serializers.FloatField(allow_null=True, min_value=0,
                                                     help_text="From submission to decision; null if none decided.")
    appeals = AppealCountsSerializer()


class TransparencyJurisdictionSerializer(TransparencyFiguresSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


def _example_figures(requests: int, items: int, categories: dict, actions: tuple, outcomes: tuple, court: int,
                     decided: int, median: float, appeals: tuple = (0, 0, 0, 0, 0)) -> dict:
    return {
        "requests": requests, "items": items,
        "by_category": {code: categories.get(code, 0) for code in Category.values},
        "by_requested_action": dict(zip(REQUESTED_ACTIONS, actions, strict=True)),
        "outcomes": dict(zip(OUTCOMES, outcomes, strict=True)), "with_court_order": court,
        "court_order_share": round(court / requests, 4), "decided": decided, "median_days_to_decision": median,
        "appeals": dict(zip(APPEAL_FIGURES, appeals, strict=True)),
    }


TRANSPARENCY_EXAMPLE = {
    "period": "2021-H2", "label": "July–December 2021", "start": "2021-07-01", "end": "2021-12-31",
    "totals": _example_figures(7, 11, {"hate_speech": 3, "government_criticism": 2, "false_information": 1,
                                       "defamation": 1}, (1, 5, 1), (1, 4, 3, 3), 3, 5, 3.0, (2, 0, 1, 1, 1)),
    "jurisdictions": [
        {"code": "KZ", "name": "Kazakhstan",
         **_example_figures(5, 9, {"hate_speech": 2, "government_criticism": 2, "false_information": 1},
                            (1, 3, 1), (1, 3, 2, 3), 2, 3, 4.0, (2, 0, 1, 1, 1))},
        {"code": "DE", "name": "Germany",
         **_example_figures(2, 2, {"hate_speech": 1, "defamation": 1}, (0, 2, 0), (0, 1, 1, 0), 1, 2, 2.25)},
    ],
}


@extend_schema_serializer(examples=[OpenApiExample("Two countries in the second half of 2021",
                                                   value=TRANSPARENCY_EXAMPLE, response_only=True)])
class TransparencyReportSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="Half-year, e.g. 2021-H2.")
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="Last day of the period.")
    totals = TransparencyFiguresSerializer()
    jurisdictions = TransparencyJurisdictionSerializer(many=True)

    def to_representation(self, instance):
        return instance

"""The auditors' API (read-only, auditors only) and the public transparency figures.

Everything an auditor reads is scoped to their exercise. Views stay thin: the records come
from transparency/selectors.py, exports from transparency/exports.py, the figures from transparency/figures.py.
"""

from __future__ import annotations

import hashlib
import re
from functools import partial

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import ExportFormat, ExportJob
from audit.permissions import IsAuditor
from audit.stamps import StampedCountPaginator
from reports.errors import DomainError, InvalidInput, NotAllowed
from reports.models import TakedownRequest
from reports.roles import may_see_personal_data
from reports.tenancy import exercise_for_user
from reports.throttling import CountingAnonRateThrottle
from review.uniformity import workflow_uniformity
from transparency import exports, figures
from transparency.database_exports import database_exports_available, page_record_texts
from transparency.filters import AuditRequestFilter
from transparency.page_cache import cached_page
from transparency.selectors import audit_requests, auditors_view, request_records, request_values
from transparency.serializers import (
    AuditRequestSerializer,
    ExportJobInputSerializer,
    ExportJobSerializer,
    TransparencyReportSerializer,
)

JURISDICTION_CODE = re.compile(r"^[A-Z]{2}$")


def records_spliced(empty_page: bytes, records: list[str]) -> bytes:
    """``empty_page`` (compact JSON whose last member is ``"results":[]``) with ``records`` as its results.

    DRF's renderer writes U+2028 and U+2029 escaped, as JavaScript needs; the records' text, written
    by the database, holds them as they are.
    """
    if not empty_page.endswith(b"[]}"):
        raise ValueError("the page's last member must be its empty results")
    results = ",".join(records).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return empty_page[:-2] + results.encode() + b"]}"


class FileFormatNegotiation(DefaultContentNegotiation):
    """On endpoints whose ``?format=`` names a file format (csv, ndjson), DRF must not read it as a renderer.

    Files are streamed past the renderers; everything rendered (errors included) is JSON.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AuditRequestPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # The total is counted once per change of the record, not on every page (reports/pagination.py).
        exercise = getattr(view, "exercise", None) or exercise_for_user(request.user)
        self.django_paginator_class = partial(StampedCountPaginator, exercise=exercise)
        return super().paginate_queryset(queryset, request, view)


EXPORT_DESCRIPTION = (
    "The filtered request log as a file, streamed in constant memory whatever its size: "
    "`format=csv` (one row per request, the columns of docs/exports.md) or `format=ndjson` "
    "(one request per line, each exactly as in GET /api/v1/audit/requests/). Requests filed after "
    "the export began are left out. The export is recorded in the audit trail (export_created) "
    "with its filters and row count, which the X-Export-Rows header also gives.\n\n"
    "CSV columns: " + ", ".join(exports.CSV_COLUMNS) + ". Per-item columns (content_ids, "
    "snapshot_sha256s, author_pseudonyms, author_handles, item_decisions) list one value per item "
    "in item order, separated by ';'. Cells that a spreadsheet would run as a formula are prefixed with '.\n\n"
    "Other projects' formats (docs/exports.md maps them field by field; neither carries personal data): "
    "`format=dsa-sor-csv` (EU DSA Transparency Database statements of reasons, one per item whose latest "
    "decision removed or restricted it, in the columns of the database's CSV dumps), `format=dsa-sor-json` "
    "(the same statements as bodies of the database's bulk endpoint, `{\"statements\": [...]}` with 100 "
    "statements, one body per line) and `format=lumen-json` (one Lumen GovernmentRequest notice per request, "
    "one per line). Every statement is checked against the database's rules before it is written; decisions "
    "the database cannot express are listed by GET .../requests/dsa-report/ and in a background job's report."
)


class StatementReportSerializer(serializers.Serializer):
    statements = serializers.IntegerField(help_text="Statements of reasons the DSA export writes.")
    not_expressible = serializers.IntegerField(help_text="Decisions that removed or restricted content and that "
                                                         "the DSA database cannot express.")
    reasons = serializers.DictField(child=serializers.IntegerField(), help_text="Those decisions per reason.")
    listed = serializers.ListField(child=serializers.DictField(),
                                   help_text="The first 1,000 of them: reference, item, action, reason.")
    listed_complete = serializers.BooleanField(help_text="False when more decisions were not expressible "
                                                         "than are listed.")


@extend_schema(tags=["auditors"])
class AuditRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The request log of your exercise: every filed request with its checks, route and decisions."""

    permission_classes = [permissions.IsAuthenticated, IsAuditor]
    serializer_class = AuditRequestSerializer
    queryset = TakedownRequest.objects.none()
    filterset_class = AuditRequestFilter
    pagination_class = AuditRequestPagination
    lookup_field = "reference"
    lookup_value_regex = r"CRS-[0-9]{4}-[0-9]+"

    @cached_property
    def exercise(self):
        return exercise_for_user(self.request.user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TakedownRequest.objects.none()
        return audit_requests(exercise=self.exercise)

    @extend_schema(description="Filed requests, oldest first (by id), 50 a page (page_size up to 500). "
                               "Drafts are not listed. Reporters are never named: submitted_by and the items' "
                               "author_handle are null, and snapshots' author is [redacted], unless you hold "
                               "the reports.view_personal_data permission.")
    def list(self, request):
        caller = auditors_view(request.user)
        self.exercise, personal = caller.exercise, caller.personal
        version = caller.log_version if request.accepted_renderer.format == "json" else None
        if version is None:
            return self.get_paginated_response(self._page_data(personal))
        # A page's bytes change only when the log does: cached under the log's version and everything else
        # the answer depends on (the address with its filters and page, the caller's right to personal data,
        # the media type asked for).
        key = "crs.audit-page:" + hashlib.sha256(
            f"{version}|{int(personal)}|{request.accepted_media_type}|{request.build_absolute_uri()}".encode()).hexdigest()
        body = cached_page(key, lambda: self._page_body(personal))
        return HttpResponse(body, content_type=request.accepted_renderer.media_type)

    def _page_body(self, personal: bool) -> bytes:
        """The page as JSON; its records' text written by PostgreSQL unless the caller asked for indented JSON."""
        renderer, media_type, context = (self.request.accepted_renderer, self.request.accepted_media_type,
                                         self.get_renderer_context())
        if renderer.get_indent(media_type, context) is not None or not database_exports_available():
            return renderer.render(self.paginator.get_paginated_response(self._page_data(personal)).data,
                                   media_type, context)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values_list("id", "screening_round"))
        records = page_record_texts(list(page), personal=personal)
        empty = renderer.render(self.paginator.get_paginated_response([]).data, media_type, context)
        return records_spliced(empty, records)

    def _page_data(self, personal: bool) -> list[dict]:
        queryset = request_values(self.filter_queryset(self.get_queryset()), personal=personal)
        page = self.paginate_queryset(queryset)
        return self.get_serializer(request_records(list(page), personal=personal), many=True).data

    def retrieve(self, request, reference=None):
        personal = may_see_personal_data(request.user)
        rows = list(request_values(self.get_queryset().filter(reference=reference), personal=personal)[:1])
        if not rows:
            raise exceptions.NotFound
        return Response(self.get_serializer(request_records(rows, personal=personal)[0]).data)

    @extend_schema(
        description=EXPORT_DESCRIPTION, filters=True,
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=ExportFormat.values, default="csv",
                                     description=", ".join(ExportFormat.values) + ".")],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row (csv, "
                                                                             "dsa-sor-csv)."),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="One JSON document per line: a request record (ndjson), a bulk body "
                                              "of statements (dsa-sor-json) or a Lumen notice (lumen-json)."),
        },
    )
    @action(detail=False, methods=["get"], content_negotiation_class=FileFormatNegotiation, pagination_class=None)
    def export(self, request):
        fmt = request.query_params.get("format", ExportFormat.CSV)
        stream, rows = exports.export_stream_start(actor=request.user, exercise=exercise_for_user(request.user),
                                                   fmt=fmt, filters=request.query_params)
        response = StreamingHttpResponse(stream, content_type=exports.CONTENT_TYPES[fmt])
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="crs-requests-{stamp}.{exports.FILE_EXTENSIONS[fmt]}"'
        response["X-Export-Rows"] = str(rows)
        return response

    @extend_schema(
        filters=True, responses={200: StatementReportSerializer},
        description="What the DSA export (dsa-sor-csv, dsa-sor-json) of the filtered requests writes: the number "
                    "of statements, and every decision that removed or restricted content but that the DSA "
                    "database cannot express (for example a restriction outside the EU/EEA), with the reason. "
                    "Such decisions are reported here, never written in a bent shape.")
    @action(detail=False, methods=["get"], url_path="dsa-report", pagination_class=None)
    def dsa_report(self, request):
        return Response(exports.statement_report(exercise=exercise_for_user(request.user),
                                                 filters=request.query_params))


@extend_schema(tags=["auditors"])
class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Background exports: ask for one, poll its progress, download the file when it is done."""

    permission_classes = [permissions.IsAuthenticated, IsAuditor]
    serializer_class = ExportJobSerializer
    queryset = ExportJob.objects.none()
    pagination_class = AuditRequestPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportJob.objects.none()
        user = self.request.user
        return ExportJob.objects.filter(requested_by=user, exercise=exercise_for_user(user)).order_by("-created_at")

    def get_object(self):
        # get_object_or_404 raises Django's Http404; answer with the API's not_found code like the other lists.
        try:
            return super().get_object()
        except Http404:
            raise exceptions.NotFound from None

    @extend_schema(
        request=ExportJobInputSerializer, responses={202: ExportJobSerializer},
        description="Start writing the filtered request log to a file in the background (for exports too "
                    "large to stream comfortably). Answers 202 with the job; poll it at its URL (Location) "
                    "for rows_done / rows_total, and download it from download_url once status is done.",
        examples=[OpenApiExample("A job just created", response_only=True, status_codes=["202"], value={
            "id": "6f1c2a9e-0d4b-4b57-9c0e-3a8d2f7b1e55", "format": "ndjson",
            "filters": {"jurisdiction": "KZ", "submitted_after": "2021-07-01"}, "personal_data": False,
            "status": "pending", "rows_done": 0, "rows_total": None, "progress": None, "size": None,
            "sha256": "", "error": "", "created_at": "2021-12-01T10:00:00Z", "started_at": None,
            "finished_at": None, "download_url": None})],
    )
    def create(self, request):
        serializer = ExportJobInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = exports.export_job_create(actor=request.user, exercise=exercise_for_user(request.user),
                                        fmt=serializer.validated_data["format"],
                                        filters=serializer.validated_data["filters"])
        data = ExportJobSerializer(job, context=self.get_serializer_context()).data
        location = request.build_absolute_uri(f"{request.path.rstrip('/')}/{job.pk}/")
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, "application/x-ndjson"): OpenApiTypes.BINARY,
                   409: OpenApiResponse(description="The export is not finished yet (or failed).")},
        description="The finished file, with its SHA-256 in the job's sha256.")
    @action(detail=True, methods=["get"], content_negotiation_class=FileFormatNegotiation)
    def download(self, request, pk=None):
        job = self.get_object()
        if job.status != ExportJob.Status.DONE:
            raise DomainError(f"The export is {job.get_status_display().lower()}; download it once its status "
                              "is done.", code="not_ready", status=409)
        if job.personal_data and not may_see_personal_data(request.user):
            raise NotAllowed("This export holds personal data, and you no longer hold the permission to see it.")
        path = exports.export_path(job)
        if not path.exists():
            raise exceptions.NotFound("The export's file is no longer there; ask for a new export.")
        response = FileResponse(path.open("rb"), as_attachment=True,
                                filename=f"crs-requests-{job.created_at:%Y%m%dT%H%M%SZ}."
                                         f"{exports.FILE_EXTENSIONS[job.format]}",
                                content_type=exports.CONTENT_TYPES[job.format])
        return response


class TransparencyThrottle(CountingAnonRateThrottle):
    """The public report is read by anyone: one anonymous rate for all, per address."""


@extend_schema(tags=["transparency"])
class TransparencyView(APIView):
    """Public figures per jurisdiction and half-year: no account needed."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [TransparencyThrottle]
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, pattern=r"^[0-9]{4}-H[12]$",
                             description="Half-year, e.g. 2021-H2 (July to December 2021). "
                                         "Default: the latest half-year with requests."),
            OpenApiParameter("jurisdiction", OpenApiTypes.STR, pattern="^[A-Za-z]{2}$",
                             description="Only this jurisdiction (ISO 3166-1 alpha-2)."),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], default="json"),
        ],
        responses={
            (200, "application/json"): TransparencyReportSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One row per jurisdiction and a last row for all (jurisdiction ALL); columns: "
                            + ", ".join(figures.CSV_COLUMNS) + "."),
        },
        description="Requests submitted in the half-year, per requester jurisdiction: requests, items, by "
                    "category, by requested action, item outcomes from the latest review round, share with a "
                    "court order, median days from submission to decision.",
    )
    def get(self, request):
        params = request.query_params
        exercise = exercise_for_user(request.user)
        fmt = params.get("format", "json")
        if fmt not in ("json", "csv"):
            raise InvalidInput({"format": ["Use json or csv."]})
        code = (params.get("jurisdiction") or "").strip().upper() or None
        if code is not None and not JURISDICTION_CODE.match(code):
            raise InvalidInput({"jurisdiction": ["Use an ISO 3166-1 alpha-2 code, e.g. KZ."]})
        period = (figures.Period.parse(params["period"]) if params.get("period")
                  else figures.default_period(exercise=exercise))
        report = figures.transparency_report_cached(exercise=exercise, period=period, jurisdiction=code)
        if fmt == "csv":
            response = HttpResponse(figures.report_csv(report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="crs-transparency-{period.code}.csv"'
            return response
        return Response(TransparencyReportSerializer(report).data)


class UniformitySerializer(serializers.Serializer):
    identical = serializers.BooleanField(help_text="True when every jurisdiction's requests went through the same "
                                                   "workflow versions and the same sequence of checks.")
    jurisdictions = serializers.DictField(help_text="Per jurisdiction: screenings, and how many went through each "
                                                    "workflow version, rules version and check sequence.")
    differences = serializers.ListField(child=serializers.DictField(),
                                        help_text="Per jurisdiction, what it went through that not all others did.")


@extend_schema(tags=["auditors"])
class UniformityView(APIView):
    """Whether every government's requests went through the same process, per jurisdiction."""

    permission_classes = [permissions.IsAuthenticated, IsAuditor]
    serializer_class = UniformitySerializer

    @extend_schema(responses={200: UniformitySerializer}, examples=[OpenApiExample("One process", value={
        "identical": True, "differences": [],
        "jurisdictions": {"KZ": {"screenings": 120, "workflow_versions": {"1": 120}, "rules_versions": {"2021.1": 120},
                                 "check_sequences": {"completeness>platform_policy>local_law>human_rights": 120}}}},
        response_only=True)])
    def get(self, request):
        return Response(workflow_uniformity(exercise=exercise_for_user(request.user)))

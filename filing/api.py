"""The reporters' API: file, follow and answer takedown requests; discover provisions and content."""

from __future__ import annotations

import hashlib

import django_filters
from django.http import Http404
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audit import receipts
from filing import representation
from filing.selectors import (
    content_for_exercise,
    provisions_for_jurisdiction,
    request_detail_queryset,
    requests_for_agency,
)
from filing.serializers import (
    BulkInputSerializer,
    BulkResponseSerializer,
    ContentSerializer,
    EvidenceInputSerializer,
    EvidenceSerializer,
    JurisdictionSerializer,
    ProvisionSerializer,
    ReconsiderInputSerializer,
    RequestDetailSerializer,
    RequestInputSerializer,
    RequestSummarySerializer,
    RespondInputSerializer,
    WithdrawInputSerializer,
    bulk_input_checked,
    request_input_checked,
)
from filing.services import (
    bulk_file_idempotent,
    evidence_attach,
    request_file,
    request_reconsider,
    request_respond,
    request_withdraw,
)
from reports.filters import UTCIsoDateTimeFilter
from reports.limits import EVIDENCE_MAX_MB
from reports.models import Category, ContentItem, Jurisdiction, Status, SubmissionMethod, TakedownRequest
from reports.tenancy import exercise_for_user, reporter_account_for

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: {code, detail, fields} with a message per field path."),
    403: OpenApiResponse(description="Not a reporter account, or not verified for this action."),
    404: OpenApiResponse(description="No such request in your agency's records."),
    409: OpenApiResponse(description="The request is not in a state that allows this action."),
}


class IsReporter(permissions.BasePermission):
    """A verified reporter account: a pending or rejected one sees and does nothing here, as in the portal.

    The view gives the caller's account as ``reporter``, read once for the check and the action.
    """

    message = "Only verified reporter accounts use the reporters' API."

    def has_permission(self, request, view) -> bool:
        account = view.reporter
        if account is not None and not account.can_file:
            self.message = (f"This reporter account is {account.get_verification_display().lower()}: "
                            "the API opens once platform staff have verified it.")
            return False
        return account is not None


class RequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    submitted_after = UTCIsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = UTCIsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")

    class Meta:
        model = TakedownRequest
        fields = ["status", "category", "submitted_after", "submitted_before"]


class ReceiptSerializer(serializers.Serializer):
    event = serializers.IntegerField(help_text="The audit event's id.")
    type = serializers.CharField(help_text="request_submitted or item_decided.")
    sealed = serializers.BooleanField(help_text="Whether the event is in the log yet.")
    url = serializers.URLField(help_text="Where to download its .tlog-proof receipt.")


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your agency's takedown requests. Another agency's references answer 404."""

    permission_classes = [permissions.IsAuthenticated, IsReporter]
    serializer_class = RequestDetailSerializer
    queryset = TakedownRequest.objects.none()
    lookup_field = "reference"
    lookup_value_regex = r"CRS-[0-9]{4}-[0-9]+"
    filterset_class = RequestFilter

    @cached_property
    def reporter(self):
        # Read once per call: the permission check and the action share it.
        return reporter_account_for(self.request.user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TakedownRequest.objects.none()
        queryset = requests_for_agency(reporter=self.reporter).select_related("agency")
        if self.action == "retrieve":
            return request_detail_queryset().filter(pk__in=queryset.values("pk"))
        return queryset.order_by("-created_at", "-id")

    def get_serializer_class(self):
        return RequestSummarySerializer if self.action == "list" else RequestDetailSerializer

    def _detail(self, request_obj, code=status.HTTP_200_OK) -> Response:
        fresh = request_detail_queryset().get(pk=request_obj.pk)
        return Response(representation.request_detail(fresh), status=code)

    def _act(self, reference: str, input_serializer, act) -> Response:
        """A transition on one of the agency's requests: found first (another agency's is missing), then the body."""
        own = self._own(reference)
        serializer = input_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return self._detail(act(own, serializer.validated_data, serializer))

    @extend_schema(responses={200: ReceiptSerializer(many=True)},
                   description="The request's events you can hold an offline receipt for (c2sp.org/tlog-proof): "
                               "its submission and each item's decision, each with its download address.")
    @action(detail=True, methods=["get"])
    def receipts(self, request, reference: str):
        own = self._own(reference)
        return Response([{"event": e.pk, "type": e.event_type, "sealed": hasattr(e, "log_entry"),
                          "url": request.build_absolute_uri(f"{request.path.rstrip('/')}/{e.pk}/")}
                         for e in receipts.receipt_events(request_id=own.pk)])

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR,
                              404: OpenApiResponse(description="Not sealed under a witnessed checkpoint yet.")},
                   description="An offline receipt (c2sp.org/tlog-proof@v1) that the event is in the transparency "
                               "log; it verifies with the log's verifier key alone (`crs_verify.py --receipt`).")
    @action(detail=True, methods=["get"], url_path=r"receipts/(?P<event_id>[0-9]+)")
    def receipt(self, request, reference: str, event_id: str):
        own = self._own(reference)
        return receipts.receipt_response(event=receipts.receipt_event(request_id=own.pk, event_id=int(event_id)))

    def _own(self, reference: str) -> TakedownRequest:
        """One of the agency's requests. Looked up before the body is read: another agency's is simply missing."""
        try:
            return requests_for_agency(reporter=self.reporter).get(reference=reference)
        except TakedownRequest.DoesNotExist:
            raise Http404 from None

    @extend_schema(request=RequestInputSerializer, responses={201: RequestDetailSerializer,
                                                              200: RequestDetailSerializer, **ERROR_RESPONSES},
                   description="File a takedown request. Sending an external_id already used by your agency "
                               "returns the first request (200) and files nothing.")
    def create(self, request):
        filed, created = request_file(reporter=self.reporter, data=request_input_checked(request.data),
                                      method=SubmissionMethod.API)
        if not created:
            return self._detail(filed)
        # The new request carries what was stored with it (items, citations): not read back.
        return Response(representation.request_detail(filed, just_filed=True), status=status.HTTP_201_CREATED)

    @extend_schema(request=BulkInputSerializer, responses={201: BulkResponseSerializer, 200: BulkResponseSerializer,
                                                           **ERROR_RESPONSES},
                   parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                description="Repeat a call with the same key to get the same "
                                                            "answer without filing twice.")],
                   description="File 1 to 100 requests, all or nothing. Errors are keyed by position "
                               "(requests.3.category).")
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        batch = bulk_input_checked(request.data)
        response, replayed = bulk_file_idempotent(
            reporter=self.reporter, batch=batch, idempotency_key=request.headers.get("Idempotency-Key"),
            body_sha256=hashlib.sha256(request.body).hexdigest())
        return Response(response, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)

    @extend_schema(request=RespondInputSerializer, responses={200: RequestDetailSerializer, **ERROR_RESPONSES},
                   description="Answer a request for information; any fields given correct the request, which "
                               "is then screened again.")
    @action(detail=True, methods=["post"])
    def respond(self, request, reference=None):
        return self._act(reference, RespondInputSerializer, lambda own, data, serializer: request_respond(
            reporter=self.reporter, request=own, message=data["message"], changes=serializer.changes()))

    @extend_schema(request=WithdrawInputSerializer, responses={200: RequestDetailSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, reference=None):
        return self._act(reference, WithdrawInputSerializer, lambda own, data, _serializer: request_withdraw(
            reporter=self.reporter, request=own, reason=data["reason"]))

    @extend_schema(request=ReconsiderInputSerializer, responses={200: RequestDetailSerializer, **ERROR_RESPONSES},
                   description="Ask, once, for a decided request to be reviewed again.")
    @action(detail=True, methods=["post"])
    def reconsider(self, request, reference=None):
        return self._act(reference, ReconsiderInputSerializer, lambda own, data, _serializer: request_reconsider(
            reporter=self.reporter, request=own, message=data["message"]))

    @extend_schema(request={"multipart/form-data": EvidenceInputSerializer},
                   responses={201: EvidenceSerializer, **ERROR_RESPONSES},
                   description=f"Attach a PDF, PNG or JPEG (at most {EVIDENCE_MAX_MB} MB), recognised by its "
                               "content.")
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, reference=None):
        own = self._own(reference)
        serializer = EvidenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = evidence_attach(reporter=self.reporter, request=own, upload=serializer.validated_data["file"],
                                 kind=serializer.validated_data["kind"])
        return Response(EvidenceSerializer(stored).data, status=status.HTTP_201_CREATED)


class JurisdictionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Jurisdictions and their catalogs of legal provisions (the codes to cite in legal_basis)."""

    serializer_class = JurisdictionSerializer
    queryset = Jurisdiction.objects.order_by("code")
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z]{2}"

    @extend_schema(responses=ProvisionSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=ProvisionSerializer)
    def provisions(self, request, code=None):
        if not Jurisdiction.objects.filter(code=code.upper()).exists():
            raise Http404
        return Response(ProvisionSerializer(provisions_for_jurisdiction(code), many=True).data)


class ContentFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")
    language = django_filters.CharFilter(field_name="language", lookup_expr="iexact")
    persona = django_filters.CharFilter(field_name="author__persona")

    class Meta:
        model = ContentItem
        fields = ["country", "language", "persona"]


class ContentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Posts on the simulated platform in your exercise (the content ids to report)."""

    serializer_class = ContentSerializer
    queryset = ContentItem.objects.none()
    filterset_class = ContentFilter
    lookup_field = "code"
    lookup_url_kwarg = "content_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContentItem.objects.none()
        exercise = exercise_for_user(self.request.user)
        return content_for_exercise(exercise=exercise).order_by("code")

"""The audit trail's API: its events (auditors), signed checkpoints, inclusion and consistency proofs, verification.

Checkpoints and proofs are public: anyone holding a checkpoint can check that an
event is in the log and that the log only ever grew, with the RFC 9162 algorithms
and nothing from this project. Hashes, signatures and keys are lowercase hex; the
signed body is given base64-encoded as ``signed_note`` (its format: audit/signing.py).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import log
from audit.models import AuditEvent, Checkpoint
from audit.permissions import IsAuditor
from audit.selectors import audit_events, event_records
from reports.tenancy import exercise_for_user

HEX32 = "64 lowercase hex digits (32 bytes)"


class CheckpointSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField(help_text="Number of events in the log at this checkpoint.")
    root_hash = serializers.CharField(help_text=f"Merkle tree root (RFC 9162), {HEX32}.")
    timestamp = serializers.DateTimeField()
    signature = serializers.CharField(help_text="Ed25519 signature over the signed note, 128 hex digits.")
    public_key = serializers.CharField(help_text=f"Ed25519 public key, {HEX32}.")
    key_id = serializers.CharField(help_text="First 16 hex digits of SHA-256 of the public key.")
    origin = serializers.CharField(help_text="The log's name; the first line of the signed note.")
    signed_note = serializers.CharField(help_text="Base64 of the exact bytes signed: origin, size, base64 root, "
                                                  "timestamp, each followed by a newline.")


class InclusionProofSerializer(serializers.Serializer):
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text=f"SHA-256(0x00 || the event's canonical bytes), {HEX32}.")
    audit_path = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 section 2.1.3.1, hex.")
    root_hash = serializers.CharField()


class ConsistencyProofSerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    first_root = serializers.CharField()
    second_root = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 section 2.1.4.1, hex.")


class BrokenLeafSerializer(serializers.Serializer):
    leaf_index = serializers.IntegerField()
    event_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class VerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    events = serializers.IntegerField(help_text="Events sealed in the log.")
    pending = serializers.IntegerField(help_text="Events written but not sealed yet.")
    checkpoints_checked = serializers.IntegerField()
    first_broken = BrokenLeafSerializer(allow_null=True)


class CheckpointPagination(PageNumberPagination):
    page_size = 100


class CheckpointViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Signed checkpoints, newest first."""

    permission_classes = [permissions.AllowAny]
    serializer_class = CheckpointSerializer
    queryset = Checkpoint.objects.order_by("-tree_size")
    pagination_class = CheckpointPagination

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([log.checkpoint_document(c) for c in page])

    @extend_schema(responses={200: CheckpointSerializer, 404: OpenApiResponse(description="The log is empty.")})
    @action(detail=False, methods=["get"])
    def latest(self, request):
        checkpoint = Checkpoint.objects.order_by("-tree_size").first()
        if checkpoint is None:
            raise NotFound("The log has no checkpoint yet.")
        return Response(log.checkpoint_document(checkpoint))


def _size_param(request, name: str, *, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None and default is not None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: ["Give a whole number."]}) from None
    if value < 0:
        raise ValidationError({name: ["Give a number of at least 0."]})
    return value


class InclusionProofView(APIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = InclusionProofSerializer

    @extend_schema(
        parameters=[OpenApiParameter("tree_size", OpenApiTypes.INT, description="A checkpointed tree size "
                                     "(default: the latest).")],
        responses={200: InclusionProofSerializer, 400: OpenApiResponse(description="No such leaf or tree size.")},
        examples=[OpenApiExample("Proof", response_only=True, value={
            "leaf_index": 5, "tree_size": 8, "leaf_hash": "ab" * 32, "audit_path": ["cd" * 32, "ef" * 32, "01" * 32],
            "root_hash": "23" * 32})],
        description="Inclusion proof of the event at log index `index` in the tree of `tree_size` leaves.")
    def get(self, request, index: str):
        if int(index) < 0:
            raise ValidationError({"index": ["A log index is 0 or more."]})
        latest = log.tree_size()
        size = _size_param(request, "tree_size", default=latest)
        try:
            return Response(log.inclusion_proof(index=int(index), size=size))
        except log.ProofError as exc:
            raise ValidationError({"tree_size": [str(exc)]}) from None


class ConsistencyProofView(APIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = ConsistencyProofSerializer

    @extend_schema(
        parameters=[OpenApiParameter("first", OpenApiTypes.INT, required=True),
                    OpenApiParameter("second", OpenApiTypes.INT, required=True)],
        responses={200: ConsistencyProofSerializer, 400: OpenApiResponse(description="Sizes not checkpointed.")},
        description="Proof that the log at size `second` extends the log at size `first` (both checkpointed).")
    def get(self, request):
        first, second = _size_param(request, "first"), _size_param(request, "second")
        try:
            return Response(log.consistency_proof(first=first, second=second))
        except log.ProofError as exc:
            raise ValidationError({"second": [str(exc)]}) from None


class VerifyView(APIView):
    """Re-computes every leaf, the tree and every checkpoint; reports the first bad leaf (auditors only)."""

    permission_classes = [permissions.IsAuthenticated, IsAuditor]
    serializer_class = VerificationSerializer

    @extend_schema(responses={200: VerificationSerializer})
    def get(self, request):
        return Response(log.log_verify().as_dict())


# --- The audit trail (auditors) --------------------------------------------------------------

class AuditEventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(field_name="event_type", max_length=40,
                                     help_text="Event type, e.g. request_submitted or item_decided.")
    request = django_filters.CharFilter(field_name="request__reference", max_length=20,
                                        help_text="Only the events of this request (its reference).")
    log_index = django_filters.NumberFilter(field_name="log_entry__index",
                                            help_text="The event at this index of the transparency log.")
    sealed = django_filters.BooleanFilter(field_name="log_entry", lookup_expr="isnull", exclude=True,
                                          help_text="true: only events sealed into the log; false: only pending.")

    class Meta:
        model = AuditEvent
        fields = ["type", "request", "log_index", "sealed"]


@extend_schema_serializer(examples=[OpenApiExample("A submission", response_only=True, value={
    "id": 41, "uid": "0b6c3f57-9a3e-4c1e-8d1f-2a7b5e9c4d10", "type": "request_submitted",
    "created_at": "2021-11-02T09:30:00.123456Z", "request": "CRS-2021-000123", "actor": "user:17",
    "actor_role": "reporter", "payload": {"agency": "kz-misd", "category": "hate_speech"},
    "canonical": "eyJhY3RvciI6eyJpZCI6InVzZXI6MTciLCJyb2xlIjoicmVwb3J0ZXIifX0=", "log_index": 40,
    "leaf_hash": "5f" * 32})])
class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.UUIDField()
    type = serializers.CharField()
    created_at = serializers.DateTimeField()
    request = serializers.CharField(allow_null=True, help_text="The request's reference, if the event is about one.")
    actor = serializers.CharField(help_text="Pseudonym of who acted: user:<id> or system.")
    actor_role = serializers.CharField()
    payload = serializers.DictField()
    canonical = serializers.CharField(
        help_text="Base64 of the event's canonical bytes: the exact bytes the transparency log hashes "
                  "(leaf hash = SHA-256(0x00 || bytes)).")
    log_index = serializers.IntegerField(allow_null=True,
                                         help_text="The event's index in the transparency log, once sealed.")
    leaf_hash = serializers.CharField(allow_null=True,
                                      help_text="The leaf hash the log sealed (hex), once sealed: recompute it from "
                                                "`canonical` to check the event was not changed since.")

    def to_representation(self, instance):
        return instance


class AuditEventPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


@extend_schema(tags=["auditors"])
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail: every event of your exercise (and installation-wide ones), in the order written."""

    permission_classes = [permissions.IsAuthenticated, IsAuditor]
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()
    filterset_class = AuditEventFilter
    pagination_class = AuditEventPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return audit_events(exercise=exercise_for_user(self.request.user))

    @extend_schema(description="Events by ascending id, 100 a page (page_size up to 1000); follow `next` "
                               "(a cursor) to read on. Each event carries its canonical bytes (base64), "
                               "the exact bytes the transparency log hashes, and its log_index once sealed.")
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(event_records(page), many=True).data)

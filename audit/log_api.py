"""The transparency log's API: signed checkpoints, inclusion and consistency proofs, verification.

Checkpoints and proofs are public: anyone holding a checkpoint can check that an
event is in the log and that the log only ever grew, with the RFC 9162 algorithms
and nothing from this project. Hashes, signatures and keys are lowercase hex; the
signed body is given base64-encoded as ``signed_note`` (its format: audit/signing.py).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import log
from audit.models import Checkpoint
from audit.permissions import IsAuditor

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

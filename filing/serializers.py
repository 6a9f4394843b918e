"""The reporters' API shapes. Input serializers only check types; the services check meaning.

The output serializers declare the shapes for the schema; filing/representation.py makes their values.
"""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from filing import representation
from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from reports import limits
from reports.models import (
    Category,
    ContentItem,
    Evidence,
    Jurisdiction,
    LegalProvision,
    RequestedAction,
    RequestItem,
    RequestMessage,
    TakedownRequest,
    Urgency,
)

# --- Input ---------------------------------------------------------------------------------

# The longest content id and provision code a body may give (the serializers and request_input_read).
CONTENT_ID_MAX_CHARS = 20
PROVISION_CODE_MAX_CHARS = 40

class ItemInputSerializer(serializers.Serializer):
    content_id = serializers.CharField(required=False, allow_blank=True, max_length=CONTENT_ID_MAX_CHARS,
                                       help_text="A content id from /api/v1/content/, e.g. kz-0007.")
    url = serializers.CharField(required=False, allow_blank=True, max_length=limits.MAX_URL_CHARS,
                                help_text="The post's URL, e.g. https://platform.example/p/kz-0007.")


class CourtOrderSerializer(serializers.Serializer):
    court = serializers.CharField(max_length=limits.MAX_COURT_CHARS, allow_blank=True, required=False, default="")
    case_number = serializers.CharField(max_length=limits.MAX_CASE_NUMBER_CHARS, allow_blank=True, required=False,
                                        default="")
    date = serializers.DateField(required=False, allow_null=True, default=None)


REQUEST_EXAMPLE = {
    "items": [{"content_id": "kz-0007"}, {"url": "https://platform.example/p/kz-0012"}],
    "category": "government_criticism",
    "legal_basis": ["KZ-CC-174"],
    "requested_action": "restrict_in_jurisdiction",
    "justification": "The posts incite social discord within the meaning of art. 174 of the Criminal Code.",
    "urgency": "standard",
    "court_order": {"court": "Specialised Inter-District Criminal Court of Almaty", "case_number": "1-2021-0457",
                    "date": "2021-10-30"},
}


@extend_schema_serializer(examples=[OpenApiExample("A request citing local law", value=REQUEST_EXAMPLE,
                                                   request_only=True)])
class RequestInputSerializer(serializers.Serializer):
    items = ItemInputSerializer(many=True, allow_empty=False)
    category = serializers.ChoiceField(choices=Category.choices)
    legal_basis = serializers.ListField(child=serializers.CharField(max_length=PROVISION_CODE_MAX_CHARS),
                                        required=False, default=list,
                                        help_text="Provision codes from /api/v1/jurisdictions/{code}/provisions/.")
    requested_action = serializers.ChoiceField(choices=RequestedAction.choices, required=False, allow_blank=True,
                                               default="")
    justification = serializers.CharField(required=False, allow_blank=True, default="",
                                          max_length=limits.MAX_JUSTIFICATION_CHARS)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.STANDARD)
    court_order = CourtOrderSerializer(required=False, allow_null=True, default=None)
    confidentiality_requested = serializers.BooleanField(required=False, default=False,
                                                         help_text="Ask that the affected user not be told.")
    external_id = serializers.CharField(required=False, allow_null=True, default=None,
                                        max_length=limits.MAX_EXTERNAL_ID_CHARS,
                                        help_text="Your own id; sending it again returns the first request.")

    def to_input(self) -> RequestInput:
        return request_input_from(self.validated_data)


def request_input_from(data: dict) -> RequestInput:
    order = data.get("court_order")
    return RequestInput(
        items=[ItemInput(content_id=i.get("content_id", ""), url=i.get("url", "")) for i in data["items"]],
        category=data["category"],
        legal_basis=list(data.get("legal_basis") or []),
        requested_action=data.get("requested_action") or "",
        justification=data.get("justification") or "",
        urgency=data.get("urgency") or Urgency.STANDARD,
        court_order=CourtOrderInput(order.get("court", ""), order.get("case_number", ""), order.get("date"))
        if order else None,
        confidentiality_requested=data.get("confidentiality_requested", False),
        external_id=data.get("external_id"),
    )


# Text DRF's CharField refuses whatever its length: a NUL, or half of a UTF-16 surrogate pair.
_REFUSED_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
_CATEGORIES = frozenset(Category.values)
_ACTIONS = frozenset(RequestedAction.values)
_URGENCIES = frozenset(Urgency.values)


def _plain_text(value, max_length: int, *, blank: bool) -> str | None:
    """A string field's value as DRF's ``CharField`` keeps it (trimmed), or None if DRF might not take it as given."""
    if type(value) is not str:
        return None
    value = value.strip()
    if (not value and not blank) or len(value) > max_length or _REFUSED_CHARACTERS.search(value):
        return None
    return value


def request_input_read(data) -> RequestInput | None:
    """A well-formed request body read directly, or None: then ``RequestInputSerializer`` checks it.

    DRF builds the serializer's dozen field objects afresh for every call (a deep copy of the
    declared ones), which cost a sixth of a filing's CPU. Here a body whose every value already has
    its field's type, length and choice, the shape clients send, is read in a few comparisons. Any
    other body (a number for a string, ``"true"`` for a boolean, a court order, an error) goes to the
    serializer, so what DRF accepts, converts and answers is unchanged. tests/filing/test_input_read.py
    holds the two to the same result on generated bodies.
    """
    if type(data) is not dict:
        return None
    items = data.get("items")
    if type(items) is not list or not items:
        return None
    read_items = []
    for item in items:
        if type(item) is not dict:
            return None
        content_id = _plain_text(item.get("content_id", ""), CONTENT_ID_MAX_CHARS, blank=True)
        url = _plain_text(item.get("url", ""), limits.MAX_URL_CHARS, blank=True)
        if content_id is None or url is None:
            return None
        read_items.append(ItemInput(content_id=content_id, url=url))
    codes = data.get("legal_basis", [])
    if type(codes) is not list:
        return None
    legal_basis = [_plain_text(code, PROVISION_CODE_MAX_CHARS, blank=False) for code in codes]
    category = data.get("category")
    action = data.get("requested_action", "")
    justification = _plain_text(data.get("justification", ""), limits.MAX_JUSTIFICATION_CHARS, blank=True)
    urgency = data.get("urgency", Urgency.STANDARD.value)
    confidential = data.get("confidentiality_requested", False)
    external_id = data.get("external_id")
    if external_id is not None:
        external_id = _plain_text(external_id, limits.MAX_EXTERNAL_ID_CHARS, blank=False)
        if external_id is None:
            return None
    if (None in legal_basis or type(category) is not str or category not in _CATEGORIES
            or type(action) is not str or (action and action not in _ACTIONS) or justification is None
            or type(urgency) is not str or urgency not in _URGENCIES or type(confidential) is not bool
            or data.get("court_order") is not None):
        return None
    return RequestInput(items=read_items, category=category, legal_basis=legal_basis, requested_action=action,
                        justification=justification, urgency=urgency, court_order=None,
                        confidentiality_requested=confidential, external_id=external_id)


def request_input_checked(data) -> RequestInput:
    """The request a body states; DRF's ``ValidationError`` (400, a message per field) if it is malformed."""
    read = request_input_read(data)
    if read is not None:
        return read
    serializer = RequestInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.to_input()


def bulk_input_checked(data) -> list[RequestInput]:
    """The requests a bulk body states, each read as ``request_input_checked`` reads one; errors keyed by position."""
    requests = data.get("requests") if type(data) is dict else None
    if type(requests) is list and 0 < len(requests) <= limits.MAX_BULK_REQUESTS:
        batch = [request_input_read(entry) for entry in requests]
        if None not in batch:
            return batch
    serializer = BulkInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return [request_input_from(entry) for entry in serializer.validated_data["requests"]]


class BulkInputSerializer(serializers.Serializer):
    requests = RequestInputSerializer(many=True, allow_empty=False, max_length=limits.MAX_BULK_REQUESTS)


class RespondInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=limits.MAX_MESSAGE_CHARS,
                                    help_text="Your answer to the request for information.")
    items = ItemInputSerializer(many=True, required=False, help_text="Replaces the items, if given.")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    legal_basis = serializers.ListField(child=serializers.CharField(max_length=PROVISION_CODE_MAX_CHARS),
                                        required=False)
    requested_action = serializers.ChoiceField(choices=RequestedAction.choices, required=False, allow_blank=True)
    justification = serializers.CharField(required=False, allow_blank=True, max_length=limits.MAX_JUSTIFICATION_CHARS)
    court_order = CourtOrderSerializer(required=False, allow_null=True)

    def changes(self) -> dict:
        data = dict(self.validated_data)
        data.pop("message")
        if "items" in data:
            data["items"] = [ItemInput(content_id=i.get("content_id", ""), url=i.get("url", "")) for i in data["items"]]
        if "court_order" in data and data["court_order"] is not None:
            order = data["court_order"]
            data["court_order"] = CourtOrderInput(order.get("court", ""), order.get("case_number", ""),
                                                  order.get("date"))
        return data


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=limits.MAX_MESSAGE_CHARS)


class ReconsiderInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=limits.MAX_MESSAGE_CHARS,
                                    help_text="Why the decision should be reconsidered.")


class EvidenceInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"PDF, PNG or JPEG, at most {limits.EVIDENCE_MAX_MB} MB.")
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices, default=Evidence.Kind.SUPPORTING)


# --- Output --------------------------------------------------------------------------------

class DecisionSerializer(serializers.Serializer):
    action = serializers.CharField()
    reason_code = serializers.CharField()
    rationale = serializers.CharField()
    round = serializers.IntegerField()
    decided_at = serializers.DateTimeField()


class RequestItemSerializer(serializers.ModelSerializer):
    content_id = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()

    class Meta:
        model = RequestItem
        fields = ["position", "content_id", "url", "snapshot", "snapshot_sha256", "decision"]

    def get_content_id(self, item) -> str | None:
        return representation.item_content_id(item)

    def get_decision(self, item) -> DecisionSerializer(allow_null=True):
        return representation.decision(item)


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    verdict = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())
    explanation = serializers.CharField()
    round = serializers.IntegerField()


class MessageSerializer(serializers.ModelSerializer):
    from_platform = serializers.SerializerMethodField()

    class Meta:
        model = RequestMessage
        fields = ["kind", "body", "created_at", "from_platform"]

    def get_from_platform(self, message) -> bool:
        return representation.from_platform(message)


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    type = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    event_uid = serializers.CharField()
    log_index = serializers.IntegerField(allow_null=True, help_text="The event's leaf index once sealed.")
    checkpoint = serializers.IntegerField(allow_null=True,
                                          help_text="Tree size of the first signed checkpoint that contains it.")


class CourtOrderOutSerializer(serializers.Serializer):
    court = serializers.CharField()
    case_number = serializers.CharField()
    date = serializers.DateField(allow_null=True)


class RequestSummarySerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code")
    jurisdiction = serializers.CharField(source="agency.jurisdiction_id")

    class Meta:
        model = TakedownRequest
        fields = ["reference", "status", "agency", "jurisdiction", "category", "requested_action", "urgency",
                  "submission_method", "external_id", "queue", "priority", "sla_due_at", "outcome", "created_at",
                  "submitted_at", "decided_at", "last_activity_at"]

    def to_representation(self, instance):
        # The fields above declare the shape; filing/representation.py makes the values.
        return representation.request_summary(instance)


class RequestDetailSerializer(RequestSummarySerializer):
    legal_basis = serializers.SerializerMethodField()
    court_order = serializers.SerializerMethodField()
    checks = serializers.SerializerMethodField()
    items = RequestItemSerializer(many=True, read_only=True)
    messages = MessageSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()

    class Meta(RequestSummarySerializer.Meta):
        fields = RequestSummarySerializer.Meta.fields + [
            "authority_type", "legal_basis", "justification", "court_order", "confidentiality_requested",
            "workflow_version", "rules_version", "screening_round", "review_round", "missing_parts", "checks",
            "items", "messages", "evidence", "timeline"]

    def to_representation(self, instance):
        return representation.request_detail(instance)

    def get_legal_basis(self, request) -> list[str]:
        return representation.legal_basis(request)

    def get_court_order(self, request) -> CourtOrderOutSerializer(allow_null=True):
        return representation.court_order(request)

    def get_checks(self, request) -> CheckSerializer(many=True):
        return representation.checks(request)

    def get_timeline(self, request) -> TimelineEntrySerializer(many=True):
        return representation.timeline(request)


class BulkResultSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField()


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)


class JurisdictionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["code", "name"]


class ProvisionSerializer(serializers.ModelSerializer):
    jurisdiction = serializers.CharField(source="jurisdiction_id")

    class Meta:
        model = LegalProvision
        fields = ["code", "jurisdiction", "statute", "article", "title", "description", "categories",
                  "in_force_from", "in_force_until", "concern", "hr_notes"]


class ContentSerializer(serializers.ModelSerializer):
    content_id = serializers.CharField(source="code")
    author = serializers.CharField(source="author.handle")
    author_persona = serializers.CharField(source="author.persona")
    url = serializers.CharField()
    removed_globally = serializers.SerializerMethodField()

    class Meta:
        model = ContentItem
        fields = ["content_id", "url", "author", "author_persona", "text", "language", "country", "posted_at",
                  "removed_globally"]

    def get_removed_globally(self, content) -> bool:
        return content.removed_globally_at is not None

"""Takedown requests: what was asked, about which content, on which legal basis, with what evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Length
from django.db.models.lookups import Exact, GreaterThan

from reports.limits import (
    EVIDENCE_CONTENT_TYPES,
    EVIDENCE_MAX_BYTES,
    MAX_CASE_NUMBER_CHARS,
    MAX_COURT_CHARS,
    MAX_EXTERNAL_ID_CHARS,
    MAX_JUSTIFICATION_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_URL_CHARS,
)
from reports.models.common import choice_in, evidence_storage
from reports.models.exercises import Exercise
from reports.models.law import Agency, AuthorityType, Category, LegalProvision
from reports.models.platform import ContentItem


class RequestedAction(models.TextChoices):
    REMOVE_GLOBALLY = "remove_globally", "Remove globally"
    RESTRICT_IN_JURISDICTION = "restrict_in_jurisdiction", "Restrict in the requester's jurisdiction"


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    IMMINENT_HARM = "imminent_harm", "Imminent harm"


class SubmissionMethod(models.TextChoices):
    FORM = "form", "Web form"
    API = "api", "API"
    BULK = "bulk", "Bulk API"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SCREENING = "screening", "Screening"
    NEEDS_INFO = "needs_info", "Needs information"
    QUEUED = "queued", "Queued"
    IN_REVIEW = "in_review", "In review"
    DECIDED = "decided", "Decided"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Outcome(models.TextChoices):
    FULL = "full", "Action on every item"
    PARTIAL = "partial", "Action on some items"
    NONE = "none", "No action on any item"


class Queue(models.TextChoices):
    """Where routing sends a request for human review (see review/routing.py)."""

    POLICY = "policy", "Platform policy"
    LEGAL = "legal", "Local law"
    HUMAN_RIGHTS = "human_rights", "Human-rights escalation"


def _latest_round_count(tally: str) -> models.GeneratedField:
    """A kept decision count as the transparency report reads it: zero once a newer review round has opened."""
    return models.GeneratedField(
        expression=Case(When(tally_round=F("review_round"), then=F(tally)), default=Value(0)),
        output_field=models.PositiveIntegerField(), db_persist=True)


class TakedownRequest(models.Model):
    """A government's request to remove or restrict content: the standard intake form for state actors."""

    # Set from the primary key right after the insert, in the same transaction.
    reference = models.CharField(max_length=20, unique=True, null=True)
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="requests")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="requests")
    authority_type = models.CharField(max_length=20, choices=AuthorityType.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=30, choices=Category.choices, blank=True)
    provisions = models.ManyToManyField(LegalProvision, through="CitedProvision", related_name="+", blank=True)
    requested_action = models.CharField(max_length=30, choices=RequestedAction.choices, blank=True)
    justification = models.TextField(max_length=MAX_JUSTIFICATION_CHARS, blank=True)
    court_name = models.CharField(max_length=MAX_COURT_CHARS, blank=True)
    court_case_number = models.CharField(max_length=MAX_CASE_NUMBER_CHARS, blank=True)
    court_order_date = models.DateField(null=True, blank=True)
    urgency = models.CharField(max_length=20, choices=Urgency.choices, default=Urgency.STANDARD)
    confidentiality_requested = models.BooleanField(
        default=False, help_text="The requester asks that the affected user not be told."
    )
    submission_method = models.CharField(max_length=10, choices=SubmissionMethod.choices)
    external_id = models.CharField(max_length=MAX_EXTERNAL_ID_CHARS, null=True, blank=True)
    workflow_version = models.CharField(max_length=20, blank=True)
    rules_version = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    screening_round = models.PositiveIntegerField(default=0)
    review_round = models.PositiveIntegerField(default=0)
    missing_parts = models.JSONField(default=list, blank=True, help_text="What completeness found missing.")
    queue = models.CharField(max_length=20, choices=Queue.choices, blank=True)
    priority = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 is the most urgent.")
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    # What the transparency report counts, kept by the transactions that change it (filing
    # stores the items, each decision adds to the counts of its round) so that a half-year's
    # figures read request rows only. The counts belong to ``tally_round``: once a new review
    # round opens they no longer describe the latest round and count as undecided.
    # ``manage.py figures_check`` recounts them from the records. Zero in the database too, for rows
    # written by SQL (bulk loads) that then need the recount.
    item_count = models.PositiveIntegerField(default=0, db_default=0)
    tally_round = models.PositiveIntegerField(default=0, db_default=0)
    items_removed = models.PositiveIntegerField(default=0, db_default=0)
    items_restricted = models.PositiveIntegerField(default=0, db_default=0)
    items_no_action = models.PositiveIntegerField(default=0, db_default=0)
    # The same counts as the report reads them (zero once a newer round has opened), and whether a
    # court order is cited: computed by the database whenever the row changes, so that the report's
    # index holds a few small numbers a request instead of court names, case numbers and both rounds.
    latest_items_removed = _latest_round_count("items_removed")
    latest_items_restricted = _latest_round_count("items_restricted")
    latest_items_no_action = _latest_round_count("items_no_action")
    cites_court_order = models.GeneratedField(
        expression=Case(When(~Q(court_name="") & ~Q(court_case_number=""), then=Value(True)), default=Value(False)),
        output_field=models.BooleanField(), db_persist=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_takedownrequest", "Can claim and decide takedown requests"),
            ("view_personal_data", "Can see reporters' and affected users' personal details in exports"),
        ]
        constraints = [
            models.CheckConstraint(condition=choice_in("status", Status), name="request_status_valid"),
            models.CheckConstraint(
                condition=choice_in("category", Category) | (Q(category="") & Q(status="draft")),
                name="request_category_valid",
            ),
            models.CheckConstraint(
                condition=choice_in("requested_action", RequestedAction, allow_blank=True),
                name="request_action_valid",
            ),
            models.CheckConstraint(condition=choice_in("urgency", Urgency), name="request_urgency_valid"),
            models.CheckConstraint(condition=choice_in("submission_method", SubmissionMethod),
                                   name="request_method_valid"),
            models.CheckConstraint(condition=choice_in("authority_type", AuthorityType),
                                   name="request_authority_valid"),
            models.CheckConstraint(condition=choice_in("queue", Queue, allow_blank=True),
                                   name="request_queue_valid"),
            models.CheckConstraint(condition=choice_in("outcome", Outcome, allow_blank=True),
                                   name="request_outcome_valid"),
            models.CheckConstraint(
                condition=Q(reference__regex=r"^CRS-[0-9]{4}-[0-9]{6,}$"), name="request_reference_format"
            ),
            # A queued request always knows where it waits and how urgent it is.
            models.CheckConstraint(
                condition=~Q(status__in=["queued", "in_review"])
                | (~Q(queue="") & Q(priority__isnull=False) & Q(sla_due_at__isnull=False)),
                name="request_queued_has_route",
            ),
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True) | Q(status="in_review"), name="request_claim_only_in_review"
            ),
            models.UniqueConstraint(
                fields=["agency", "external_id"],
                condition=Q(external_id__isnull=False),
                name="request_external_id_unique_per_agency",
            ),
        ]
        indexes = [
            models.Index(fields=["exercise", "agency", "-created_at"], name="request_agency_recent"),
            # The reporters' dashboard: the agency's requests, latest activity first.
            models.Index(fields=["exercise", "agency", "-last_activity_at", "-id"], name="request_agency_activity"),
            # A queued request's place in its queue (portal.selectors): the unclaimed queued requests in claim order.
            models.Index(fields=["exercise", "queue", "priority", "sla_due_at", "id"], name="request_queued_order",
                         condition=Q(status="queued", claimed_by__isnull=True)),
            models.Index(fields=["exercise", "queue", "priority", "sla_due_at"], name="request_queue_order"),
            models.Index(fields=["status", "last_activity_at"], name="request_status_activity"),
            models.Index(fields=["submitted_at"], name="request_submitted_at"),
            # The transparency report: an index-only scan of one half-year's requests and their kept counts.
            models.Index(fields=["exercise", "submitted_at"], name="request_transparency_figures",
                         include=["agency", "category", "requested_action", "cites_court_order", "decided_at",
                                  "item_count", "latest_items_removed", "latest_items_restricted",
                                  "latest_items_no_action"]),
            # The reviewers' list, most urgent first (admin ordering, then -id): read in order, never sorted.
            models.Index(fields=["exercise", "priority", "sla_due_at", "-id"], name="request_review_order"),
            # The queue counts of the admin index and list: an index-only scan of the open requests.
            models.Index(fields=["exercise", "queue", "status"], include=["sla_due_at", "claimed_by", "id"],
                         condition=Q(status__in=["queued", "in_review"]), name="request_open_by_queue"),
        ]

    def __str__(self) -> str:
        return self.reference

    @staticmethod
    def reference_for(*, year: int, pk: int) -> str:
        """``CRS-2021-000123``: the year it was filed and its number, which no one chooses."""
        return f"CRS-{year}-{pk:06d}"

    @property
    def jurisdiction_id(self) -> str:
        return self.agency.jurisdiction_id

    @property
    def has_court_order(self) -> bool:
        """The rule ``cites_court_order`` keeps in the database, for an instance whose row is not written yet."""
        return bool(self.court_name and self.court_case_number)


class CitedProvision(models.Model):
    request = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="citations")
    provision = models.ForeignKey(LegalProvision, on_delete=models.PROTECT, related_name="citations")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["request", "provision"], name="cited_provision_once")]


class RequestItem(models.Model):
    """One reported piece of content, with what it said when it was reported.

    The snapshot and its hash are taken at filing, so review sees what was reported
    even if the post changes later.
    """

    request = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField()
    content = models.ForeignKey(ContentItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    url = models.CharField(max_length=MAX_URL_CHARS, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    snapshot_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="request_item_position_unique"),
            models.UniqueConstraint(
                fields=["request", "content"], condition=Q(content__isnull=False), name="request_item_content_once"
            ),
            models.CheckConstraint(condition=Q(content__isnull=False) | ~Q(url=""),
                                   name="request_item_has_target"),
            models.CheckConstraint(
                condition=Q(content__isnull=True) | Q(Exact(Length("snapshot_sha256"), 64)),
                name="request_item_snapshot_hashed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.position}"

    @property
    def resolved(self) -> bool:
        return self.content_id is not None


class EvidenceKind(models.TextChoices):
    SUPPORTING = "supporting", "Supporting document"
    COURT_ORDER = "court_order", "Court order"


class Evidence(models.Model):
    """A file attached to a request (PDF, PNG, JPEG), stored privately."""

    Kind = EvidenceKind

    request = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SUPPORTING)
    file = models.FileField(storage=evidence_storage, upload_to="%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(condition=choice_in("kind", EvidenceKind), name="evidence_kind_valid"),
            models.CheckConstraint(
                condition=Q(content_type__in=list(EVIDENCE_CONTENT_TYPES)),
                name="evidence_type_allowed",
            ),
            models.CheckConstraint(condition=Q(size__gt=0) & Q(size__lte=EVIDENCE_MAX_BYTES),
                                   name="evidence_size_limit"),
        ]


class MessageKind(models.TextChoices):
    INFO_REQUEST = "info_request", "Request for information"
    INFO_RESPONSE = "info_response", "Requester's answer"
    RECONSIDERATION = "reconsideration", "Request for reconsideration"


class RequestMessage(models.Model):
    """A message between the platform and the requester: information asked and given, reconsideration."""

    Kind = MessageKind

    request = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # None when the workflow itself wrote the message (completeness asking for missing parts).
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    body = models.TextField(max_length=MAX_MESSAGE_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=choice_in("kind", MessageKind), name="message_kind_valid"),
            models.CheckConstraint(condition=GreaterThan(Length("body"), 0), name="message_body_present"),
        ]


class BulkSubmission(models.Model):
    """The stored answer to a bulk call, so that a retry with the same Idempotency-Key repeats it."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "idempotency_key"], name="bulk_idempotency_key_unique"),
        ]

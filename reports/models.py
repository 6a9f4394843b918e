"""The request domain: who may ask, about what content, and what was asked.

Every government files through the same tables with the same fields. There is no
column anywhere that gives one agency or jurisdiction more access than another:
access is one tier, and ``tests/reports/test_models.py`` checks that the schema stays so.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length

models.CharField.register_lookup(Length)
models.TextField.register_lookup(Length)


def evidence_storage():
    # A callable keeps the storage out of migrations; see STORAGES["evidence"] in settings.
    from django.core.files.storage import storages

    return storages["evidence"]


def _in(field: str, choices: type[models.TextChoices], *, allow_blank: bool = False) -> Q:
    values = list(choices.values) + ([""] if allow_blank else [])
    return Q(**{f"{field}__in": values})


class Category(models.TextChoices):
    """Reason categories, in the public transparency-report vocabulary."""

    DEFAMATION = "defamation", "Defamation"
    PRIVACY_SECURITY = "privacy_security", "Privacy and security"
    NATIONAL_SECURITY = "national_security", "National security"
    HATE_SPEECH = "hate_speech", "Hate speech"
    GOVERNMENT_CRITICISM = "government_criticism", "Government criticism"
    RELIGIOUS_OFFENSE = "religious_offense", "Religious offense"
    OBSCENITY_NUDITY = "obscenity_nudity", "Obscenity/nudity"
    VIOLENCE = "violence", "Violence"
    ELECTORAL_LAW = "electoral_law", "Electoral law"
    BULLYING_HARASSMENT = "bullying_harassment", "Bullying/harassment"
    CHILD_SAFETY = "child_safety", "Child safety"
    DRUG_ABUSE = "drug_abuse", "Drug abuse"
    REGULATED_GOODS_SERVICES = "regulated_goods_services", "Regulated goods and services"
    FRAUD = "fraud", "Fraud"
    FALSE_INFORMATION = "false_information", "False information"
    COPYRIGHT = "copyright", "Copyright"
    TRADEMARK = "trademark", "Trademark"
    IMPERSONATION = "impersonation", "Impersonation"
    SUICIDE_SELF_HARM = "suicide_self_harm", "Suicide and self-harm"
    OTHER = "other", "Other"


class AuthorityType(models.TextChoices):
    MINISTRY = "ministry", "Ministry"
    REGULATOR = "regulator", "Regulator"
    PROSECUTOR = "prosecutor", "Prosecutor"
    POLICE = "police", "Police"
    COURT = "court", "Court"


class Persona(models.TextChoices):
    ORDINARY_USER = "ordinary_user", "Ordinary user"
    JOURNALIST = "journalist", "Journalist"
    OPPOSITION_ACTIVIST = "opposition_activist", "Opposition activist"
    NGO = "ngo", "NGO"
    PUBLIC_OFFICIAL = "public_official", "Public official"
    ANONYMOUS = "anonymous", "Anonymous"
    BOT = "bot", "Bot"


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
    FULL = "full", "Full (every item actioned)"
    PARTIAL = "partial", "Partial"
    NONE = "none", "None (no action)"


class Queue(models.TextChoices):
    """Where routing sends a request for human review (see review/routing.py)."""

    POLICY = "policy", "Platform policy"
    LEGAL = "legal", "Local law"
    HUMAN_RIGHTS = "human_rights", "Human-rights escalation"


class ExerciseState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Exercise(models.Model):
    """One class's run of a scenario. Exercises on one installation never see each other's data."""

    State = ExerciseState

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    scenario = models.CharField(max_length=100, blank=True, help_text="Scenario the exercise was created from.")
    brief = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # Students join with this code; the default exercise has none (nobody joins it).
    join_code = models.CharField(max_length=12, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_exercise"),
            models.CheckConstraint(condition=_in("state", ExerciseState), name="exercise_state_valid"),
            models.CheckConstraint(condition=Q(join_code__isnull=True) | Q(join_code__regex=r"^[A-Z0-9]{8}$"),
                                   name="exercise_join_code_format"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == ExerciseState.OPEN


class Jurisdiction(models.Model):
    code = models.CharField(max_length=2, primary_key=True, help_text="ISO 3166-1 alpha-2")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2}$"), name="jurisdiction_code_iso2")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class LegalProvision(models.Model):
    """A statute article a government may cite, with what it covers and what is said of it."""

    code = models.CharField(max_length=40, unique=True, help_text="Stable code, e.g. KZ-CC-174")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="provisions")
    statute = models.CharField(max_length=200)
    article = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=1000, blank=True)
    categories = models.JSONField(default=list, help_text="Reason category codes the provision covers.")
    in_force_from = models.DateField()
    in_force_until = models.DateField(null=True, blank=True)
    concern = models.BooleanField(
        default=False, help_text="Criticised by UN, OSCE or regional bodies as vague, overbroad or abused."
    )
    hr_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2}-[A-Z0-9-]+$"), name="provision_code_format"),
            models.CheckConstraint(
                condition=Q(in_force_until__isnull=True) | Q(in_force_until__gte=models.F("in_force_from")),
                name="provision_in_force_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    @property
    def citation(self) -> str:
        return f"{self.statute} {self.article}"

    def in_force_on(self, day) -> bool:
        return self.in_force_from <= day and (self.in_force_until is None or day <= self.in_force_until)


class AgencyState(models.TextChoices):
    ACTIVE = "active", "Active"
    PROPOSED = "proposed", "Proposed (awaiting verification)"
    REJECTED = "rejected", "Rejected"


class Agency(models.Model):
    """A government body of one jurisdiction. Every agency has the same, single access tier."""

    State = AgencyState

    code = models.SlugField(max_length=60, unique=True)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    authority_type = models.CharField(max_length=20, choices=AuthorityType.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)

    class Meta:
        ordering = ["jurisdiction_id", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="agency_name_unique_in_jurisdiction"),
            models.CheckConstraint(condition=_in("authority_type", AuthorityType), name="agency_authority_type_valid"),
            models.CheckConstraint(condition=_in("state", AgencyState), name="agency_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.jurisdiction_id})"


class Verification(models.TextChoices):
    PENDING = "pending", "Pending verification"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class ReporterAccount(models.Model):
    """A person filing for one agency. Pending and rejected accounts cannot file."""

    Verification = Verification

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reporter_account")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="reporter_accounts")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="reporter_accounts")
    official_title = models.CharField(max_length=200)
    work_email = models.EmailField()
    verification = models.CharField(max_length=10, choices=Verification.choices, default=Verification.PENDING)
    verification_note = models.TextField(blank=True, help_text="Reason given when the account was rejected.")
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("verify_reporteraccount", "Can verify or reject reporter accounts")]
        constraints = [
            models.CheckConstraint(condition=_in("verification", Verification), name="reporter_verification_valid"),
            models.CheckConstraint(
                condition=~Q(verification="rejected") | ~Q(verification_note=""),
                name="reporter_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.agency.code})"

    @property
    def can_file(self) -> bool:
        return self.verification == self.Verification.VERIFIED


class PlatformAccount(models.Model):
    """A simulated account on the platform: the author of content that may be reported."""

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="platform_accounts")
    handle = models.CharField(max_length=30)
    display_name = models.CharField(max_length=100)
    persona = models.CharField(max_length=20, choices=Persona.choices)
    country = models.CharField(max_length=2)
    bio = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["handle"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "handle"], name="platform_account_handle_unique"),
            models.CheckConstraint(condition=_in("persona", Persona), name="platform_account_persona_valid"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class ContentItem(models.Model):
    """A post on the simulated platform, visible everywhere unless removed or restricted."""

    URL_PREFIX = "https://platform.example/p/"

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="content_items")
    code = models.CharField(max_length=20, help_text="Stable code defined by the scenario, e.g. kz-0007")
    author = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="posts")
    text = models.TextField(max_length=5000)
    language = models.CharField(max_length=8)
    country = models.CharField(max_length=2)
    posted_at = models.DateTimeField()
    removed_globally_at = models.DateTimeField(null=True, blank=True)
    removed_by_request = models.ForeignKey(
        "TakedownRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-posted_at", "code"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "code"], name="content_code_unique_in_exercise"),
            models.CheckConstraint(condition=Q(code__regex=r"^[a-z]{2}-[0-9]{4,}$"), name="content_code_format"),
        ]
        indexes = [models.Index(fields=["exercise", "country", "posted_at"])]

    def __str__(self) -> str:
        return self.code

    @property
    def url(self) -> str:
        return f"{self.URL_PREFIX}{self.code}"

    def visible_in(self, country: str) -> bool:
        if self.removed_globally_at is not None:
            return False
        return not self.restrictions.filter(country=country, lifted_at__isnull=True).exists()


class ContentRestriction(models.Model):
    """Content withheld in one country because a decision found it unlawful there."""

    content = models.ForeignKey(ContentItem, on_delete=models.PROTECT, related_name="restrictions")
    country = models.CharField(max_length=2)
    request = models.ForeignKey("TakedownRequest", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content", "country"], condition=Q(lifted_at__isnull=True), name="one_active_restriction"
            ),
        ]


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
    justification = models.TextField(max_length=10000, blank=True)
    court_name = models.CharField(max_length=200, blank=True)
    court_case_number = models.CharField(max_length=100, blank=True)
    court_order_date = models.DateField(null=True, blank=True)
    urgency = models.CharField(max_length=20, choices=Urgency.choices, default=Urgency.STANDARD)
    confidentiality_requested = models.BooleanField(
        default=False, help_text="The requester asks that the affected user not be told."
    )
    submission_method = models.CharField(max_length=10, choices=SubmissionMethod.choices)
    external_id = models.CharField(max_length=100, null=True, blank=True)
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
            models.CheckConstraint(condition=_in("status", Status), name="request_status_valid"),
            models.CheckConstraint(
                condition=_in("category", Category) | (Q(category="") & Q(status="draft")),
                name="request_category_valid",
            ),
            models.CheckConstraint(
                condition=_in("requested_action", RequestedAction, allow_blank=True),
                name="request_action_valid",
            ),
            models.CheckConstraint(condition=_in("urgency", Urgency), name="request_urgency_valid"),
            models.CheckConstraint(condition=_in("submission_method", SubmissionMethod), name="request_method_valid"),
            models.CheckConstraint(condition=_in("authority_type", AuthorityType), name="request_authority_valid"),
            models.CheckConstraint(condition=_in("queue", Queue, allow_blank=True), name="request_queue_valid"),
            models.CheckConstraint(condition=_in("outcome", Outcome, allow_blank=True), name="request_outcome_valid"),
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
            # The reviewers' list, most urgent first (admin ordering, then -id): read in order, never sorted.
            models.Index(fields=["exercise", "priority", "sla_due_at", "-id"], name="request_review_order"),
            # The queue counts of the admin index and list: an index-only scan of the open requests.
            models.Index(fields=["exercise", "queue", "status"], include=["sla_due_at", "claimed_by", "id"],
                         condition=Q(status__in=["queued", "in_review"]), name="request_open_by_queue"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def jurisdiction_id(self) -> str:
        return self.agency.jurisdiction_id

    @property
    def has_court_order(self) -> bool:
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
    url = models.CharField(max_length=500, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    snapshot_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="request_item_position_unique"),
            models.UniqueConstraint(
                fields=["request", "content"], condition=Q(content__isnull=False), name="request_item_content_once"
            ),
            models.CheckConstraint(condition=Q(content__isnull=False) | ~Q(url=""), name="request_item_has_target"),
            models.CheckConstraint(
                condition=Q(content__isnull=True) | Q(snapshot_sha256__length=64), name="request_item_snapshot_hashed"
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
            models.CheckConstraint(condition=_in("kind", EvidenceKind), name="evidence_kind_valid"),
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/png", "image/jpeg"]),
                name="evidence_type_allowed",
            ),
            models.CheckConstraint(condition=Q(size__gt=0) & Q(size__lte=5 * 1024 * 1024), name="evidence_size_limit"),
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
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_in("kind", MessageKind), name="message_kind_valid"),
            models.CheckConstraint(condition=Q(body__length__gt=0), name="message_body_present"),
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


class ExerciseRole(models.TextChoices):
    """What a student plays in an exercise; the instructor assigns it after the student joins."""

    UNASSIGNED = "unassigned", "Not yet assigned"
    REPORTER = "reporter", "Government reporter"
    POLICY_REVIEWER = "policy_reviewer", "Reviewer: platform policy"
    LEGAL_REVIEWER = "legal_reviewer", "Reviewer: local law"
    HUMAN_RIGHTS_REVIEWER = "human_rights_reviewer", "Reviewer: human rights"
    SENIOR_REVIEWER = "senior_reviewer", "Reviewer: senior"
    AFFECTED_USER = "affected_user", "Affected user (a platform account)"
    AUDITOR = "auditor", "Auditor"


class ExerciseMembership(models.Model):
    """A student in an exercise, and the role the instructor gave them.

    One exercise per person at a time: the exercise a member belongs to is the only one
    whose data they see (reports.selectors.exercise_for_user).
    """

    Role = ExerciseRole

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="memberships")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exercise_membership")
    role = models.CharField(max_length=30, choices=Role.choices, default=Role.UNASSIGNED)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    platform_account = models.ForeignKey(
        PlatformAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_in("role", ExerciseRole), name="membership_role_valid"),
            models.CheckConstraint(condition=Q(role="reporter", agency__isnull=False)
                                   | (~Q(role="reporter") & Q(agency__isnull=True)),
                                   name="membership_reporter_has_agency"),
            models.CheckConstraint(condition=Q(role="affected_user", platform_account__isnull=False)
                                   | (~Q(role="affected_user") & Q(platform_account__isnull=True)),
                                   name="membership_affected_user_has_account"),
            # One student speaks for one simulated account.
            models.UniqueConstraint(fields=["platform_account"], condition=Q(platform_account__isnull=False),
                                    name="membership_platform_account_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} in {self.exercise.slug} ({self.role})"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a reviewer"
    UPHELD = "upheld", "Upheld (the decision stands)"
    REVERSED = "reversed", "Reversed (the content is restored)"


class Appeal(models.Model):
    """An affected user's appeal against a decision that removed or restricted their post.

    One appeal per reported item (``appeal_item_once``), decided by a reviewer other than
    the one who made the decision appealed (enforced in reports.appeals.appeal_decide).
    """

    Status = AppealStatus

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="appeals")
    request = models.ForeignKey(TakedownRequest, on_delete=models.PROTECT, related_name="appeals")
    item = models.ForeignKey(RequestItem, on_delete=models.PROTECT, related_name="appeals")
    decision = models.ForeignKey("review.Decision", on_delete=models.PROTECT, related_name="appeals")
    author = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="appeals")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    filed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rationale = models.TextField(max_length=5000, blank=True)
    content_restored = models.BooleanField(default=False, help_text="The reversal made the post visible again.")

    class Meta:
        ordering = ["filed_at", "id"]
        permissions = [("decide_appeal", "Can decide affected users' appeals")]
        constraints = [
            models.UniqueConstraint(fields=["item"], name="appeal_item_once"),
            models.CheckConstraint(condition=_in("status", AppealStatus), name="appeal_status_valid"),
            models.CheckConstraint(condition=Q(statement__length__gt=0), name="appeal_statement_present"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False) & Q(decided_at__isnull=False)
                   & ~Q(rationale="")),
                name="appeal_decided_has_reviewer_and_rationale",
            ),
            models.CheckConstraint(condition=Q(content_restored=False) | Q(status="reversed"),
                                   name="appeal_restored_only_when_reversed"),
        ]
        indexes = [models.Index(fields=["exercise", "status", "filed_at"], name="appeal_queue_order")]

    def __str__(self) -> str:
        return f"Appeal on {self.request.reference} item {self.item.position}"

"""Reporter accounts: registration by a government official, verification by platform staff.

A person registers for an existing agency of a jurisdiction, or proposes a new one.
The account stays ``pending`` (and cannot file) until platform staff verify or reject
it. Every agency gets the same single access tier: verification only confirms that
the person works for the body they name, it grants nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from audit import events
from reports.errors import IllegalTransition, InvalidInput, NotAllowed
from reports.models import Agency, AuthorityType, Exercise, Jurisdiction, ReporterAccount, Verification
from reports.notifications import notify_reporter_verification
from reports.tenancy import exercise_default

VERIFY_PERMISSION = "reports.verify_reporteraccount"
MAX_REASON_CHARS = 2000

# Staff may correct a rejection made in error; a verified account is not "un-verified" by rejecting it.
VERIFY_FROM = (Verification.PENDING, Verification.REJECTED)
REJECT_FROM = (Verification.PENDING,)


@dataclass
class AgencyProposal:
    """A government body that is not in the list yet, as the registrant names it."""

    jurisdiction: str = ""
    name: str = ""
    authority_type: str = ""


class _Errors(dict):
    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


def _agency_code(jurisdiction: str, name: str) -> str:
    base = slugify(f"{jurisdiction}-{name}")[:50].strip("-") or jurisdiction.lower()
    code, suffix = base, 2
    while Agency.objects.filter(code=code).exists():
        code, suffix = f"{base}-{suffix}", suffix + 1
    return code


def _proposed_agency(proposal: AgencyProposal, errors: _Errors, *, create: bool) -> Agency | None:
    """The agency a proposal names: an earlier identical proposal, or (if ``create``) a new ``proposed`` one."""
    code = (proposal.jurisdiction or "").strip().upper()
    name = " ".join((proposal.name or "").split())
    jurisdiction = Jurisdiction.objects.filter(code=code).first() if code else None
    if jurisdiction is None:
        errors.add("proposed_agency.jurisdiction", "Choose the jurisdiction the agency belongs to.")
    if not name:
        errors.add("proposed_agency.name", "Give the agency's official name.")
    elif len(name) > 200:
        errors.add("proposed_agency.name", "At most 200 characters.")
    if proposal.authority_type not in AuthorityType.values:
        errors.add("proposed_agency.authority_type", "Choose the kind of authority.")
    if jurisdiction is None or not name or len(name) > 200:
        return None
    existing = Agency.objects.filter(jurisdiction=jurisdiction, name__iexact=name).first()
    if existing is not None and existing.state == Agency.State.ACTIVE:
        errors.add("proposed_agency.name", f"{existing.name} is already listed: choose it in the list of agencies.")
    elif existing is not None and existing.state == Agency.State.REJECTED:
        errors.add("proposed_agency.name", f"{existing.name} was proposed before and not accepted.")
    if errors or not create:
        return None
    if existing is not None:
        return existing  # someone else proposed the same body: both accounts wait on one proposal
    return Agency.objects.create(code=_agency_code(code, name), jurisdiction=jurisdiction, name=name,
                                 authority_type=proposal.authority_type, state=Agency.State.PROPOSED)


def reporter_register(*, username: str, password: str, official_title: str, work_email: str,
                      agency: Agency | None = None, proposal: AgencyProposal | None = None,
                      exercise: Exercise | None = None) -> ReporterAccount:
    """Create a login and a ``pending`` reporter account for an agency (or a proposed one).

    Either ``agency`` (an active agency) or ``proposal`` is given. Every problem is
    reported at once, keyed by field (``proposed_agency.name``); nothing is written
    unless everything is valid.
    """
    User = get_user_model()
    errors = _Errors()
    username = (username or "").strip()
    official_title = " ".join((official_title or "").split())
    work_email = (work_email or "").strip()

    if not username:
        errors.add("username", "Choose a username.")
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
        if len(username) > 150:
            errors.add("username", "At most 150 characters.")
        elif User.objects.filter(username__iexact=username).exists():
            errors.add("username", "This username is taken; choose another.")
    if not official_title:
        errors.add("official_title", "Give your official title, as it appears in your agency's records.")
    elif len(official_title) > 200:
        errors.add("official_title", "At most 200 characters.")
    try:
        validate_email(work_email)
    except ValidationError:
        errors.add("work_email", "Enter your work e-mail address, e.g. name@ministry.gov.example.")
    try:
        validate_password(password or "", user=User(username=username, email=work_email))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if (agency is None) == (proposal is None):
        errors.add("agency", "Choose your agency from the list, or propose it if it is not listed.")
    elif agency is not None and agency.state != Agency.State.ACTIVE:
        errors.add("agency", "Choose an agency from the list.")
    if proposal is not None:
        _proposed_agency(proposal, errors, create=False)
    if errors:
        raise InvalidInput(dict(errors), "The registration has invalid fields.")

    try:
        with transaction.atomic():
            if proposal is not None:
                agency = _proposed_agency(proposal, errors, create=True)
                if agency is None:
                    raise InvalidInput(dict(errors), "The registration has invalid fields.")
            user = User.objects.create_user(username=username, email=work_email, password=password)
            account = ReporterAccount.objects.create(
                user=user, exercise=exercise or exercise_default(), agency=agency, official_title=official_title,
                work_email=work_email, verification=Verification.PENDING,
            )
            events.reporter_registered_event(account=account)
    except IntegrityError:
        # Two registrations raced for the same username; the unique index let the other one win.
        raise InvalidInput({"username": ["This username is taken; choose another."]},
                           "The registration has invalid fields.") from None
    return account


def _require_verifier(actor, account: ReporterAccount) -> None:
    if actor is None or not actor.is_authenticated or not actor.has_perm(VERIFY_PERMISSION):
        raise NotAllowed("Only platform staff can verify or reject reporter accounts.")
    if actor.pk == account.user_id:
        raise NotAllowed("Nobody can verify or reject their own account.")


def _set_agency_state(*, account: ReporterAccount, actor, state: str) -> None:
    agency = account.agency
    previous = agency.state
    if Agency.objects.filter(pk=agency.pk, state=Agency.State.PROPOSED).update(state=state):
        agency.state = state
        events.agency_state_changed_event(agency=agency, actor=actor, exercise=account.exercise,
                                          previous_state=previous)


def _locked(account: ReporterAccount) -> ReporterAccount:
    return ReporterAccount.objects.select_for_update().select_related("agency", "exercise", "user").get(pk=account.pk)


def reporter_verify(*, actor, account: ReporterAccount) -> ReporterAccount:
    """Verify a pending (or wrongly rejected) account: from now on it can file.

    Verifying the first account of a proposed agency accepts the agency too. Audited,
    and the person is told by e-mail after commit.
    """
    _require_verifier(actor, account)
    with transaction.atomic():
        account = _locked(account)
        if account.verification not in VERIFY_FROM:
            raise IllegalTransition(f"{account.user.get_username()} is already verified.")
        if account.agency.state == Agency.State.REJECTED:
            raise NotAllowed(f"{account.agency.name} was not accepted as an agency; reject the account instead.")
        now = timezone.now()
        ReporterAccount.objects.filter(pk=account.pk, verification=account.verification).update(
            verification=Verification.VERIFIED, verification_note="", verified_at=now, verified_by=actor)
        account.verification, account.verification_note = Verification.VERIFIED, ""
        account.verified_at, account.verified_by = now, actor
        _set_agency_state(account=account, actor=actor, state=Agency.State.ACTIVE)
        events.reporter_verification_event(account=account, actor=actor)
        notify_reporter_verification(account)
    return account


def reporter_reject(*, actor, account: ReporterAccount, reason: str) -> ReporterAccount:
    """Reject a pending account, with a reason the person is shown and sent by e-mail. Audited.

    A proposed agency that no other pending or verified account names is rejected with it.
    """
    _require_verifier(actor, account)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["Give the reason: the person is shown it and it is kept in the record."]})
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput({"reason": [f"At most {MAX_REASON_CHARS} characters."]})
    with transaction.atomic():
        account = _locked(account)
        if account.verification not in REJECT_FROM:
            raise IllegalTransition(f"{account.user.get_username()} is {account.get_verification_display().lower()}; "
                                    "only pending accounts can be rejected.")
        now = timezone.now()
        ReporterAccount.objects.filter(pk=account.pk, verification=account.verification).update(
            verification=Verification.REJECTED, verification_note=reason, verified_at=now, verified_by=actor)
        account.verification, account.verification_note = Verification.REJECTED, reason
        account.verified_at, account.verified_by = now, actor
        others = (ReporterAccount.objects.filter(agency=account.agency)
                  .exclude(pk=account.pk).exclude(verification=Verification.REJECTED))
        if not others.exists():
            _set_agency_state(account=account, actor=actor, state=Agency.State.REJECTED)
        events.reporter_verification_event(account=account, actor=actor)
        notify_reporter_verification(account)
    return account

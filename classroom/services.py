"""Every write of a classroom exercise: create it from a scenario, join it, assign roles, open and close it.

An instructor creates an exercise (the scenario's accounts and posts are loaded into it),
hands out its join code, gives each student who joined a role, opens it, and closes it
for the debrief. Each service runs in one transaction and writes its audit event there.
Exercises never share requests, reporter accounts, platform accounts or posts, so that
several classes can run at once on one installation.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from audit import events
from classroom.scenarios import (
    ScenarioError,
    available_scenarios,
    load_scenario,
    parse_scenario,
    resolve_scenario_path,
)
from reports import roles
from reports.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed
from reports.limits import MAX_BRIEF_CHARS, MAX_EXERCISE_NAME_CHARS
from reports.models import (
    Agency,
    Exercise,
    ExerciseMembership,
    ExerciseRole,
    PlatformAccount,
    ReporterAccount,
    TakedownRequest,
)
from reports.roles import is_instructor

# No 0/O or 1/I: the code is read aloud and copied from a projector.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8

# The group each staff role of an exercise puts the student in (reporters and affected users work
# in the portal and the platform, not the admin, so they get none).
ROLE_GROUP = {
    ExerciseRole.POLICY_REVIEWER: roles.POLICY_REVIEWER,
    ExerciseRole.LEGAL_REVIEWER: roles.LEGAL_REVIEWER,
    ExerciseRole.HUMAN_RIGHTS_REVIEWER: roles.HUMAN_RIGHTS_REVIEWER,
    ExerciseRole.SENIOR_REVIEWER: roles.SENIOR_REVIEWER,
    ExerciseRole.AUDITOR: roles.AUDITOR,
}
ASSIGNABLE = [role for role in ExerciseRole.values if role != ExerciseRole.UNASSIGNED]


def may_run(user, exercise: Exercise) -> bool:
    """The instructor who created the exercise (or an administrator) runs it."""
    if not is_instructor(user) or exercise.is_default:
        return False
    return user.is_superuser or exercise.created_by_id == user.pk


def _require_runs(user, exercise: Exercise) -> None:
    if not may_run(user, exercise):
        raise NotAllowed("Only the instructor who created this exercise can run it.")


def _new_join_code() -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not Exercise.objects.filter(join_code=code).exists():
            return code


def _new_slug(name: str) -> str:
    base = slugify(name)[:48] or "exercise"
    while True:
        slug = f"{base}-{secrets.token_hex(3)}"
        if not Exercise.objects.filter(slug=slug).exists():
            return slug


def exercise_create(*, instructor, name: str, scenario: str, brief: str = "") -> Exercise:
    """A new exercise in the draft state, with its own copy of the scenario's platform accounts and posts.

    Students can join a draft exercise and be given roles; nothing can be filed until it opens.
    """
    if not is_instructor(instructor):
        raise NotAllowed("Only instructors create exercises.")
    name, brief = (name or "").strip(), (brief or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the exercise a name your students will recognise, e.g. “Seminar 3, group B”."]
    elif len(name) > MAX_EXERCISE_NAME_CHARS:
        errors["name"] = [f"Keep the name under {MAX_EXERCISE_NAME_CHARS} characters."]
    if scenario not in available_scenarios():
        errors["scenario"] = [f"Choose one of the scenarios: {', '.join(available_scenarios())}."]
    if len(brief) > MAX_BRIEF_CHARS:
        errors["brief"] = [f"Keep the brief under {MAX_BRIEF_CHARS} characters."]
    if errors:
        raise InvalidInput(errors, "The exercise has invalid fields.")
    with transaction.atomic():
        exercise = Exercise.objects.create(slug=_new_slug(name), name=name, state=Exercise.State.DRAFT,
                                           join_code=_new_join_code(), created_by=instructor)
        try:
            report = load_scenario(scenario, exercise=exercise)
        except ScenarioError as exc:
            raise InvalidInput({"scenario": [str(exc)]}, "The scenario cannot be loaded.") from None
        if brief:
            exercise.brief = brief
            exercise.save(update_fields=["brief"])
        events.exercise_created_event(exercise=exercise, actor=instructor, loaded=report.created)
    return exercise


def _normalised_code(join_code: str) -> str:
    return "".join((join_code or "").split()).upper().replace("-", "")


def _exercise_to_join(join_code: str) -> Exercise:
    code = _normalised_code(join_code)
    exercise = Exercise.objects.filter(join_code=code).first() if code else None
    if exercise is None:
        raise InvalidInput({"join_code": ["No exercise has this join code; check it with your instructor."]},
                           "The join code is not valid.")
    if exercise.state == Exercise.State.CLOSED:
        raise InvalidInput({"join_code": [f"The exercise {exercise.name!r} is closed; it takes no new students."]},
                           "The exercise is closed.")
    return exercise


def exercise_join(*, user, join_code: str) -> ExerciseMembership:
    """Put ``user`` in the exercise with this join code, without a role until the instructor assigns one.

    Joining again with the same code changes nothing; a person already in another exercise,
    or already acting for an agency, cannot join (they would see two exercises' data).
    """
    exercise = _exercise_to_join(join_code)
    with transaction.atomic():
        existing = ExerciseMembership.objects.select_related("exercise").filter(user=user).first()
        if existing is not None:
            if existing.exercise_id == exercise.pk:
                return existing
            raise InvalidInput({"join_code": [f"You are already in the exercise {existing.exercise.name!r}; "
                                              "use another account for another exercise."]},
                               "Already in an exercise.")
        if ReporterAccount.objects.filter(user=user).exists() or is_instructor(user) or user.is_staff:
            raise InvalidInput({"join_code": ["This account already has a role on the site; students join "
                                              "with an account of their own."]}, "This account cannot join.")
        try:
            with transaction.atomic():
                membership = ExerciseMembership.objects.create(exercise=exercise, user=user)
        except IntegrityError:
            raise IllegalTransition("You joined this exercise a moment ago.") from None
        events.exercise_joined_event(membership=membership)
    return membership


def student_register_and_join(*, username: str, password: str, join_code: str) -> ExerciseMembership:
    """A new account for a student, in the exercise with this join code (all or nothing)."""
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        _exercise_to_join(join_code)
    except InvalidInput as exc:
        errors.update(exc.fields)
    User = get_user_model()
    if not username:
        errors["username"] = ["Choose a username."]
    elif len(username) > 150 or not all(ch.isalnum() or ch in "@.+-_" for ch in username):
        errors["username"] = ["Use at most 150 letters, digits and @ . + - _ only."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["This username is taken; choose another."]
    try:
        validate_password(password or "", user=User(username=username))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(errors, "The form has invalid fields.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, password=password)
        except IntegrityError:  # taken by someone registering at the same moment
            raise InvalidInput({"username": ["This username is taken; choose another."]},
                               "The form has invalid fields.") from None
        return exercise_join(user=user, join_code=join_code)


def agencies_for(exercise: Exercise):
    """The agencies of the exercise's scenario: the ones its students can act for."""
    try:
        codes = [entry["code"] for entry in parse_scenario(resolve_scenario_path(exercise.scenario))["agencies"]]
    except ScenarioError:
        codes = []
    return Agency.objects.filter(code__in=codes, state=Agency.State.ACTIVE).select_related("jurisdiction").order_by(
        "jurisdiction_id", "name")


def membership_assign(*, instructor, membership: ExerciseMembership, role: str, agency_code: str = "",
                      platform_account_id: int | None = None) -> ExerciseMembership:
    """Give a student their role: a reporter of an agency, a reviewer tier, an affected user, an auditor.

    A reporter gets a verified reporter account of that agency in this exercise (the
    instructor vouches for them); reviewers and auditors get the group of their role and
    admin access; an affected user speaks for one of the exercise's platform accounts.
    A reporter who has filed keeps that role: their requests stay with their account.
    """
    with transaction.atomic():
        membership = (ExerciseMembership.objects.select_for_update().select_related("exercise", "user")
                      .get(pk=membership.pk))
        exercise = membership.exercise
        _require_runs(instructor, exercise)
        if exercise.state == Exercise.State.CLOSED:
            raise NotAllowed("The exercise is closed; roles can no longer change.")
        errors: dict[str, list[str]] = {}
        agency = account = None
        if role not in ASSIGNABLE:
            errors["role"] = ["Choose a role."]
        elif role == ExerciseRole.REPORTER:
            agency = agencies_for(exercise).filter(code=agency_code).first()
            if agency is None:
                errors["agency"] = ["Choose the agency this reporter acts for (one of the scenario's agencies)."]
        elif role == ExerciseRole.AFFECTED_USER:
            account = PlatformAccount.objects.filter(exercise=exercise, pk=platform_account_id).first()
            if account is None:
                errors["platform_account"] = ["Choose the platform account this student speaks for."]
            elif ExerciseMembership.objects.filter(platform_account=account).exclude(pk=membership.pk).exists():
                errors["platform_account"] = [f"@{account.handle} is already another student's account."]
        if errors:
            raise InvalidInput(errors, "The role has invalid fields.")

        user = membership.user
        reporter = ReporterAccount.objects.filter(user=user).first()
        if reporter is not None and (role != ExerciseRole.REPORTER or reporter.agency_id != agency.pk):
            if TakedownRequest.objects.filter(submitted_by=user).exists():
                raise NotAllowed(f"{user.get_username()} has filed for {reporter.agency.name}: the requests stay "
                                 "with that account, so the role cannot change.")
            reporter.delete()
            reporter = None
        if role == ExerciseRole.REPORTER and reporter is None:
            ReporterAccount.objects.create(
                user=user, exercise=exercise, agency=agency, official_title=f"Student reporter, {agency.name}",
                work_email=user.email or f"{user.get_username()}@students.invalid",
                verification=ReporterAccount.Verification.VERIFIED, verified_at=timezone.now(), verified_by=instructor)

        groups = _role_groups()
        user.groups.remove(*groups.values())
        if role in ROLE_GROUP:
            user.groups.add(groups[ROLE_GROUP[role]])
        staff = role in ROLE_GROUP
        if user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])

        membership.role = role
        membership.agency = agency
        membership.platform_account = account
        membership.assigned_at = timezone.now()
        membership.save(update_fields=["role", "agency", "platform_account", "assigned_at"])
        events.exercise_role_assigned_event(membership=membership, actor=instructor)
    return membership


@dataclass(frozen=True)
class RoleChoice:
    """The role the instructor chose for one student on the exercise's page."""

    membership: ExerciseMembership
    role: str
    agency_code: str = ""
    platform_account_id: int | None = None

    def changes(self) -> bool:
        current = self.membership
        return (self.role, self.agency_code, self.platform_account_id) != (
            current.role, current.agency.code if current.agency else "", current.platform_account_id)


def memberships_assign(*, instructor, choices: list[RoleChoice]) -> tuple[list[ExerciseMembership],
                                                                          dict[int, DomainError]]:
    """Give many students their roles in one step: each changed choice is saved on its own.

    Returns the memberships saved and, by membership id, why the others were refused: one student's
    mistake (an agency missing for a reporter, say) does not hold back the rest of the room.
    """
    saved, refused = [], {}
    for choice in choices:
        if not choice.changes():
            continue
        try:
            saved.append(membership_assign(instructor=instructor, membership=choice.membership, role=choice.role,
                                           agency_code=choice.agency_code,
                                           platform_account_id=choice.platform_account_id))
        except DomainError as exc:
            refused[choice.membership.pk] = exc
    return saved, refused


def reporters_distribute(*, instructor, exercise: Exercise) -> list[ExerciseMembership]:
    """Make every student without a role a reporter, spread round-robin over the scenario's agencies.

    The agencies with the fewest reporters get the next ones, jurisdictions taking turns (a
    German agency, an Indian, a Kazakh, then the next German one...), so that a small class
    still has reporters of every country, and pressing it again as latecomers join keeps
    agencies and countries even. All or nothing.
    """
    _require_runs(instructor, exercise)
    agencies = _jurisdictions_in_turn(list(agencies_for(exercise)))
    if not agencies:
        raise InvalidInput({"agency": ["The exercise's scenario has no agency to give reporters."]},
                           "No agency to act for.")
    waiting = list(ExerciseMembership.objects.filter(exercise=exercise, role=ExerciseRole.UNASSIGNED)
                   .order_by("joined_at", "id"))
    reporters = Counter(ExerciseMembership.objects.filter(exercise=exercise, role=ExerciseRole.REPORTER)
                        .values_list("agency_id", flat=True))
    per_country = Counter()
    for agency in agencies:
        per_country[agency.jurisdiction_id] += reporters[agency.pk]
    assigned = []
    with transaction.atomic():
        for membership in waiting:
            agency = min(agencies, key=lambda a: (reporters[a.pk], per_country[a.jurisdiction_id], agencies.index(a)))
            reporters[agency.pk] += 1
            per_country[agency.jurisdiction_id] += 1
            assigned.append(membership_assign(instructor=instructor, membership=membership,
                                              role=ExerciseRole.REPORTER, agency_code=agency.code))
    return assigned


def _jurisdictions_in_turn(agencies: list[Agency]) -> list[Agency]:
    """Agencies (sorted by jurisdiction, then name) reordered so that jurisdictions alternate."""
    rank: Counter = Counter()
    turns = []
    for agency in agencies:
        turns.append((rank[agency.jurisdiction_id], agency.jurisdiction_id, agency.name, agency))
        rank[agency.jurisdiction_id] += 1
    return [agency for *_, agency in sorted(turns, key=lambda turn: turn[:3])]


def _role_groups() -> dict[str, Group]:
    """The groups students' roles put them in (re-created with their permissions if someone removed one)."""
    names = {roles.GROUP_NAMES[code]: code for code in ROLE_GROUP.values()}
    found = {names[group.name]: group for group in Group.objects.filter(name__in=names)}
    if len(found) < len(names):
        everything = roles.ensure_role_groups()
        found = {code: everything[code] for code in names.values()}
    return found


def _move(*, instructor, exercise: Exercise, from_state: str, to_state: str, stamp: str) -> Exercise:
    _require_runs(instructor, exercise)
    now = timezone.now()
    with transaction.atomic():
        changed = Exercise.objects.filter(pk=exercise.pk, state=from_state).update(state=to_state, **{stamp: now})
        if changed != 1:
            current = Exercise.objects.filter(pk=exercise.pk).values_list("state", flat=True).first()
            raise IllegalTransition(f"The exercise is {Exercise.State(current).label.lower()}; it cannot be "
                                    f"{'opened' if to_state == Exercise.State.OPEN else 'closed'} now.")
        exercise.state = to_state
        setattr(exercise, stamp, now)
        events.exercise_state_changed_event(exercise=exercise, actor=instructor, previous_state=from_state)
    return exercise


def exercise_open(*, instructor, exercise: Exercise) -> Exercise:
    """From draft to open: students can file, review and appeal."""
    return _move(instructor=instructor, exercise=exercise, from_state=Exercise.State.DRAFT,
                 to_state=Exercise.State.OPEN, stamp="opened_at")


def exercise_close(*, instructor, exercise: Exercise) -> Exercise:
    """From open to closed: the record is frozen and the debrief is available. Closing is final."""
    return _move(instructor=instructor, exercise=exercise, from_state=Exercise.State.OPEN,
                 to_state=Exercise.State.CLOSED, stamp="closed_at")

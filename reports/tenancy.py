"""Tenancy: which exercise a person acts in. No query anywhere crosses exercises.

Every page, admin list and API view that reads exercise data asks ``exercise_for_user``,
so a student of one exercise never sees another's. These are reads: the default exercise
is created when the database is migrated (reports.apps), never by the first reader that
finds it missing.
"""

from __future__ import annotations

from django.db.models import Case, Exists, OuterRef, Q, Value, When

from reports.errors import NotAllowed
from reports.models import Exercise, ExerciseMembership, ReporterAccount

DEFAULT_EXERCISE_SLUG = "default"
DEFAULT_EXERCISE_NAME = "Default exercise"


class NoDefaultExercise(RuntimeError):
    """The database has not been migrated: the default exercise is made by ``manage.py migrate``."""


def exercise_default() -> Exercise:
    """The exercise everything belongs to unless an instructor created another one."""
    exercise = Exercise.objects.filter(is_default=True).first()
    if exercise is None:
        raise NoDefaultExercise("There is no default exercise; run `python3 manage.py migrate`, which creates it.")
    return exercise


def exercise_default_install() -> Exercise:
    """Create the default exercise if it is missing (run after every migrate; idempotent)."""
    exercise = Exercise.objects.filter(is_default=True).first()
    if exercise is None:
        exercise, _ = Exercise.objects.get_or_create(
            slug=DEFAULT_EXERCISE_SLUG, defaults={"name": DEFAULT_EXERCISE_NAME, "is_default": True})
    return exercise


def exercise_for_user(user) -> Exercise:
    """The exercise whose data this person works on: a reporter's, a student's, or the default one.

    One query whoever asks (every API call and page asks once): the candidates ranked in
    that order, rather than a query for each kind of tie in turn.
    """
    if user is None or not user.is_authenticated:
        return exercise_default()
    reporter = Exists(ReporterAccount.objects.filter(user=user, exercise=OuterRef("pk")))
    member = Exists(ExerciseMembership.objects.filter(user=user, exercise=OuterRef("pk")))
    exercise = (Exercise.objects.filter(reporter | member | Q(is_default=True))
                .annotate(tie=Case(When(reporter, then=Value(0)), When(member, then=Value(1)), default=Value(2)))
                .order_by("tie", "pk").first())
    return exercise if exercise is not None else exercise_default()


def membership_for(user) -> ExerciseMembership | None:
    """The student's place in an exercise (role, agency, platform account), if they joined one."""
    if user is None or not user.is_authenticated:
        return None
    return (ExerciseMembership.objects.select_related("exercise", "agency__jurisdiction", "platform_account")
            .filter(user=user).first())


def reporter_account_for(user) -> ReporterAccount | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        account = ReporterAccount.objects.select_related("agency__jurisdiction", "exercise").get(user=user)
    except ReporterAccount.DoesNotExist:
        return None
    # The account's user is the one asking: services that record it as the actor need not read it again.
    account.user = user
    return account


def require_exercise_open(exercise: Exercise) -> None:
    """Work (filing, claiming, deciding, appealing) happens only while the exercise is open."""
    if exercise.state != Exercise.State.OPEN:
        state = "not open yet" if exercise.state == Exercise.State.DRAFT else "closed"
        raise NotAllowed(f"The exercise {exercise.name!r} is {state}: nothing can be filed, decided or appealed "
                         "in it now.")

"""Tenancy: which exercise a person acts in. No query anywhere crosses exercises.

Every page, admin list and API view that reads exercise data asks ``exercise_for_user``,
so a student of one exercise never sees another's. These are reads: the default exercise
is created when the database is migrated (reports.apps), never by the first reader that
finds it missing.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import connection

from reports import statements
from reports.errors import NotAllowed
from reports.models import Agency, Exercise, ExerciseMembership, Jurisdiction, ReporterAccount

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


# The candidates ranked in one query: the reporter's exercise, the student's, then the default one.
# Written out because every API call and page asks: the ORM spent about 4 ms of CPU building this
# query each time (its EXISTS and CASE), the database a fraction of that running it.
EXERCISE_FOR_USER_SQL = """
    SELECT e.* FROM reports_exercise e
    WHERE EXISTS (SELECT 1 FROM reports_reporteraccount r WHERE r.user_id = %(user)s AND r.exercise_id = e.id)
       OR EXISTS (SELECT 1 FROM reports_exercisemembership m WHERE m.user_id = %(user)s AND m.exercise_id = e.id)
       OR e.is_default = %(default)s
    ORDER BY CASE
        WHEN EXISTS (SELECT 1 FROM reports_reporteraccount r WHERE r.user_id = %(user)s AND r.exercise_id = e.id)
            THEN 0
        WHEN EXISTS (SELECT 1 FROM reports_exercisemembership m WHERE m.user_id = %(user)s AND m.exercise_id = e.id)
            THEN 1
        ELSE 2 END, e.id
    LIMIT 1
"""


def exercise_for_user(user) -> Exercise:
    """The exercise whose data this person works on: a reporter's, a student's, or the default one.

    One query whoever asks (every API call and page asks once).
    """
    if user is None or not user.is_authenticated:
        return exercise_default()
    found = list(Exercise.objects.raw(EXERCISE_FOR_USER_SQL, {"user": user.pk, "default": True}))
    return found[0] if found else exercise_default()


def membership_for(user) -> ExerciseMembership | None:
    """The student's place in an exercise (role, agency, platform account), if they joined one."""
    if user is None or not user.is_authenticated:
        return None
    return (ExerciseMembership.objects.select_related("exercise", "agency__jurisdiction", "platform_account")
            .filter(user=user).first())


def reporter_account_for(user) -> ReporterAccount | None:
    """The person's reporter account with its agency, the agency's jurisdiction and its exercise (one query).

    Every call of the reporters' API and every portal page asks. On PostgreSQL the user is read with
    the account already (reports.auth, through ``reporter_account_joins``), so asking costs no query;
    otherwise it is one statement written once.
    """
    if user is None or not user.is_authenticated:
        return None
    known = user._state.fields_cache
    if "reporter_account" in known:  # read with the user, as select_related would have
        account = known["reporter_account"]
    elif connection.vendor == "postgresql":
        with statements.server_bound_cursor() as cursor:
            cursor.execute(_reporter_account_statement(), [user.pk])
            account = reporter_account_from(cursor.fetchone() or [None])
    else:
        account = ReporterAccount.objects.select_related("agency__jurisdiction", "exercise").filter(user=user).first()
    if account is None:
        return None
    # The account's user is the one asking: services that record it as the actor need not read it again.
    account.user = user
    return account


ACCOUNT_MODELS = (ReporterAccount, Agency, Jurisdiction, Exercise)


@lru_cache(maxsize=4)
def reporter_account_joins(user_alias: str) -> tuple[str, str]:
    """The columns and joins that read the reporter account of the user aliased ``user_alias`` (PostgreSQL).

    The columns are the account's, its agency's, the agency's jurisdiction's and the exercise's, in
    turn, all NULL for someone without an account; ``reporter_account_from`` makes them instances.
    """
    table, column = statements.table, statements.column
    user = ReporterAccount._meta.get_field("user").related_model
    columns = ", ".join(statements.columns(model, alias) for model, alias in zip(ACCOUNT_MODELS, "raje", strict=True))
    joins = (f"LEFT JOIN {table(ReporterAccount)} r "
             f"ON r.{column(ReporterAccount, 'user')} = {user_alias}.{column(user, 'pk')} "
             f"LEFT JOIN {table(Agency)} a ON a.{column(Agency, 'pk')} = r.{column(ReporterAccount, 'agency')} "
             f"LEFT JOIN {table(Jurisdiction)} j "
             f"ON j.{column(Jurisdiction, 'pk')} = a.{column(Agency, 'jurisdiction')} "
             f"LEFT JOIN {table(Exercise)} e ON e.{column(Exercise, 'pk')} = r.{column(ReporterAccount, 'exercise')}")
    return columns, joins


def reporter_account_from(row) -> ReporterAccount | None:
    """The account (with its agency, jurisdiction and exercise) from ``reporter_account_joins``' columns."""
    if row[0] is None:
        return None
    account, agency, jurisdiction, exercise = statements.instances(row, ACCOUNT_MODELS)
    statements.related_set(agency, "jurisdiction", jurisdiction)
    statements.related_set(account, "agency", agency)
    statements.related_set(account, "exercise", exercise)
    return account


@lru_cache(maxsize=1)
def _reporter_account_statement() -> str:
    user = ReporterAccount._meta.get_field("user").related_model
    columns, joins = reporter_account_joins("u")
    return (f"SELECT {columns} FROM {statements.table(user)} u {joins} "  # noqa: S608
            f"WHERE u.{statements.column(user, 'pk')} = %s")


def require_exercise_open(exercise: Exercise) -> None:
    """Work (filing, claiming, deciding, appealing) happens only while the exercise is open."""
    if exercise.state != Exercise.State.OPEN:
        state = "not open yet" if exercise.state == Exercise.State.DRAFT else "closed"
        raise NotAllowed(f"The exercise {exercise.name!r} is {state}: nothing can be filed, decided or appealed "
                         "in it now.")

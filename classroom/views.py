"""Classroom pages: instructors create and run exercises, students join them, everyone reads the debrief.

Thin: every change is a call to reports.exercises, whose refusals are shown next to the
fields they are about.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from classroom import selectors, services
from classroom.debrief import exercise_debrief
from classroom.forms import ExerciseForm, JoinForm, RoleForm
from classroom.services import may_run
from reports.errors import DomainError
from reports.forms import add_domain_errors
from reports.models import Exercise, ExerciseMembership, ExerciseRole
from reports.roles import is_instructor
from reports.tenancy import membership_for


def home(request):
    """Instructors: their services. Students: their exercise, or the join form."""
    if not request.user.is_authenticated:
        return redirect("classroom:join")
    if is_instructor(request.user):
        return render(request, "classroom/home.html", {"exercises": selectors.exercises_run_by(request.user)})
    membership = membership_for(request.user)
    if membership is not None:
        return redirect("classroom:exercise", slug=membership.exercise.slug)
    return redirect("classroom:join")


@login_required
def exercise_new(request):
    if not is_instructor(request.user):
        return render(request, "classroom/forbidden.html", status=403)
    form = ExerciseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exercise = services.exercise_create(instructor=request.user, name=data["name"],
                                                scenario=data["scenario"], brief=data["brief"])
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"The exercise is ready. Give your students the join code {exercise.join_code}, "
                                      "assign their roles as they join, then open it.")
            return redirect("classroom:exercise", slug=exercise.slug)
    return render(request, "classroom/new.html", {"form": form}, status=400 if form.errors else 200)


def join(request):
    """Join an exercise by its code; a student without an account makes one here."""
    new_account = not request.user.is_authenticated
    form = JoinForm(request.POST or None, new_account=new_account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if new_account:
                membership = services.student_register_and_join(
                    username=data["username"], password=data["password"], join_code=data["join_code"])
                login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            else:
                membership = services.exercise_join(user=request.user, join_code=data["join_code"])
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"You are in {membership.exercise.name}. Your instructor will give you a role.")
            return redirect("classroom:exercise", slug=membership.exercise.slug)
    return render(request, "classroom/join.html", {"form": form, "new_account": new_account},
                  status=400 if form.errors else 200)


def _exercise(slug: str) -> Exercise:
    return get_object_or_404(Exercise, slug=slug, is_default=False)


def _run_page(request, exercise: Exercise, *, failed: tuple[int, RoleForm] | None = None, status: int = 200):
    agencies = list(services.agencies_for(exercise))
    accounts = list(selectors.platform_accounts_of(exercise))
    members = list(selectors.members_of(exercise))
    rows = []
    for member in members:
        if failed is not None and failed[0] == member.pk:
            form = failed[1]
        else:
            form = RoleForm(exercise=exercise, agencies=agencies, accounts=accounts, prefix=f"m{member.pk}", initial={
                "role": member.role if member.role != ExerciseRole.UNASSIGNED else "",
                "agency": member.agency.code if member.agency else "",
                "platform_account": str(member.platform_account_id or "")})
        rows.append({"member": member, "form": form})
    return render(request, "classroom/run.html", {
        "exercise": exercise, "rows": rows, "accounts": accounts, "progress": selectors.progress_of(exercise),
        "taken": {member.platform_account_id for member in members if member.platform_account_id},
        "join_url": request.build_absolute_uri("/exercises/join/"),
    }, status=status)


@login_required
def exercise_page(request, slug: str):
    exercise = _exercise(slug)
    if may_run(request.user, exercise):
        return _run_page(request, exercise)
    membership = membership_for(request.user)
    if membership is None or membership.exercise_id != exercise.pk:
        raise Http404("You are not in this exercise.")
    return render(request, "classroom/student.html", {"exercise": exercise, "membership": membership})


@login_required
def member_assign(request, slug: str, member_id: int):
    exercise = _exercise(slug)
    if not may_run(request.user, exercise):
        raise Http404("You do not run this exercise.")
    membership = get_object_or_404(ExerciseMembership, pk=member_id, exercise=exercise)
    # Who may act is checked before the method: to anyone else the URL does not exist.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = RoleForm(request.POST, exercise=exercise, prefix=f"m{membership.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.membership_assign(instructor=request.user, membership=membership, role=data["role"],
                                       agency_code=data["agency"],
                                       platform_account_id=int(data["platform_account"] or 0) or None)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            membership.refresh_from_db()
            messages.success(request, f"{membership.user.get_username()} plays: {membership.get_role_display()}.")
            return redirect("classroom:exercise", slug=exercise.slug)
    return _run_page(request, exercise, failed=(membership.pk, form), status=400)


def _move(request, slug: str, service, done: str):
    exercise = _exercise(slug)
    if not may_run(request.user, exercise):
        raise Http404("You do not run this exercise.")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        service(instructor=request.user, exercise=exercise)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("classroom:exercise", slug=exercise.slug)


@login_required
def exercise_open(request, slug: str):
    return _move(request, slug, services.exercise_open,
                 "The exercise is open: reporters can file, reviewers decide, affected users appeal.")


@login_required
def exercise_close(request, slug: str):
    return _move(request, slug, services.exercise_close,
                 "The exercise is closed: nothing more can be filed or decided, and the debrief is ready.")


def _debrief_context(request, slug: str) -> tuple[Exercise, dict | None]:
    exercise = _exercise(slug)
    membership = membership_for(request.user) if request.user.is_authenticated else None
    if not (may_run(request.user, exercise) or (membership is not None and membership.exercise_id == exercise.pk)):
        raise Http404("You are not in this exercise.")
    if exercise.state != Exercise.State.CLOSED:
        return exercise, None
    return exercise, exercise_debrief(exercise=exercise)


def _debrief_page(request, slug: str, template: str):
    exercise, context = _debrief_context(request, slug)
    if context is None:
        return render(request, "classroom/debrief_pending.html", {"exercise": exercise})
    return render(request, template, context)


@login_required
def debrief(request, slug: str):
    return _debrief_page(request, slug, "classroom/debrief.html")


@login_required
def debrief_print(request, slug: str):
    return _debrief_page(request, slug, "classroom/debrief_print.html")

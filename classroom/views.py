"""Classroom pages: instructors create and run exercises, students join them, everyone reads the debrief.

Thin: every change is a call to classroom.services, whose refusals are shown next to the
fields they are about.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from classroom import selectors, services
from classroom.debrief import exercise_debrief
from classroom.forms import ExerciseForm, JoinForm, RoleForm
from classroom.services import may_run
from classroom.split_view import split_view
from reports.errors import DomainError
from reports.forms import add_domain_errors
from reports.models import Exercise, ExerciseRole
from reports.roles import is_instructor
from reports.tenancy import membership_for


def home(request):
    """Instructors: their exercises. Students: their exercise, or the join form."""
    if not request.user.is_authenticated:
        return redirect("classroom:join")
    if is_instructor(request.user):
        return render(request, "classroom/home.html", {"exercises": selectors.exercises_run_by(request.user)})
    membership = membership_for(request.user)
    if membership is not None and membership.exercise.is_default:
        # The installation's own exercise has no page of its own (nobody joins it): its members, such as the
        # demo affected user, read their role here.
        return render(request, "classroom/student.html", {"exercise": membership.exercise, "membership": membership})
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
    # The QR code on the instructor's page carries the code: a student who scans it only picks a name.
    form = JoinForm(request.POST or None, new_account=new_account, initial={"join_code": request.GET.get("code", "")})
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


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and (host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback)
    except ValueError:
        return False


def public_join_url(request, exercise: Exercise) -> str:
    """The join page with the exercise's code filled in, at an address students in the room can reach.

    The site's address (CRS_SITE_URL: the room's address in class mode) unless it only reaches this
    machine, in which case the address the instructor's own browser used.
    """
    path = f"{reverse('classroom:join')}?{urlencode({'code': exercise.join_code})}"
    base = settings.SITE_URL.rstrip("/")
    if base and not _is_loopback(urlsplit(base).hostname):
        return base + path
    return request.build_absolute_uri(path)


def _qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=5, border=2, dark="#1d2433")


def _run_page(request, exercise: Exercise, *, forms: dict[int, RoleForm] | None = None, status: int = 200):
    agencies = list(services.agencies_for(exercise))
    accounts = list(selectors.platform_accounts_of(exercise))
    members = list(selectors.members_of(exercise))
    rows = []
    for member in members:
        form = (forms or {}).get(member.pk) or RoleForm(
            exercise=exercise, agencies=agencies, accounts=accounts, prefix=f"m{member.pk}", initial={
                "role": member.role if member.role != ExerciseRole.UNASSIGNED else "",
                "agency": member.agency.code if member.agency else "",
                "platform_account": str(member.platform_account_id or "")})
        rows.append({"member": member, "form": form})
    join_url = public_join_url(request, exercise)
    return render(request, "classroom/run.html", {
        "exercise": exercise, "rows": rows, "accounts": accounts, "progress": selectors.progress_of(exercise),
        "taken": {member.platform_account_id for member in members if member.platform_account_id},
        "join_url": join_url, "join_qr": _qr_data_uri(join_url),
        "unassigned": sum(1 for member in members if member.role == ExerciseRole.UNASSIGNED),
        "agencies": agencies
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


def _run_by(request, slug: str) -> Exercise:
    """The exercise, if this person runs it; to anyone else the page does not exist."""
    exercise = _exercise(slug)
    if not may_run(request.user, exercise):
        raise Http404("You do not run this exercise.")
    return exercise


@login_required
def roles_assign(request, slug: str):
    """The students' table: every row's role saved with one button; a refused row says why and keeps its choice."""
    exercise = _run_by(request, slug)
    # Who may act is checked before the method: to anyone else the URL does not exist.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    forms, choices = {}, []
    for member in selectors.members_of(exercise):
        form = RoleForm(request.POST, exercise=exercise, prefix=f"m{member.pk}")
        forms[member.pk] = form
        if form.is_valid() and form.cleaned_data["role"]:
            data = form.cleaned_data
            choices.append(services.RoleChoice(membership=member, role=data["role"], agency_code=data["agency"],
                                               platform_account_id=int(data["platform_account"] or 0) or None))
    saved, refused = services.memberships_assign(instructor=request.user, choices=choices)
    for member_id, exc in refused.items():
        add_domain_errors(forms[member_id], exc)
    if saved:
        messages.success(request, f"Saved the roles of {len(saved)} student{'s' if len(saved) != 1 else ''}: "
                                  + ", ".join(m.user.get_username() for m in saved) + ".")
    if refused or any(form.errors for form in forms.values()):
        messages.error(request, "Some roles were not saved: each says why in its row.")
        kept = {pk: form for pk, form in forms.items() if pk in refused or form.errors}
        return _run_page(request, exercise, forms=kept, status=400)
    if not saved:
        messages.info(request, "Nothing changed: every student already has the role shown.")
    return redirect("classroom:exercise", slug=exercise.slug)


@login_required
def reporters_distribute(request, slug: str):
    """Every student still without a role becomes a reporter, the scenario's agencies taking turns."""
    exercise = _run_by(request, slug)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        assigned = services.reporters_distribute(instructor=request.user, exercise=exercise)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if assigned:
            messages.success(request, f"{len(assigned)} student{'s' if len(assigned) != 1 else ''} now report"
                                      f"{'' if len(assigned) != 1 else 's'} for the scenario's agencies, in turn.")
        else:
            messages.info(request, "Every student already has a role.")
    return redirect("classroom:exercise", slug=exercise.slug)


def _move(request, slug: str, service, done: str):
    exercise = _run_by(request, slug)
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
    """Closing is final: the page asks first, and only its form closes the exercise."""
    if request.method == "GET":
        exercise = _run_by(request, slug)
        return render(request, "classroom/close.html", {"exercise": exercise,
                                                         "progress": selectors.progress_of(exercise)})
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


@login_required
def split_view_page(request, slug: str):
    """What a split view of the exercise's log would look like, and why witnesses rule it out."""
    exercise, _ = _debrief_context(request, slug)
    return render(request, "classroom/split_view.html", {"exercise": exercise, "view": split_view(exercise=exercise)})

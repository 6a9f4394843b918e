"""Registration (a person asks for a reporter account for their agency, or proposes the agency) and log-in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters

from filing.services import AgencyProposal, reporter_register
from portal.forms import PROPOSE_AGENCY, REGISTRATION_FIELDS, RegistrationForm
from reports.auth import LoginForm
from reports.errors import DomainError
from reports.forms import add_domain_errors
from reports.models import Agency, ExerciseRole
from reports.roles import is_auditor, is_instructor
from reports.tenancy import membership_for, reporter_account_for


@sensitive_post_parameters("password1", "password2")
def register(request):
    if request.user.is_authenticated:
        messages.info(request, "You are logged in already. Log out first to register another account.")
        return redirect("portal:dashboard")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency, proposal = None, None
        if data["agency"] == PROPOSE_AGENCY:
            proposal = AgencyProposal(jurisdiction=data["new_agency_jurisdiction"], name=data["new_agency_name"],
                                      authority_type=data["new_agency_authority_type"])
        else:
            agency = Agency.objects.filter(code=data["agency"]).first()
        try:
            account = reporter_register(username=data["username"], password=data["password1"],
                                        official_title=data["official_title"], work_email=data["work_email"],
                                        agency=agency, proposal=proposal)
        except DomainError as exc:
            add_domain_errors(form, exc, REGISTRATION_FIELDS)
        else:
            login(request, account.user)
            messages.success(request, "Your registration is received. Platform staff will check it with your "
                                      f"agency and tell you by e-mail at {account.work_email}.")
            return redirect("portal:dashboard")
    return render(request, "registration/register.html", {"form": form}, status=400 if form.errors else 200)


def start_page(user) -> str:
    """Where a person begins after logging in: the place their role works in."""
    if reporter_account_for(user) is not None:
        return reverse("portal:dashboard")
    membership = membership_for(user)
    if membership is not None and membership.role == ExerciseRole.AFFECTED_USER:
        return reverse("portal:platform")
    if user.is_superuser:
        return reverse("admin:index")  # the administrator may do anything; the admin is where accounts are kept
    if is_instructor(user):
        return reverse("classroom:home")
    if is_auditor(user):
        # Auditors work through the API: their token and a first call come first (the admin is a link away).
        return reverse("portal:api-access")
    if user.is_staff:
        return reverse("admin:index")
    if membership is not None:
        return reverse("classroom:home")
    return reverse("landing")


class LoginView(auth_views.LoginView):
    """Log-in with lockout (reports/auth.py); without a ``next`` page, each role lands where it works."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return start_page(self.request.user)

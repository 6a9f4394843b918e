"""Forms of the classroom pages. They collect input; reports.exercises decides what is valid."""

from __future__ import annotations

from django import forms

from classroom.scenarios import scenario_catalog
from classroom.services import ASSIGNABLE, agencies_for
from reports.forms import PortalForm
from reports.limits import MAX_BRIEF_CHARS, MAX_EXERCISE_NAME_CHARS
from reports.models import Exercise, ExerciseRole, PlatformAccount


class ExerciseForm(PortalForm):
    # Not required here: exercise_create names what is missing.
    name = forms.CharField(label="Name", required=False, max_length=MAX_EXERCISE_NAME_CHARS,
                           help_text="How your students will recognise it, e.g. “Seminar 3, group B”.")
    scenario = forms.ChoiceField(label="Scenario", required=False, widget=forms.RadioSelect,
                                 help_text="Its platform accounts and posts are copied into the exercise, so that "
                                           "what one class does never shows in another. To compare how the same "
                                           "kind of post fares under different countries' laws, choose one with "
                                           "several jurisdictions.")
    brief = forms.CharField(label="Brief for the students (optional)", required=False, max_length=MAX_BRIEF_CHARS,
                            widget=forms.Textarea(attrs={"rows": 5}),
                            help_text="Leave empty to use the scenario's own brief. Markdown: **bold**, *italic*, "
                                      "lists, [links](https://example.org).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [
            (info.slug, f"{info.title} ({', '.join(info.jurisdictions)}). {info.description}")
            for info in scenario_catalog()]


class JoinForm(PortalForm):
    join_code = forms.CharField(label="Join code", required=False, max_length=20,
                                help_text="The eight letters and digits your instructor gave you.")
    username = forms.CharField(label="Username", required=False, max_length=150)
    password = forms.CharField(label="Password", required=False, widget=forms.PasswordInput,
                               help_text="At least 10 characters; not a common password.")

    def __init__(self, *args, new_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not new_account:
            del self.fields["username"]
            del self.fields["password"]


class RoleForm(PortalForm):
    role = forms.ChoiceField(label="Role", required=False)
    agency = forms.ChoiceField(label="Agency (for a reporter)", required=False)
    platform_account = forms.ChoiceField(label="Platform account (for an affected user)", required=False)

    def __init__(self, *args, exercise: Exercise, agencies=None, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "— choose a role —")] + [
            (role, ExerciseRole(role).label) for role in ASSIGNABLE]
        agencies = agencies if agencies is not None else agencies_for(exercise)
        self.fields["agency"].choices = [("", "—")] + [
            (agency.code, f"{agency.name} ({agency.jurisdiction_id})") for agency in agencies]
        accounts = accounts if accounts is not None else PlatformAccount.objects.filter(exercise=exercise)
        self.fields["platform_account"].choices = [("", "—")] + [
            (str(account.pk), f"@{account.handle} — {account.display_name} ({account.get_persona_display()}, "
                              f"{account.country})") for account in accounts]

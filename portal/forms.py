"""The portal's forms. They check types only; the services check meaning.

Domain errors from the services are shown on these forms by reports.forms.add_domain_errors,
so each problem shows next to the field it is about and everything the person typed is shown again.
"""

from __future__ import annotations

from django import forms

from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from filing.selectors import provision_titles
from reports.forms import PortalForm
from reports.limits import (
    EVIDENCE_CONTENT_TYPES,
    EVIDENCE_MAX_MB,
    MAX_JUSTIFICATION_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_STATEMENT_CHARS,
)
from reports.models import (
    Agency,
    AuthorityType,
    Category,
    EvidenceKind,
    Jurisdiction,
    Persona,
    RequestedAction,
    Status,
    Urgency,
)
from review.vocabulary import language_name

PROPOSE_AGENCY = "__new__"
EVIDENCE_ACCEPT = ".pdf,.png,.jpg,.jpeg," + ",".join(EVIDENCE_CONTENT_TYPES)


# --- Accounts -----------------------------------------------------------------------------

def agency_choices() -> list:
    groups: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    for agency in Agency.objects.filter(state=Agency.State.ACTIVE).select_related("jurisdiction").order_by(
            "jurisdiction__name", "name"):
        groups.setdefault(agency.jurisdiction_id, []).append((agency.code, agency.name))
        names[agency.jurisdiction_id] = agency.jurisdiction.name
    choices: list = [("", "Choose your agency")]
    choices += [(names[code], options) for code, options in sorted(groups.items(), key=lambda g: names[g[0]])]
    choices.append(("Not listed", [(PROPOSE_AGENCY, "My agency is not listed: I propose it below")]))
    return choices


REGISTRATION_FIELDS = {
    "username": "username",
    "password": "password1",
    "official_title": "official_title",
    "work_email": "work_email",
    "agency": "agency",
    "proposed_agency.jurisdiction": "new_agency_jurisdiction",
    "proposed_agency.name": "new_agency_name",
    "proposed_agency.authority_type": "new_agency_authority_type",
}


class RegistrationForm(PortalForm):
    username = forms.CharField(max_length=150, help_text="Letters, digits and @ . + - _ only.",
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}))
    password1 = forms.CharField(label="Password", strip=False,
                                help_text="At least 10 characters, not a common password and not only digits.",
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    official_title = forms.CharField(max_length=200, help_text="As in your agency's records, e.g. Chief specialist, "
                                                               "Department of Information Policy.",
                                     widget=forms.TextInput(attrs={"autocomplete": "organization-title"}))
    work_email = forms.EmailField(label="Work e-mail", max_length=254,
                                  help_text="Platform staff check that this address belongs to your agency.",
                                  widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    agency = forms.ChoiceField(help_text="Agencies are listed by jurisdiction.")
    new_agency_jurisdiction = forms.ChoiceField(label="Jurisdiction", required=False)
    new_agency_name = forms.CharField(label="Official name of the agency", max_length=200, required=False)
    new_agency_authority_type = forms.ChoiceField(
        label="Kind of authority", required=False, choices=[("", "Choose")] + list(AuthorityType.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = agency_choices()
        self.fields["new_agency_jurisdiction"].choices = [("", "Choose")] + [
            (j.code, j.name) for j in Jurisdiction.objects.order_by("name")]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", "The two passwords differ; type the same password twice.")
        return cleaned


# --- Filing --------------------------------------------------------------------------------

# Where the filing services' error paths show on the draft and respond forms.
REQUEST_FIELDS = {
    "legal_basis": "legal_basis",
    "court_order": "court_name",
    "court_order.court": "court_name",
    "court_order.case_number": "court_case_number",
    "court_order.date": "court_order_date",
    "file": "evidence",
    "kind": "evidence_kind",
}


def provision_choices(jurisdiction_code: str) -> list[tuple[str, str]]:
    return [(code, f"{code} — {title}") for code, title in provision_titles(jurisdiction_code)]


class CourtOrderFields(forms.Form):
    court_name = forms.CharField(label="Court", max_length=200, required=False,
                                 help_text="The court that issued the order, if there is one.")
    court_case_number = forms.CharField(label="Case number", max_length=100, required=False)
    court_order_date = forms.DateField(label="Date of the order", required=False,
                                       widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def court_order(self) -> CourtOrderInput:
        data = self.cleaned_data
        return CourtOrderInput(data.get("court_name", ""), data.get("court_case_number", ""),
                               data.get("court_order_date"))


class DraftForm(PortalForm, CourtOrderFields):
    category = forms.ChoiceField(label="Reason category", required=False,
                                 choices=[("", "Choose a category")] + list(Category.choices))
    legal_basis = forms.MultipleChoiceField(
        label="Legal provisions cited", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Your jurisdiction's provisions. Cite each law you rely on, or give a court order below.")
    requested_action = forms.ChoiceField(
        label="Requested action", required=False, widget=forms.RadioSelect, choices=RequestedAction.choices,
        help_text="A national law supports restriction in your jurisdiction; global removal is for content that "
                  "breaks the platform's own rules.")
    justification = forms.CharField(
        label="Justification", required=False, max_length=MAX_JUSTIFICATION_CHARS,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Why each item is unlawful under the provisions you cite, or breaks the platform's rules.")
    urgency = forms.ChoiceField(label="Urgency", widget=forms.RadioSelect, choices=Urgency.choices,
                                initial=Urgency.STANDARD,
                                help_text="Imminent harm is for a risk to someone's life or safety; it is "
                                          "reviewed first, with a short deadline.")
    confidentiality_requested = forms.BooleanField(
        label="Ask that the affected user not be told who asked", required=False,
        help_text="The platform decides whether to notify the user; this request is recorded.")
    add_item = forms.CharField(label="Add a post by its id or URL", required=False, max_length=500,
                               help_text="For example kz-0007 or https://platform.example/p/kz-0007.")
    evidence = forms.FileField(label="Evidence file", required=False, allow_empty_file=True,
                               widget=forms.FileInput(attrs={"accept": EVIDENCE_ACCEPT}),
                               help_text=f"PDF, PNG or JPEG, at most {EVIDENCE_MAX_MB} MB. Stored privately; only "
                                         "your agency and the platform's reviewers can open it.")
    evidence_kind = forms.ChoiceField(label="This file is", choices=EvidenceKind.choices,
                                      initial=EvidenceKind.SUPPORTING)

    field_order = ["category", "legal_basis", "requested_action", "justification", "court_name",
                   "court_case_number", "court_order_date", "urgency", "confidentiality_requested", "add_item",
                   "evidence", "evidence_kind"]

    def __init__(self, *args, jurisdiction: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_basis"].choices = provision_choices(jurisdiction)

    def to_input(self, items: list[ItemInput]) -> RequestInput:
        data = self.cleaned_data
        return RequestInput(
            items=items, category=data.get("category", ""), legal_basis=list(data.get("legal_basis") or []),
            requested_action=data.get("requested_action", ""), justification=data.get("justification", ""),
            urgency=data.get("urgency") or Urgency.STANDARD, court_order=self.court_order(),
            confidentiality_requested=bool(data.get("confidentiality_requested")),
        )


def draft_initial(data: RequestInput) -> dict:
    order = data.court_order or CourtOrderInput()
    return {"category": data.category, "legal_basis": data.legal_basis, "requested_action": data.requested_action,
            "justification": data.justification, "urgency": data.urgency, "court_name": order.court,
            "court_case_number": order.case_number, "court_order_date": order.date,
            "confidentiality_requested": data.confidentiality_requested}


def item_from_text(text: str) -> ItemInput:
    text = text.strip()
    return ItemInput(url=text) if "://" in text else ItemInput(content_id=text)


class RequestPageForm(PortalForm):
    """A form of a request's page; each is told the reporter's jurisdiction (the answer form offers its provisions)."""

    def __init__(self, *args, jurisdiction: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.jurisdiction = jurisdiction


def items_text(items: list[ItemInput]) -> str:
    """A request's items as the answer form shows them: one post id or URL per line."""
    return "\n".join(item.content_id or item.url for item in items)


def items_from_text(text: str) -> list[ItemInput]:
    return [item_from_text(line) for line in text.splitlines() if line.strip()]


class RespondForm(RequestPageForm, CourtOrderFields):
    """The answer to a request for information: a message, and whatever the platform found missing.

    Every part screening can ask for (the items, a legal basis or a court order, the justification,
    the scope, the category) can be corrected here, so an answer never loops back to the same question.
    """

    message = forms.CharField(label="Your answer", required=False, max_length=MAX_MESSAGE_CHARS,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="Answer what the platform asked. The request is screened again afterwards.")
    requested_action = forms.ChoiceField(
        label="Requested action (the scope)", required=False, widget=forms.RadioSelect,
        choices=RequestedAction.choices,
        help_text="A national law supports restriction in your jurisdiction; global removal is for content that "
                  "breaks the platform's own rules.")
    justification = forms.CharField(label="Justification", required=False, max_length=MAX_JUSTIFICATION_CHARS,
                                    widget=forms.Textarea(attrs={"rows": 6}),
                                    help_text="Why each item is unlawful under the provisions you cite.")
    legal_basis = forms.MultipleChoiceField(label="Legal provisions cited", required=False,
                                            widget=forms.CheckboxSelectMultiple)
    items = forms.CharField(label="Reported posts", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text="One post per line: its id (kz-0007) or its address "
                                      "(https://platform.example/p/kz-0007).")
    category = forms.ChoiceField(label="Reason category", required=False, choices=Category.choices)

    field_order = ["message", "requested_action", "justification", "legal_basis", "court_name", "court_case_number",
                   "court_order_date", "items", "category"]

    # Which of this form's fields supply each part screening may ask for (reports/completeness.py's
    # fields; "message" is a reviewer's own question).
    FIELDS_FOR_PART = {
        "items": ("items",), "legal_basis": ("legal_basis", "court_name", "court_case_number", "court_order_date"),
        "justification": ("justification",), "requested_action": ("requested_action",), "category": ("category",),
        "message": ("message",),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_basis"].choices = provision_choices(self.jurisdiction)

    @classmethod
    def initial_from(cls, current: RequestInput) -> dict:
        return {**{k: v for k, v in draft_initial(current).items()
                   if k in ("category", "legal_basis", "requested_action", "justification", "court_name",
                            "court_case_number", "court_order_date")},
                "items": items_text(current.items)}

    def asked_fields(self, missing_parts: list[dict]) -> list[str]:
        """The fields the platform is waiting for, in the form's order."""
        wanted = {name for part in missing_parts
                  for name in self.FIELDS_FOR_PART.get(part["field"].split(".", 1)[0], ())}
        return [name for name in self.fields if name in wanted]

    def changes(self, current: RequestInput) -> dict:
        """Only what differs from the request as it stands, so the record names what was corrected."""
        data = self.cleaned_data
        changes: dict = {}
        if data.get("justification", "").strip() != current.justification.strip():
            changes["justification"] = data.get("justification", "")
        # Only the own catalog is offered; a citation from elsewhere (filed through the API) is not
        # dropped unless the reporter changes the citations.
        offered = {code for code, _ in self.fields["legal_basis"].choices}
        if set(data.get("legal_basis") or []) != set(current.legal_basis) & offered:
            changes["legal_basis"] = list(data.get("legal_basis") or [])
        now = self.court_order()
        before = current.court_order or CourtOrderInput()
        if (now.court.strip(), now.case_number.strip(), now.date) != (before.court, before.case_number, before.date):
            changes["court_order"] = now
        for name in ("requested_action", "category"):
            if data.get(name) and data[name] != getattr(current, name):
                changes[name] = data[name]
        items = items_from_text(data.get("items", ""))
        if items and items_text(items).lower() != items_text(current.items).lower():
            changes["items"] = items
        return changes


class WithdrawForm(RequestPageForm):
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=MAX_MESSAGE_CHARS,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ReconsiderForm(RequestPageForm):
    message = forms.CharField(label="Why the decision should be reconsidered", required=False,
                              max_length=MAX_MESSAGE_CHARS,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text="You can ask once. A reviewer looks at the request again.")


class AppealForm(PortalForm):
    # Not required here: the service says what is missing, in the words the record uses.
    statement = forms.CharField(label="Why the decision is wrong", required=False, max_length=MAX_STATEMENT_CHARS,
                                widget=forms.Textarea(attrs={"rows": 6}),
                                help_text="You can appeal once. A reviewer who did not make the decision reads "
                                          "your statement and decides whether your post is restored.")


class EvidenceForm(RequestPageForm):
    # An empty file reaches the service, which says why it is refused; no file at all is the form's to say.
    evidence = forms.FileField(label="Evidence file", allow_empty_file=True,
                               error_messages={"required": "Choose a file to upload."},
                               widget=forms.FileInput(attrs={"accept": EVIDENCE_ACCEPT}),
                               help_text=f"PDF, PNG or JPEG, at most {EVIDENCE_MAX_MB} MB.")
    evidence_kind = forms.ChoiceField(label="This file is", choices=EvidenceKind.choices,
                                      initial=EvidenceKind.SUPPORTING)


# --- Lists --------------------------------------------------------------------------------

class DashboardFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status")] + list(Status.choices))
    category = forms.ChoiceField(required=False, choices=[("", "Any category")] + list(Category.choices))
    q = forms.CharField(label="Search", required=False, max_length=200,
                        help_text="A reference, a post id, or words from the justification or the posts.")


class FeedFilterForm(forms.Form):
    country = forms.ChoiceField(required=False)
    language = forms.ChoiceField(required=False)
    persona = forms.ChoiceField(label="Author", required=False,
                                choices=[("", "Any author")] + list(Persona.choices))
    posted_from = forms.DateField(label="Posted from", required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    posted_to = forms.DateField(label="Posted until", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, countries: list[tuple[str, str]], languages: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Any country"), *countries]
        self.fields["language"].choices = [("", "Any language")] + [(code, language_name(code)) for code in languages]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("posted_from"), cleaned.get("posted_to")
        if start and end and start > end:
            self.add_error("posted_to", "The end date is before the start date.")
        return cleaned

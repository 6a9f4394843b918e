"""Forms of the reviewer's actions. They collect input; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminRadioSelect

from reports.limits import MAX_MESSAGE_CHARS, MAX_NOTE_CHARS, MAX_RATIONALE_CHARS
from reports.models import Queue
from review.models import Decision
from review.services import ACTION_REASONS, ESCALATION_TARGETS, reasons_for


def _reason_help() -> str:
    return "The reason must fit the action. " + " ".join(reasons_for(action) for action in ACTION_REASONS)


class DecisionForm(forms.Form):
    # Not required at the form level: item_decide says what is missing, in the words the API uses too.
    action = forms.ChoiceField(choices=Decision.Action.choices, widget=AdminRadioSelect, required=False)
    reason_code = forms.ChoiceField(choices=[("", "— choose a reason —"), *Decision.Reason.choices], required=False,
                                    label="Reason", help_text=_reason_help())
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 80, "required": True}),
                                required=False, max_length=MAX_RATIONALE_CHARS,
                                help_text="Shown to the requester and kept in the record.")
    confirm_contradiction = forms.BooleanField(
        required=False, label="I have read the warning and decide against the automated findings")


class AskInfoForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 80, "required": True}),
                              required=False, max_length=MAX_MESSAGE_CHARS,
                              help_text="Sent to the requester; the request waits in “needs information”.")


class EscalateForm(forms.Form):
    to_queue = forms.ChoiceField(choices=[(q.value, Queue(q).label) for q in ESCALATION_TARGETS],
                                 widget=AdminRadioSelect, required=False, label="Escalate to")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 80, "required": True}), required=False,
                           max_length=MAX_NOTE_CHARS,
                           help_text="Why the request needs that tier; the next reviewer reads it.")

"""What every page's forms share: domain errors shown next to their fields, accessibly.

Domain errors (reports.errors) are mapped onto forms once, here, for the portal, the
classroom and the admin alike: each problem shows next to the field it is about, the rest
at the top, and everything the person typed is shown again.
"""

from __future__ import annotations

from django import forms

from reports.errors import DomainError


class PortalForm(forms.Form):
    """A form whose invalid fields say so to assistive technology (aria-invalid, aria-describedby)."""

    def add_error(self, field, error):
        super().add_error(field, error)
        names = [field] if isinstance(field, str) else list(getattr(error, "error_dict", {}) or [])
        for name in names:
            if name in self.fields:
                self._mark_invalid(name)

    def _mark_invalid(self, name: str) -> None:
        bound = self[name]
        attrs = self.fields[name].widget.attrs
        attrs["aria-invalid"] = "true"
        described = [f"{bound.auto_id}_error"]
        if self.fields[name].help_text:
            described.append(f"{bound.auto_id}_helptext")
        attrs["aria-describedby"] = " ".join(described)


def _field_for(path: str, field_map: dict[str, str], form: forms.Form) -> str | None:
    """The form field a service's error path is about: the longest mapped prefix, else the path itself."""
    candidates = [key for key in field_map if path == key or path.startswith(key + ".")]
    if candidates:
        return field_map[max(candidates, key=len)]
    head = path.split(".", 1)[0]
    return head if head in form.fields else None


def add_domain_errors(form: forms.Form, exc: DomainError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's refusal on ``form``: each field path next to its field, the rest at the top."""
    field_map = field_map or {}
    for path, problems in exc.fields.items():
        name = _field_for(path, field_map, form)
        form.add_error(name if name in form.fields else None, list(problems))
    if not exc.fields:
        form.add_error(None, exc.message)

"""The one exception type for refused actions and bad input.

Mapped once to the API's error body (reports/api_errors.py) and once to form errors
(portal/forms.py). ``fields`` maps a field path (``items.1.content_id``) to messages.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, code: str = "invalid", fields: dict[str, list[str]] | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.message, "fields": self.fields}


class InvalidInput(DomainError):
    """Input that cannot be stored: every problem is listed by field."""

    def __init__(self, fields: dict[str, list[str]], message: str = "The request has invalid fields."):
        super().__init__(message, code="invalid", fields=fields, status=400)


class IllegalTransition(DomainError):
    """The request is not in a state that allows this action; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message, code="illegal_transition", status=409)


class NotAllowed(DomainError):
    def __init__(self, message: str):
        super().__init__(message, code="not_allowed", status=403)

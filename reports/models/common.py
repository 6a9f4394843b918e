"""What the record's models share: the choice-set check constraint and the private evidence storage."""

from __future__ import annotations

from django.core.files.storage import storages
from django.db import models
from django.db.models import Q


def evidence_storage():
    # A callable keeps the storage out of migrations; see STORAGES["evidence"] in settings.
    return storages["evidence"]


def choice_in(field: str, choices: type[models.TextChoices], *, allow_blank: bool = False) -> Q:
    """A check constraint's condition: ``field`` holds one of ``choices`` (or "" when ``allow_blank``)."""
    values = list(choices.values) + ([""] if allow_blank else [])
    return Q(**{f"{field}__in": values})

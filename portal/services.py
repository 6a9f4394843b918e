"""Writes of the portal's own: a person's API token, issued and revoked by its holder."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from audit import events
from portal.selectors import api_role
from reports.errors import NotAllowed
from reports.tenancy import exercise_for_user


def api_token_issue(*, user) -> Token:
    """A new token for the API, replacing the holder's previous one (which stops working at once)."""
    if api_role(user) is None:
        raise NotAllowed("Only verified government reporters and auditors use the API; your role works in the "
                         "web pages.")
    with transaction.atomic():
        replaced = Token.objects.filter(user=user).delete()[0] > 0
        token = Token.objects.create(user=user)
        events.api_token_event(actor=user, exercise=exercise_for_user(user), issued=True, replaced=replaced)
    return token


def api_token_revoke(*, user) -> bool:
    """Stop the holder's token from working; False when there was none."""
    with transaction.atomic():
        revoked = Token.objects.filter(user=user).delete()[0] > 0
        if revoked:
            events.api_token_event(actor=user, exercise=exercise_for_user(user), issued=False)
    return revoked

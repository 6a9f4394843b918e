"""Telling the requester that something needs them, by e-mail (console backend by default).

Mail goes out after commit, so a rolled-back change never sends a message, and a
mail failure never undoes the change it reports.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

logger = logging.getLogger(__name__)

SUBJECTS = {
    "needs_info": "{reference}: information needed before review",
    "decided": "{reference}: decision made",
    "verified": "Your CRS reporter account is verified",
    "rejected": "Your CRS reporter account was not verified",
}


def _send(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception:  # an SMTP outage must not fail the workflow
        logger.warning("could not send %r to a requester", subject, exc_info=True)


def notify_requester(request, kind: str) -> None:
    account = getattr(request.submitted_by, "reporter_account", None)
    if account is None:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("portal:request-detail", args=[request.reference])
    subject = SUBJECTS[kind].format(reference=request.reference)
    body = f"{subject}.\n\nSee the request and its timeline: {link}\n"
    transaction.on_commit(lambda: _send(subject, body, account.work_email))


def notify_reporter_verification(account) -> None:
    link = settings.SITE_URL.rstrip("/") + reverse("portal:dashboard")
    subject = SUBJECTS[account.verification]
    body = f"{subject}.\n\n"
    if account.verification_note:
        body += f"Reason: {account.verification_note}\n\n"
    body += f"{link}\n"
    transaction.on_commit(lambda: _send(subject, body, account.work_email))

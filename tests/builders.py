"""Requests in every state a test needs, built through the services the product itself uses.

A complete request cites KZ-CC-174 with a justification and a court order, asks to restrict the
posts in Kazakhstan, and names the posts given; any field can be overridden
(``filed(kz_reporter, "kz-0007", court_order=None, category="violence")``).
"""

from __future__ import annotations

from pathlib import Path

from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from filing.services import request_file
from reports.models import Appeal, ReporterAccount, RequestItem, TakedownRequest
from review.services import appeal_file, item_decide, request_claim, request_screen

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JUSTIFICATION = "The post incites discord between ethnic groups, which article 174 of the Criminal Code prohibits."
COURT_ORDER = CourtOrderInput("Medeu District Court of Almaty", "2-1187/2021", None)
RATIONALE = "Unlawful under the cited article; the restriction is limited to the country."


def pdf_upload(name: str = "order.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_evidence_files() -> list[Path]:
    root = Path(storages["evidence"].location)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def request_input(*codes: str, **fields) -> RequestInput:
    """What a reporter states about the posts ``codes``: a complete request unless ``fields`` say otherwise."""
    data = {"items": [ItemInput(content_id=code) for code in codes], "category": "hate_speech",
            "legal_basis": ["KZ-CC-174"], "requested_action": "restrict_in_jurisdiction",
            "justification": JUSTIFICATION, "court_order": COURT_ORDER, **fields}
    return RequestInput(**data)


def filed(reporter: ReporterAccount, *codes: str, **fields) -> TakedownRequest:
    """A request filed (through the API's service), not yet screened."""
    request, created = request_file(reporter=reporter, data=request_input(*codes, **fields))
    assert created
    return request


def screened(request: TakedownRequest) -> TakedownRequest:
    """Run screening now, in this thread, as the Celery task does (the tests that need no worker)."""
    request_screen(request_id=request.pk)
    return TakedownRequest.objects.get(pk=request.pk)


def filed_and_screened(reporter: ReporterAccount, *codes: str, **fields) -> TakedownRequest:
    """A request filed and routed: queued, or back with the requester for information."""
    return screened(filed(reporter, *codes, **fields))


def decided(reviewer, request: TakedownRequest, action: str = "restrict_in_jurisdiction",
            reason: str = "unlawful_locally", rationale: str = RATIONALE) -> TakedownRequest:
    """The reviewer claims the queued request and decides every item the same way."""
    request_claim(reviewer=reviewer, request=request)
    for item in request.items.all():
        item_decide(reviewer=reviewer, item=item, action=action, reason_code=reason, rationale=rationale)
    return TakedownRequest.objects.get(pk=request.pk)


def appealed(author, item: RequestItem, statement: str = "My post reports the news; it incites nobody.") -> Appeal:
    """The post's author (a student playing the affected user) appeals the decision on it."""
    return appeal_file(user=author, item=item, statement=statement)


# Ways an account may or may not come to see personal data; the first three do.
PERSONAL_DATA_GRANTS = ("own", "group", "superuser", "none", "other_permission", "inactive")
PERSONAL_DATA_HOLDERS = PERSONAL_DATA_GRANTS[:3]


def personal_data_granted(user, grant: str):
    """``user``, given the permission to see personal data as ``grant`` says, read again (no permission cache)."""
    from django.contrib.auth.models import Group, Permission

    permission = Permission.objects.get(content_type__app_label="reports", codename="view_personal_data")
    if grant in ("own", "inactive"):
        user.user_permissions.add(permission)
    elif grant == "group":
        group = Group.objects.create(name="Readers of personal data")
        group.permissions.add(permission)
        user.groups.add(group)
    elif grant == "other_permission":
        user.user_permissions.add(Permission.objects.get(content_type__app_label="reports",
                                                         codename="view_takedownrequest"))
    if grant in ("inactive", "superuser"):
        user.is_active = grant != "inactive"
        user.is_superuser = grant == "superuser"
        user.save()
    return type(user).objects.get(pk=user.pk)

"""Requests in a given state, built through the same services the portal calls."""

from __future__ import annotations

from pathlib import Path

from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from filing.inputs import CourtOrderInput, ItemInput, RequestInput
from filing.services import request_file
from reports.models import ReporterAccount, TakedownRequest
from review.services import request_screen

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JUSTIFICATION = "The post incites discord between ethnic groups, which article 174 of the Criminal Code prohibits."


def pdf_upload(name: str = "order.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def file_request(reporter: ReporterAccount, *codes: str, **fields) -> TakedownRequest:
    """A complete request, filed and not yet screened."""
    data = {"items": [ItemInput(content_id=code) for code in codes], "category": "hate_speech",
            "legal_basis": ["KZ-CC-174"], "requested_action": "restrict_in_jurisdiction",
            "justification": JUSTIFICATION,
            "court_order": CourtOrderInput("Medeu District Court of Almaty", "2-1187/2021", None), **fields}
    request, created = request_file(reporter=reporter, data=RequestInput(**data))
    assert created
    return request


def screened(request: TakedownRequest) -> TakedownRequest:
    """Run screening now, in this thread (the portal's tests need no worker)."""
    request_screen(request_id=request.pk)
    request.refresh_from_db()
    return request


def stored_evidence_files() -> list[Path]:
    root = Path(storages["evidence"].location)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []

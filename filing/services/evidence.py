"""Evidence: PDF, PNG or JPEG files attached to a request, stored privately under generated names."""

from __future__ import annotations

import hashlib
import re

from django.core.files.base import ContentFile
from django.db import transaction

from audit import events
from filing.services.storing import own_request_locked, require_can_file
from reports import transitions
from reports.errors import InvalidInput
from reports.limits import BYTES_PER_MB, EVIDENCE_MAX_BYTES, EVIDENCE_MAX_MB
from reports.models import Evidence, EvidenceKind, ReporterAccount, Status, TakedownRequest

# Files are recognised by their first bytes, not by their names or the browser's claim.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
EVIDENCE_OPEN_STATES = (Status.DRAFT, Status.SUBMITTED, Status.SCREENING, Status.NEEDS_INFO, Status.QUEUED,
                        Status.IN_REVIEW)


def sniff_file_type(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def evidence_attach(*, reporter: ReporterAccount, request: TakedownRequest, upload,
                    kind: str = EvidenceKind.SUPPORTING) -> Evidence:
    """Store an uploaded PDF, PNG or JPEG (at most EVIDENCE_MAX_MB) privately under a generated name."""
    require_can_file(reporter)
    if kind not in EvidenceKind.values:
        raise InvalidInput({"kind": ["Use supporting or court_order."]})
    size = upload.size or 0
    if size == 0:
        raise InvalidInput({"file": ["The file is empty."]})
    if size > EVIDENCE_MAX_BYTES:
        raise InvalidInput({"file": [f"The file is {size / BYTES_PER_MB:.1f} MB; the limit is {EVIDENCE_MAX_MB} MB."]})
    upload.seek(0)
    data = upload.read()
    sniffed = sniff_file_type(data[:16])
    if sniffed is None:
        raise InvalidInput({"file": ["Only PDF, PNG and JPEG files are accepted; this file is none of them."]})
    content_type, extension = sniffed
    original = re.sub(r"[^\w.\- ]+", "_", (getattr(upload, "name", "") or "evidence").rsplit("/", 1)[-1])[:200]
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        request = own_request_locked(reporter, request)
        if request.status not in EVIDENCE_OPEN_STATES:
            raise transitions.IllegalTransition(f"{request.reference} is decided; evidence can no longer be added.")
        evidence = Evidence(request=request, kind=kind, original_name=original or "evidence",
                            content_type=content_type, size=len(data), sha256=digest, uploaded_by=reporter.user)
        # The stored name is generated: nothing the uploader typed reaches the filesystem.
        evidence.file.save(f"{request.reference}-{digest[:16]}.{extension}", ContentFile(data), save=False)
        evidence.save()
        if request.status != Status.DRAFT:
            events.evidence_added_event(evidence=evidence, actor=reporter.user)
    return evidence

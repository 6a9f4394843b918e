"""Every write a requester makes, for every entry point: the web form, the reporters' API, the bulk API,
``manage.py simulate``. One module per concept; import from here.
"""

from filing.services.accounts import AgencyProposal, reporter_register, reporter_reject, reporter_verify
from filing.services.drafts import draft_add_content, request_draft_save, request_submit
from filing.services.evidence import EVIDENCE_OPEN_STATES, evidence_attach, sniff_file_type
from filing.services.filing import bulk_file_idempotent, request_file, requests_file_bulk
from filing.services.follow_up import (
    MAX_RECONSIDERATIONS,
    RESPONSE_FIELDS,
    may_reconsider,
    request_reconsider,
    request_respond,
    request_withdraw,
)
from filing.services.storing import content_snapshot, snapshot_hash

__all__ = [
    "EVIDENCE_OPEN_STATES", "MAX_RECONSIDERATIONS", "RESPONSE_FIELDS", "AgencyProposal", "bulk_file_idempotent",
    "content_snapshot", "draft_add_content", "evidence_attach", "may_reconsider", "reporter_register",
    "reporter_reject", "reporter_verify", "request_draft_save", "request_file", "request_reconsider",
    "request_respond", "request_submit", "request_withdraw", "requests_file_bulk", "sniff_file_type",
    "snapshot_hash",
]

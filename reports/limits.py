"""Every size limit of the record, once: models, forms, serializers and services import them from here.

A limit shown to a person (a help text, an error) is written from the constant, so that
the page, the API's schema and the database constraint can never disagree.
"""

from __future__ import annotations

BYTES_PER_MB = 1024 * 1024

# A request and what is said about it.
MAX_ITEMS_PER_REQUEST = 500
MAX_PROVISIONS_PER_REQUEST = 20
MAX_JUSTIFICATION_CHARS = 10_000
MAX_MESSAGE_CHARS = 10_000          # answers, reconsiderations, withdrawal reasons, reviewers' questions
MAX_URL_CHARS = 500
MAX_EXTERNAL_ID_CHARS = 100
MAX_COURT_CHARS = 200
MAX_CASE_NUMBER_CHARS = 100
MAX_BULK_REQUESTS = 100             # requests in one bulk call

# Evidence files.
EVIDENCE_MAX_BYTES = 5 * BYTES_PER_MB
EVIDENCE_MAX_MB = EVIDENCE_MAX_BYTES // BYTES_PER_MB
EVIDENCE_CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg")

# Decisions, appeals and notes.
MAX_RATIONALE_CHARS = 5_000         # a reviewer's decision on an item or an appeal
MAX_STATEMENT_CHARS = 5_000         # an affected user's appeal
MAX_NOTE_CHARS = 2_000              # an escalation note
MAX_REASON_CHARS = 2_000            # why a reporter account was rejected

# The simulated platform and the classroom.
MAX_POST_CHARS = 5_000
MAX_EXERCISE_NAME_CHARS = 200
MAX_BRIEF_CHARS = 20_000
MAX_HR_NOTES_CHARS = 2_000

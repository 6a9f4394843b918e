"""The government reporters' web portal: thin views over reports.services and the selectors."""

from portal.views.accounts import LoginView, register
from portal.views.api_access import api_access
from portal.views.dashboard import dashboard
from portal.views.drafts import draft_edit, draft_new, draft_review, draft_submit
from portal.views.platform import platform_feed, platform_notice, platform_notice_receipt, platform_report
from portal.views.public import healthz, landing
from portal.views.requests import (
    evidence_add,
    evidence_download,
    request_detail,
    request_receipt,
    request_reconsider,
    request_respond,
    request_status,
    request_withdraw,
)

__all__ = [
    "LoginView", "api_access", "dashboard", "draft_edit", "draft_new", "draft_review", "draft_submit", "evidence_add",
    "evidence_download",
    "healthz", "landing", "platform_feed", "platform_notice", "platform_notice_receipt",
    "platform_report", "request_receipt", "register", "request_detail",
    "request_reconsider", "request_respond", "request_status", "request_withdraw",
]

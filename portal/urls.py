from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from portal import views

app_name = "portal"

REQUEST = "portal/requests/<str:reference>/"

urlpatterns = [
    path("portal/", views.dashboard, name="dashboard"),
    path("portal/requests/new/", views.draft_new, name="draft-new"),
    path(REQUEST, views.request_detail, name="request-detail"),
    path(REQUEST + "status.json", views.request_status, name="request-status"),
    path(REQUEST + "edit/", views.draft_edit, name="draft-edit"),
    path(REQUEST + "review/", views.draft_review, name="draft-review"),
    path(REQUEST + "submit/", views.draft_submit, name="draft-submit"),
    path(REQUEST + "respond/", views.request_respond, name="request-respond"),
    path(REQUEST + "withdraw/", views.request_withdraw, name="request-withdraw"),
    path(REQUEST + "reconsider/", views.request_reconsider, name="request-reconsider"),
    path(REQUEST + "evidence/", views.evidence_add, name="evidence-add"),
    path(REQUEST + "evidence/<int:evidence_id>/", views.evidence_download, name="evidence-download"),
    path(REQUEST + "receipts/<int:event_id>.tlog-proof", views.request_receipt, name="request-receipt"),
    path("platform/", views.platform_feed, name="platform"),
    path("platform/report/", views.platform_report, name="platform-report"),
    path("platform/notices/<int:item_id>/", views.platform_notice, name="platform-notice"),
    path("platform/notices/<int:item_id>/receipts/<int:event_id>.tlog-proof", views.platform_notice_receipt,
         name="platform-notice-receipt"),
    path("accounts/register/", views.register, name="register"),
    path("accounts/api/", views.api_access, name="api-access"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        success_url=reverse_lazy("portal:password-reset-done")), name="password-reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("portal:password-reset-complete")), name="password-reset-confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
]

from rest_framework import permissions

from reports.roles import is_auditor


class IsAuditor(permissions.BasePermission):
    message = "Only auditors use the auditors' API."

    def has_permission(self, request, view) -> bool:
        return is_auditor(request.user)

from rest_framework import permissions

from reports import roles


class IsAuditor(permissions.BasePermission):
    message = "Only auditors may read the audit trail."

    def has_permission(self, request, view) -> bool:
        return roles.has_role(request.user, roles.AUDITOR)

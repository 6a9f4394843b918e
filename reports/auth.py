"""Authentication with lockout (reports/lockout.py), for the portal's and the admin's log-in forms."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied

from reports import lockout

LOCKED_MESSAGE = (f"Too many failed log-ins. For your security this account is locked for "
                  f"{int(lockout.LOCKOUT.total_seconds() // 60)} minutes; try again later or reset your password.")


class LockoutBackend(ModelBackend):
    """The model backend, refusing to check passwords while a username or address is locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None and lockout.is_locked(username, lockout.client_address(request)):
            # PermissionDenied stops Django trying any other backend.
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockoutFormMixin:
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and lockout.is_locked(username, lockout.client_address(self.request)):
            raise forms.ValidationError(LOCKED_MESSAGE, code="locked")
        return super().clean()


class LoginForm(LockoutFormMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutFormMixin, AdminAuthenticationForm):
    pass

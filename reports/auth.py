"""Authentication: with lockout (reports/lockout.py) for the portal's and the admin's log-in forms; API tokens."""

from __future__ import annotations

from functools import lru_cache

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from reports import lockout, statements, tenancy

LOCKED_MESSAGE = (f"Too many failed log-ins. For your security this account is locked for "
                  f"{int(lockout.LOCKOUT.total_seconds() // 60)} minutes; try again later or reset your password.")


class LockoutBackend(ModelBackend):
    """The model backend, refusing to check passwords while a username or address is locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None and lockout.is_locked(username, lockout.client_address(request)):
            # PermissionDenied stops Django trying any other backend.
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The session's user (every page asks), with a statement written once on PostgreSQL; as Django answers."""
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        model = get_user_model()
        try:
            user_id = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        with statements.server_bound_cursor() as cursor:
            cursor.execute(_user_statement(), [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        (user,) = statements.instances(row, (model,))
        account = tenancy.reporter_account_from(row[len(model._meta.concrete_fields):])
        statements.related_set(user, "reporter_account", account)
        return user if self.user_can_authenticate(user) else None


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


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reading the token and its user with a statement written once on PostgreSQL.

    Every API call authenticates: composing DRF's ``select_related`` query was a tenth of a filing
    call's CPU. The answers are DRF's own, word for word.
    """

    def authenticate_credentials(self, key):
        if connection.vendor != "postgresql":
            return super().authenticate_credentials(key)
        if "\x00" in key:  # no token holds one, and PostgreSQL refuses it in a parameter
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        with statements.server_bound_cursor() as cursor:
            cursor.execute(_token_statement(), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = statements.instances(row, (Token, get_user_model()))
        statements.related_set(token, "user", user)
        statements.related_set(user, "reporter_account", tenancy.reporter_account_from(
            row[len(Token._meta.concrete_fields) + len(user._meta.concrete_fields):]))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token


# The user's reporter account is read with the user (none for staff and auditors): the reporters' API and
# the portal ask for it on every call (reports.tenancy.reporter_account_for).

@lru_cache(maxsize=1)
def _token_statement() -> str:
    table, column, user = statements.table, statements.column, get_user_model()
    account_columns, account_joins = tenancy.reporter_account_joins("u")
    return (f"SELECT {statements.columns(Token, 't')}, {statements.columns(user, 'u')}, {account_columns} "  # noqa: S608
            f"FROM {table(Token)} t JOIN {table(user)} u ON u.{column(user, 'pk')} = t.{column(Token, 'user')} "
            f"{account_joins} WHERE t.{column(Token, 'pk')} = %s")


@lru_cache(maxsize=1)
def _user_statement() -> str:
    user = get_user_model()
    account_columns, account_joins = tenancy.reporter_account_joins("u")
    return (f"SELECT {statements.columns(user, 'u')}, {account_columns} FROM {statements.table(user)} u "  # noqa: S608
            f"{account_joins} WHERE u.{statements.column(user, 'pk')} = %s")

"""Login throttling and lockout.

Five failed log-ins for one username lock it for 15 minutes; a hundred from one address
lock the address (settings LOGIN_FAILURES_PER_USERNAME and LOGIN_FAILURES_PER_ADDRESS: a
whole class often shares one address). Counts live in the cache (Redis when REDIS_URL is set, so every web
process sees them), in fixed windows that start at the first failure. The same limits
apply to everyone: reporters of every agency, reviewers, administrators.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver

LOCKOUT = timedelta(minutes=15)


def _key(kind: str, value: str) -> str:
    # Hashed: usernames and addresses do not sit in the cache in clear.
    return f"login-failures:{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()}"


def client_address(request) -> str:
    """The client's address; behind the TLS proxy (DJANGO_BEHIND_PROXY), the one the proxy appended."""
    if request is None:
        return ""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or ""


def is_locked(username: str, address: str) -> bool:
    counts = cache.get_many([_key("user", username), _key("address", address)])
    return (counts.get(_key("user", username), 0) >= settings.LOGIN_FAILURES_PER_USERNAME
            or (bool(address) and counts.get(_key("address", address), 0) >= settings.LOGIN_FAILURES_PER_ADDRESS))


def _count(key: str) -> None:
    if not cache.add(key, 1, timeout=int(LOCKOUT.total_seconds())):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: start a new window
            cache.add(key, 1, timeout=int(LOCKOUT.total_seconds()))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username") or "")
    if username:
        _count(_key("user", username))
    address = client_address(request)
    if address:
        _count(_key("address", address))


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    cache.delete(_key("user", user.get_username()))

"""Login throttling and lockout.

Five failed log-ins for one username lock it for 15 minutes; twenty from one address
lock the address. Counts live in the cache (Redis when REDIS_URL is set, so every web
process sees them), in fixed windows that start at the first failure. The same limits
apply to everyone: reporters of every agency, reviewers, administrators.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver

FAILURES_PER_USERNAME = 5
FAILURES_PER_ADDRESS = 20
LOCKOUT = timedelta(minutes=15)


def _key(kind: str, value: str) -> str:
    # Hashed: usernames and addresses do not sit in the cache in clear.
    return f"login-failures:{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()}"


def client_address(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


def is_locked(username: str, address: str) -> bool:
    counts = cache.get_many([_key("user", username), _key("address", address)])
    return (counts.get(_key("user", username), 0) >= FAILURES_PER_USERNAME
            or (bool(address) and counts.get(_key("address", address), 0) >= FAILURES_PER_ADDRESS))


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

"""Template filters that put the record's codes into words on every page (portal, classroom, admin)."""

from django import template

from reports.models import Category, Persona
from reports.roles import role_label
from review.vocabulary import (
    action_label,
    choice_label,
    flag_label,
    language_name,
    route_label,
    route_place,
    verdict_label,
)

register = template.Library()


@register.filter
def words(code: str) -> str:
    """A machine code as words, where no label exists: ``opposition_activist`` reads "opposition activist"."""
    return str(code or "").replace("_", " ")


@register.filter
def verdict(value: str, check: str | None = None) -> str:
    """A check's verdict in words; the check's name (``{{ check.verdict|verdict:check.name }}``) picks its wording."""
    return verdict_label(value, check)


@register.filter
def flag(value: str) -> str:
    return flag_label(value)


@register.filter
def role(value: str) -> str:
    return role_label(value)


@register.filter
def route(value: str) -> str:
    """A route's target (a queue, or back to the requester) in words."""
    return route_label(value)


@register.filter
def place(route_: dict) -> str:
    """Where a route sends a request, with its priority: "Local law (priority 3)"."""
    return route_place(route_)


@register.filter
def action(value: str) -> str:
    return action_label(value)


@register.filter
def language(code: str) -> str:
    """``kk`` as "Kazakh"."""
    return language_name(code)


@register.filter
def get(mapping: dict, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def persona(code: str) -> str:
    """A platform account's persona in words (``opposition_activist`` → "Opposition activist")."""
    return choice_label(Persona, code)


@register.filter
def category(code: str) -> str:
    """A reason category in words (``national_security`` → "National security")."""
    return choice_label(Category, code)

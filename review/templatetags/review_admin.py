"""Template filters of the reviewers' admin pages."""

from django import template

register = template.Library()


@register.filter
def words(code) -> str:
    """A machine code as words: ``opposition_activist`` -> ``opposition activist``."""
    return str(code or "").replace("_", " ")

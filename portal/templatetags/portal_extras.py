from django import template

register = template.Library()


@register.filter
def words(code: str) -> str:
    """A machine code as words: ``no_violation`` reads "no violation"."""
    return str(code or "").replace("_", " ")

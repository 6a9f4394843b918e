"""Template filters of the classroom pages."""

from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from classroom.scenarios import scenario_title

register = template.Library()

# CommonMark with raw HTML off: whatever an instructor types as HTML is shown as text, and links to
# anything but http(s), mailto and relative addresses are refused by markdown-it's link check.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable("image")


@register.filter
def markdown(text: str) -> str:
    """A brief written in Markdown, as HTML; safe because the renderer escapes every character of raw HTML."""
    return mark_safe(_MARKDOWN.render(text or ""))  # noqa: S308 (the renderer escapes all typed HTML)


@register.filter(name="scenario_title")
def scenario_title_filter(slug: str) -> str:
    """A scenario's title (``Kazakhstan, November 2021``) where its slug is stored."""
    return scenario_title(slug)

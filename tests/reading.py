"""A page as a person reads it: its visible text, and any workflow code left in it instead of words."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Codes the record keeps (``no_violation``, ``senior_reviewer``, ``provision_concern:KZ-CC-274``) that no
# page should show. Usernames, references and file names are not codes: they are matched out below.
CODE = re.compile(r"(?<![\w@./-])[a-z]+(?:_[a-z0-9]+)+(?::[\w.-]+)?(?![\w@./-])")


class _Text(HTMLParser):
    HIDDEN = {"script", "style", "template", "noscript", "title"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def codes_in(text: str, *, allowed: set[str] = frozenset()) -> set[str]:
    """The workflow codes in a page's visible text (``allowed``: words that only look like codes, e.g. usernames)."""
    return {code for code in CODE.findall(text) if code not in allowed}

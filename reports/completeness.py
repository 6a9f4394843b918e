"""What a complete request states: the one rule that filing, the draft page and screening all apply.

Two tiers, so that an incomplete request is answered rather than lost:

- **to be filed** a request names its items and its reason category; without them nothing is
  stored (the API answers 400, the form shows the fields);
- **to be reviewed** its items resolve to posts, it cites a legal provision or a court order,
  justifies itself and states the scope. A filed request that lacks any of these is sent back
  by the completeness check (``needs_info``) with exactly these parts listed.
"""

from __future__ import annotations

from collections.abc import Iterable

ITEMS_MISSING = "Name at least one item: a content id or a URL."
CATEGORY_MISSING = "Choose the reason category."
LEGAL_BASIS_MISSING = "Cite at least one legal provision, or attach a court order."
SCOPE_MISSING = "State the scope: remove globally, or restrict in your jurisdiction."
DEFAULT_JUSTIFICATION_MIN_CHARS = 40


def missing_to_file(*, item_count: int, category: str) -> dict[str, str]:
    """field -> what to supply before the request can be filed at all."""
    missing = {}
    if not item_count:
        missing["items"] = ITEMS_MISSING
    if not category:
        missing["category"] = CATEGORY_MISSING
    return missing


def justification_missing(min_chars: int) -> str:
    return f"Explain why each item is unlawful or against policy (at least {min_chars} characters)."


def missing_for_review(*, items: Iterable[tuple[int, bool, str]], has_legal_basis: bool, has_court_order: bool,
                       justification_chars: int, requested_action: str,
                       min_justification_chars: int = DEFAULT_JUSTIFICATION_MIN_CHARS) -> list[dict]:
    """The parts a reviewer would need that the request lacks, in the order the requester is told them.

    ``items`` are (position, resolved, url). Each part is ``{"field", "message"}``; ``field`` is the
    input path the answer supplies (``items.0``, ``legal_basis``, ``justification``, ``requested_action``).
    """
    missing: list[dict] = []
    for position, resolved, url in items:
        if not resolved:
            missing.append({"field": f"items.{position - 1}",
                            "message": f"Item {position} ({url}) does not resolve to content on the platform; "
                                       "give the post's URL or content id."})
    if not has_legal_basis and not has_court_order:
        missing.append({"field": "legal_basis", "message": LEGAL_BASIS_MISSING})
    if justification_chars < min_justification_chars:
        missing.append({"field": "justification", "message": justification_missing(min_justification_chars)})
    if not requested_action:
        missing.append({"field": "requested_action", "message": SCOPE_MISSING})
    return missing

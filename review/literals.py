"""What text a policy pattern needs before it can match: a cheap test that rules most patterns out.

Searching a post for each of the community standards' fifty-odd case-insensitive patterns costs
Python's ``re`` about 15–30 µs a pattern on a 200-character post, and no combination of them is
faster (an alternation tries every branch at every position). Most patterns name words, though:
``\\b(burn|torch)\\s+...\\s+down\\b`` cannot match a post that contains neither "burn" nor "torch".
``needs`` reads a compiled pattern's syntax tree and returns such literal strings: groups of
alternatives, one string of each group present in every text the pattern matches. ``fold`` maps a
text and the literals the same way the pattern's case-insensitive matching compares characters
(``re``'s own simple lowercase and its extra case equivalences, such as "ſ" and "s"), so ``present``
is a necessary condition for a match, never a sufficient one: a pattern whose literals are present
is still searched, and a pattern with no known literals (only classes, wildcards, backreferences)
always is. The verdicts are the same with or without this test (tests/review/test_checks.py).
"""

from __future__ import annotations

import _sre
import re
from re import _casefix, _constants, _parser  # the standard library's own regular-expression parser

Needs = tuple[frozenset[str], ...]


def _folded_char(code: int) -> int:
    lower = _sre.unicode_tolower(code)
    # Characters re's case-insensitive matching treats as equal map to one of them.
    return min((lower, *_casefix._EXTRA_CASES.get(lower, ())))


class _FoldTable(dict):
    """``str.translate``'s table for ``fold``, filled per character as texts bring new ones."""

    def __missing__(self, code: int) -> int:
        folded = self[code] = _folded_char(code)
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` with each character replaced by its case-insensitive representative (one for one)."""
    return text.translate(_FOLD)


def needs(pattern: re.Pattern) -> Needs:
    """Groups of folded literals, one of each group present in every text ``pattern`` matches; () if none known."""
    groups = _sequence(_parser.parse(pattern.pattern, pattern.flags))
    return tuple(frozenset(fold(literal) for literal in group) for group in groups)


def present(folded: str, groups: Needs) -> bool:
    """Whether the folded text holds one literal of each group (so the pattern may match; it must still be searched)."""
    return all(any(literal in folded for literal in group) for group in groups)


def _sequence(items) -> list[set[str]]:
    """Every group of alternatives some element of the sequence ``items`` requires (all of them are required)."""
    groups: list[set[str]] = []
    run: list[str] = []
    for op, value in items:
        if op is _constants.LITERAL:
            run.append(chr(value))
            continue
        if run:
            groups.append({"".join(run)})
            run = []
        required = _element(op, value)
        if required is not None:
            groups.append(required)
    if run:
        groups.append({"".join(run)})
    return groups


def _element(op, value) -> set[str] | None:
    """One group of alternatives an element requires, or None when it requires no known literal."""
    if op is _constants.SUBPATTERN:
        return _best(_sequence(value[3]))
    if op is _constants.ATOMIC_GROUP:
        return _best(_sequence(value))
    if op is _constants.BRANCH:
        # Every branch must bring one of its own literals: the union of one group from each.
        options = [_best(_sequence(branch)) for branch in value[1]]
        return None if any(option is None for option in options) else set().union(*options)
    if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT):
        low, _high, inner = value
        return _best(_sequence(inner)) if low >= 1 else None
    # Classes, wildcards, anchors, lookarounds, backreferences, conditionals: nothing known.
    return None


def _best(groups: list[set[str]]) -> set[str] | None:
    """The most telling group: the one whose shortest literal is longest."""
    return max(groups, key=lambda group: min(map(len, group)), default=None)

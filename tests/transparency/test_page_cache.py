"""Pages of the auditors' list kept under their version of the log: in the process's memory, then shared."""

from __future__ import annotations

from django.core.cache import cache

from transparency.page_cache import RECENT_PAGES, RecentAnswers, cached_page


class Renders:
    def __init__(self, page: bytes) -> None:
        self.page, self.calls = page, 0

    def __call__(self) -> bytes:
        self.calls += 1
        return self.page


def test_a_page_is_rendered_once_for_its_key_and_kept_in_both_caches():
    render = Renders(b'{"results":[]}')

    first, again = cached_page("k1", render), cached_page("k1", render)

    assert first == again == b'{"results":[]}'
    assert render.calls == 1
    assert RECENT_PAGES.get("k1") == cache.get("k1") == first


def test_another_process_finds_the_page_in_the_shared_cache():
    cached_page("k2", Renders(b"page"))
    RECENT_PAGES.clear()  # as a process that never served it
    render = Renders(b"other")

    assert cached_page("k2", render) == b"page"
    assert render.calls == 0


def test_a_page_this_process_served_needs_no_shared_cache():
    cached_page("k3", Renders(b"page"))
    cache.clear()
    render = Renders(b"other")

    assert cached_page("k3", render) == b"page"
    assert render.calls == 0


def test_the_least_recently_used_answers_go_first_and_the_total_stays_under_the_bound():
    recent = RecentAnswers(max_bytes=40)
    recent.set("a", b"a" * 10)
    recent.set("b", b"b" * 10)
    recent.set("c", b"c" * 10)
    recent.get("a")  # used again: now the most recent

    recent.set("d", b"d" * 10)
    recent.set("e", b"e" * 10)

    assert recent.get("b") is None
    assert [key for key in "acde" if recent.get(key)] == ["a", "c", "d", "e"]
    recent.set("a", b"a" * 5)  # a new answer for a key replaces the old one's size
    recent.set("f", b"f" * 5)
    assert [key for key in "acdef" if recent.get(key)] == ["a", "c", "d", "e", "f"]


def test_an_answer_larger_than_a_quarter_of_the_bound_is_not_kept():
    recent = RecentAnswers(max_bytes=40)
    recent.set("small", b"s" * 10)

    recent.set("large", b"l" * 11)

    assert recent.get("large") is None
    assert recent.get("small") == b"s" * 10

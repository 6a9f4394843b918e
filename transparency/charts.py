"""Geometry of the transparency page's charts, drawn as inline SVG by the templates.

No JavaScript and no chart library: the server computes each bar's position and size, and
the template writes ``<rect>`` elements with SVG presentation attributes (not CSS) and
classes from audit/static/transparency/transparency.css, which the CSP allows. Every chart has a
table with the same figures next to it, for screen readers and for copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 720
LABEL_WIDTH = 230  # "Regulated goods and services" at 13 px
VALUE_WIDTH = 70
BAR_HEIGHT = 22
BAR_GAP = 8
TOP = 6


@dataclass
class Segment:
    key: str
    label: str
    value: int
    x: float
    width: float


@dataclass
class Bar:
    label: str
    value: int
    y: float
    text_y: float
    width: float
    href: str | None = None
    segments: list[Segment] = field(default_factory=list)
    highlight: bool = False


@dataclass
class Chart:
    title: str
    height: float
    bars: list[Bar]
    legend: list[tuple[str, str]] = field(default_factory=list)
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    plot_width: int = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bar_height: int = BAR_HEIGHT
    value_x: float = WIDTH - VALUE_WIDTH + 8

    @property
    def empty(self) -> bool:
        return not self.bars


def _plot_width() -> int:
    return WIDTH - LABEL_WIDTH - VALUE_WIDTH


def _scale(value: float, largest: float) -> float:
    return round(value / largest * _plot_width(), 1) if largest else 0.0


def _row_y(index: int) -> tuple[float, float]:
    y = TOP + index * (BAR_HEIGHT + BAR_GAP)
    return y, y + BAR_HEIGHT * 0.7


def _height(rows: int) -> float:
    return TOP * 2 + rows * (BAR_HEIGHT + BAR_GAP)


def bar_chart(title: str, rows: list[tuple[str, int, str | None]], *, highlight: str | None = None) -> Chart:
    """Horizontal bars, one per (label, value, link) row, scaled to the largest value.

    The bar labelled ``highlight`` (the period on show, say) is drawn in another colour.
    """
    largest = max((value for _, value, _ in rows), default=0)
    bars = []
    for index, (label, value, href) in enumerate(rows):
        y, text_y = _row_y(index)
        bars.append(Bar(label=label, value=value, y=y, text_y=text_y, width=_scale(value, largest), href=href,
                        highlight=label == highlight))
    return Chart(title=title, height=_height(len(rows)), bars=bars)


def stacked_chart(title: str, keys: list[tuple[str, str]],
                  rows: list[tuple[str, dict[str, int], str | None]]) -> Chart:
    """Horizontal bars split into segments (``keys``: (key, label) in drawing order), scaled to the largest total."""
    totals = [sum(values.get(key, 0) for key, _ in keys) for _, values, _ in rows]
    largest = max(totals, default=0)
    bars = []
    for index, ((label, values, href), total) in enumerate(zip(rows, totals, strict=True)):
        y, text_y = _row_y(index)
        x, segments = float(LABEL_WIDTH), []
        for key, key_label in keys:
            width = _scale(values.get(key, 0), largest)
            if width:
                segments.append(Segment(key=key, label=key_label, value=values.get(key, 0), x=round(x, 1),
                                        width=width))
            x += width
        bars.append(Bar(label=label, value=total, y=y, text_y=text_y, width=_scale(total, largest), href=href,
                        segments=segments))
    return Chart(title=title, height=_height(len(rows)), bars=bars, legend=keys)

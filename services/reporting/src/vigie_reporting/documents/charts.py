"""Charts as inline SVG for printable documents, pure: no I/O, no dependency.

Each chart takes values already published (None for a hidden one) and the text to print for
each, so that what a chart shows is exactly what the document may show: a hidden value is drawn
as an empty dashed box labelled with its text, never with a height. Charts print their values
and carry no axis graduation (a graduation would be a number that is not a figure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family='DejaVu Sans, sans-serif'"


@dataclass(frozen=True)
class Datum:
    """One value of a chart: its label, the value (None: hidden) and the text printed for it."""

    label: str
    value: float | None
    text: str


def bar_chart(
    data: Sequence[Datum],
    *,
    width: int = 640,
    height: int = 200,
    title: str = "",
    colour: str = "#2b6ca3",
    texts: bool = True,
) -> str:
    """Vertical bars, one per datum, its text above it and its label below; `texts=False`
    draws the bars alone (for values printed beside the chart: SVG text is the costliest part
    of a WeasyPrint render, ~7 ms a node)."""
    top, bottom, side = (18, 30, 6) if texts else (4, 2, 0)
    plot = height - top - bottom
    step = (width - 2 * side) / max(1, len(data))
    peak = max((d.value for d in data if d.value is not None), default=0.0) or 1.0
    parts = [_open(width, height, title)]
    for i, datum in enumerate(data):
        x = side + i * step + step * 0.15
        w = step * 0.7
        centre = x + w / 2
        if datum.value is None:
            y: float = top + plot - 12
            parts.append(_rect(x, y, w, 12, fill="none", stroke="#888", dashed=True))
        else:
            h = plot * datum.value / peak
            y = top + plot - h
            parts.append(_rect(x, y, w, h, fill=colour))
        if texts:
            parts.append(_text(centre, y - 4, datum.text, size=9, anchor="middle"))
            parts.append(_text(centre, height - bottom + 13, datum.label, size=8, anchor="middle"))
    parts.append(_line(side, top + plot, width - side, top + plot))
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    data: Sequence[Datum],
    *,
    width: int = 640,
    row: int = 18,
    label_width: int = 300,
    title: str = "",
    colour: str = "#2b6ca3",
) -> str:
    """One row per datum: the label on the left, a bar, its text at the bar's end."""
    height = row * len(data) + 4
    room = width - label_width - 60
    peak = max((d.value for d in data if d.value is not None), default=0.0) or 1.0
    parts = [_open(width, height, title)]
    for i, datum in enumerate(data):
        y = 2 + i * row
        parts.append(_text(label_width - 6, y + row * 0.7, datum.label, size=9, anchor="end"))
        if datum.value is None:
            parts.append(
                _rect(label_width, y + 3, 24, row - 6, fill="none", stroke="#888", dashed=True)
            )
            end: float = label_width + 24
        else:
            w = room * datum.value / peak
            parts.append(_rect(label_width, y + 3, w, row - 6, fill=colour))
            end = label_width + w
        parts.append(_text(end + 4, y + row * 0.7, datum.text, size=9, anchor="start"))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    data: Sequence[Datum],
    *,
    width: int = 640,
    height: int = 160,
    ceiling: float | None = None,
    title: str = "",
    colour: str = "#b5462f",
    texts: bool = True,
    side: int = 20,
) -> str:
    """A line through the data (broken where a value is hidden), each point with its text;
    `ceiling` fixes the top of the scale (e.g. 1 for shares), else the largest value;
    `texts=False` as in `bar_chart`."""
    top, bottom = (18, 30) if texts else (6, 4)
    plot = height - top - bottom
    step = (width - 2 * side) / max(1, len(data))
    shown = [d.value for d in data if d.value is not None]
    peak = ceiling if ceiling is not None else (max(shown, default=0.0) or 1.0)
    parts = [_open(width, height, title)]
    segment: list[tuple[float, float]] = []
    segments: list[list[tuple[float, float]]] = [segment]
    for i, datum in enumerate(data):
        x = side + step * (i + 0.5)
        if texts:
            parts.append(_text(x, height - bottom + 13, datum.label, size=8, anchor="middle"))
        if datum.value is None:
            if texts:
                parts.append(_text(x, top + plot - 4, datum.text, size=9, anchor="middle"))
            segment = []
            segments.append(segment)
            continue
        y = top + plot - plot * min(datum.value, peak) / peak
        segment.append((x, y))
        parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='{colour}'/>")
        if texts:
            parts.append(_text(x, y - 6, datum.text, size=9, anchor="middle"))
    for points in segments:
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='1.5'/>"
            )
    parts.append(_line(side, top + plot, width - side, top + plot))
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    label = f"<title>{escape(title)}</title>" if title else ""
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img'>{label}"
    )


def _rect(
    x: float, y: float, w: float, h: float, *, fill: str, stroke: str = "none", dashed: bool = False
) -> str:
    dash = " stroke-dasharray='3,2'" if dashed else ""
    return (
        f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(w, 0):.1f}' height='{max(h, 0):.1f}' "
        f"fill='{fill}' stroke='{stroke}'{dash}/>"
    )


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='#444'/>"


def _text(x: float, y: float, text: str, *, size: int, anchor: str) -> str:
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' {FONT}>"
        f"{escape(text)}</text>"
    )

"""Maps as inline SVG for printable documents, pure: shapes in longitude/latitude (GeoJSON
order) projected onto the page.

The projection is equirectangular around the shapes' middle latitude (longitudes shrunk by its
cosine): at the scale of a commune or a département it keeps shapes true to within a few per
cent, and needs no library. The drawing fits the shapes' box into the given size, margins kept,
north up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from vigie_reporting.documents.charts import FONT

Point = tuple[float, float]
Ring = Sequence[Point]


@dataclass(frozen=True)
class Outline:
    """An area of reference: its rings and a point inside it for a label (its centroid)."""

    centre: Point
    rings: Sequence[Ring]


@dataclass(frozen=True)
class Style:
    """How a shape is painted (SVG presentation attributes: WeasyPrint does not apply the
    page's CSS inside an inline SVG)."""

    fill: str = "#bbbbbb"
    fill_opacity: float = 0.5
    stroke: str = "#999999"
    stroke_width: float = 0.5

    def attributes(self) -> str:
        """The attributes of a <path>."""
        return (
            f"fill='{escape(self.fill)}' fill-opacity='{self.fill_opacity}' "
            f"stroke='{escape(self.stroke)}' stroke-width='{self.stroke_width}'"
        )


@dataclass(frozen=True)
class Shape:
    """Something to draw: closed rings, their style, an optional short label printed at
    `anchor` (longitude, latitude)."""

    rings: Sequence[Ring]
    style: Style = Style()
    label: str = ""
    anchor: Point | None = None


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude to page coordinates."""

    west: float
    north: float
    scale: float
    shrink: float
    dx: float
    dy: float

    def __call__(self, point: Point) -> Point:
        lon, lat = point
        return (self.dx + (lon - self.west) * self.shrink * self.scale,
                self.dy + (self.north - lat) * self.scale)  # fmt: skip


def fit(rings: Sequence[Ring], *, width: float, height: float, margin: float = 10) -> Projection:
    """The projection that fits these rings into width × height, centred."""
    lons = [lon for ring in rings for lon, _ in ring]
    lats = [lat for ring in rings for _, lat in ring]
    if not lons:
        return Projection(0.0, 0.0, 1.0, 1.0, margin, margin)
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    shrink = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * shrink, 1e-6)
    span_y = max(north - south, 1e-6)
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    dx = (width - span_x * scale) / 2
    dy = (height - span_y * scale) / 2
    return Projection(west, north, scale, shrink, dx, dy)


def path_of(rings: Sequence[Ring], projection: Projection) -> str:
    """An SVG path's `d` for closed rings (even-odd holes work with fill-rule)."""
    parts = []
    for ring in rings:
        points = [projection(p) for p in ring]
        if len(points) < 3:
            continue
        head, *rest = points
        parts.append(f"M{head[0]:.1f} {head[1]:.1f}")
        parts.extend(f"L{x:.1f} {y:.1f}" for x, y in rest)
        parts.append("Z")
    return "".join(parts)


def map_svg(
    shapes: Sequence[Shape],
    *,
    width: int = 640,
    height: int = 420,
    frame: Sequence[Ring] | None = None,
    title: str = "",
) -> str:
    """The shapes drawn in order (later ones on top), fitted to `frame` (default: all shapes)
    with a scale bar; labels last so that no shape hides them."""
    projection = fit(
        frame if frame is not None else [r for s in shapes for r in s.rings],
        width=width,
        height=height,
        margin=14,
    )
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img'>"
    ]
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for shape in shapes:
        d = path_of(shape.rings, projection)
        if d:
            out.append(f"<path {shape.style.attributes()} fill-rule='evenodd' d='{d}'/>")
    for shape in shapes:
        if shape.label and shape.anchor is not None:
            x, y = projection(shape.anchor)
            out.append(
                f"<text x='{x:.1f}' y='{y + 4:.1f}' font-size='11' font-weight='bold' "
                f"text-anchor='middle' fill='#102a43' {FONT}>{escape(shape.label)}</text>"
            )
    out.append(_scale_bar(projection, width=width, height=height))
    out.append("</svg>")
    return "".join(out)


def _scale_bar(projection: Projection, *, width: int, height: int) -> str:
    """A bar of a round length near a fifth of the width, labelled in km or m."""
    metres_per_unit = 111_320 / projection.scale  # one page unit, along a parallel once shrunk
    target = metres_per_unit * width / 5
    length = _round_length(target)
    size = length / metres_per_unit
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    x, y = 14, height - 12
    return (
        f"<line x1='{x}' y1='{y}' x2='{x + size:.1f}' y2='{y}' stroke='#333' stroke-width='2'/>"
        f"<text x='{x}' y='{y - 4}' font-size='9' {FONT}>{label}</text>"
    )


def _round_length(metres: float) -> int:
    """The largest 1, 2 or 5 × 10^n metres not above `metres` (at least 10 m)."""
    best = 10
    for exponent in range(1, 7):
        for lead in (1, 2, 5):
            value = lead * 10**exponent
            if value <= metres:
                best = value
    return best

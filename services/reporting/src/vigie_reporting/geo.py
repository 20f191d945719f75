"""The QPV map of the dashboard: the reference GeoJSON (2.2 MB, 81,000 points) simplified once
per process into a compact document the page projects itself.

Each QPV keeps its rings simplified with Douglas–Peucker (tolerance ≈ 70 m, coordinates rounded
to 5 decimals ≈ 1 m) and a centroid: at national scale the page draws centroids, once zoomed on a
département or a commune it draws the perimeters. The result is reference data only, no
incident figure, so it is served without authentication."""

from __future__ import annotations

import itertools
import json
from functools import cache
from importlib.resources import files
from typing import Any

TOLERANCE_DEG = 0.0007
Point = tuple[float, float]


@cache
def qpv_map_json() -> bytes:
    """The simplified map as JSON bytes: `{"qpvs": [{"id", "c": [lon, lat], "rings": [...]}]}`."""
    raw = json.loads(files("vigie.platform").joinpath("data/qpv_2024.geojson").read_bytes())
    return json.dumps({"qpvs": simplify_features(raw["features"])}, separators=(",", ":")).encode()


def simplify_features(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per QPV code (features of the same code are merged)."""
    rings_by_id: dict[str, list[list[Point]]] = {}
    for feature in features:
        code = feature["properties"]["code_qp"]
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for polygon in polygons:
            outer = [(float(x), float(y)) for x, y, *_ in polygon[0]]
            rings_by_id.setdefault(code, []).append(outer)
    out = []
    for code, rings in sorted(rings_by_id.items()):
        simplified = [simplify_ring(ring, TOLERANCE_DEG) for ring in rings]
        out.append(
            {
                "id": code,
                "c": [round(v, 5) for v in centroid(max(rings, key=len))],
                "rings": [[[round(x, 5), round(y, 5)] for x, y in ring] for ring in simplified],
            }
        )
    return out


def simplify_ring(ring: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker on a closed ring; never fewer than 4 points (a triangle, closed)."""
    if len(ring) <= 4:
        return ring
    keep = _douglas_peucker(ring, tolerance)
    if len(keep) < 4:
        step = max(1, len(ring) // 3)
        keep = [ring[0], ring[step], ring[2 * step], ring[0]]
    return keep


def _douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """Iterative Douglas–Peucker keeping the end points."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, -1
        for i in range(first + 1, last):
            distance = _distance(points[i], points[first], points[last])
            if distance > best:
                best, index = distance, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack.extend([(first, index), (index, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _distance(p: Point, a: Point, b: Point) -> float:
    """Distance from p to the segment ab (in degrees, fine at this scale)."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return float(((px - ax) ** 2 + (py - ay) ** 2) ** 0.5)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return float(((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5)


def centroid(ring: list[Point]) -> Point:
    """Area centroid of a ring (the mean of its points when it is degenerate)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        n = len(ring)
        return (sum(x for x, _ in ring) / n, sum(y for _, y in ring) / n)
    return (cx / (3 * area), cy / (3 * area))

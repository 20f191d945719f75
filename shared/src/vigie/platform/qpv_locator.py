"""Which QPV a point lies in, from the reference perimeters (WGS84 multipolygons). Pure: the
GeoJSON is parsed once into rings with bounding boxes; a look-up tests the few whose box holds
the point with an even-odd ray cast (holes included)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import pairwise
from typing import Any

Ring = list[tuple[float, float]]  # (longitude, latitude) pairs, closed


@dataclass(frozen=True)
class _Area:
    code: str
    box: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: outer ring, then holes


class QpvLocator:
    """Look-ups of points in QPV perimeters."""

    def __init__(self, geojson: str) -> None:
        self._areas = [_area(feature) for feature in json.loads(geojson)["features"]]

    def locate(self, *, lat: float, lon: float) -> str | None:
        """The code of the QPV containing the point, or None when it lies in none."""
        for area in self._areas:
            min_lon, min_lat, max_lon, max_lat = area.box
            if min_lon <= lon <= max_lon and min_lat <= lat <= max_lat:
                for polygon in area.polygons:
                    if _inside(polygon, lon, lat):
                        return area.code
        return None


@cache
def reference_locator() -> QpvLocator:
    """The locator over the perimeters shipped with Vigie, built once per process."""
    return QpvLocator(
        files("vigie.platform").joinpath("data/qpv_2024.geojson").read_text(encoding="utf-8")
    )


def _area(feature: Any) -> _Area:
    geometry, properties = feature["geometry"], feature["properties"]
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        coordinates = [coordinates]
    polygons = tuple(
        tuple([(float(x), float(y)) for x, y, *_ in ring] for ring in polygon)
        for polygon in coordinates
    )
    points = [point for polygon in polygons for point in polygon[0]]
    box = (
        min(p[0] for p in points),
        min(p[1] for p in points),
        max(p[0] for p in points),
        max(p[1] for p in points),
    )
    return _Area(str(properties["code_qp"]), box, polygons)


def _inside(polygon: tuple[Ring, ...], x: float, y: float) -> bool:
    """Even-odd rule over all rings: inside the outer ring and in no hole."""
    inside = False
    for ring in polygon:
        for (x1, y1), (x2, y2) in pairwise(ring):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                inside = not inside
    return inside

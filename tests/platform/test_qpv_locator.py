"""Resolving a point to its QPV from the reference perimeters."""

import json

import pytest

from vigie.platform.qpv_locator import QpvLocator, reference_locator


def square(x0: float, y0: float, size: float) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def test_points_inside_outside_and_in_a_hole() -> None:
    geojson = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code_qp": "QN00001X"},
                    "geometry": {
                        "type": "MultiPolygon",
                        "coordinates": [[square(0, 0, 10), square(4, 4, 2)], [square(20, 0, 1)]],
                    },
                },
                {
                    "type": "Feature",
                    "properties": {"code_qp": "QN00002X"},
                    "geometry": {"type": "Polygon", "coordinates": [square(4.5, 4.5, 1)]},
                },
            ],
        }
    )
    locator = QpvLocator(geojson)
    assert locator.locate(lat=1, lon=1) == "QN00001X"
    assert locator.locate(lat=0.5, lon=20.5) == "QN00001X"  # its second polygon
    assert locator.locate(lat=4.2, lon=4.2) is None  # in the hole
    assert locator.locate(lat=5, lon=5) == "QN00002X"  # an island inside the hole
    assert locator.locate(lat=11, lon=5) is None


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        (48.93781, 2.42913, "QN09302M"),  # Le Bourget
        (45.76367, 4.89724, "QN06901M"),  # Lyon area
        (43.40834, 5.22337, "QN01301M"),  # Bouches-du-Rhône
        (48.8584, 2.2945, None),  # the Eiffel Tower is in no QPV
        (45.0, -30.0, None),  # the Atlantic
    ],
)
def test_reference_perimeters(lat: float, lon: float, code: str | None) -> None:
    assert reference_locator().locate(lat=lat, lon=lon) == code

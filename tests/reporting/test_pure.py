"""Pure logic of reporting: periods, buckets, trend, map simplification, CSV shape, reading
counters.changed.v1 messages."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from vigie.platform.territories import parse_territories, reference_csv
from vigie_reporting.changes import read_messages
from vigie_reporting.csv_export import counts_csv, export_filename
from vigie_reporting.geo import centroid, qpv_map_json, simplify_ring
from vigie_reporting.periods import (
    InvalidPeriod,
    Period,
    bucket_starts,
    resolve_period,
    today_in_paris,
    trend_pct,
)

TODAY = date(2026, 3, 31)


def test_the_default_period_is_the_last_30_days_inclusive() -> None:
    period = resolve_period(None, None, today=TODAY)
    assert period == Period(date(2026, 3, 2), TODAY)
    assert period.days == 30


def test_one_end_gives_a_30_day_period() -> None:
    assert resolve_period(date(2026, 1, 1), None, today=TODAY).end == date(2026, 1, 30)
    assert resolve_period(None, date(2026, 1, 30), today=TODAY).start == date(2026, 1, 1)


def test_a_backwards_or_huge_period_is_refused() -> None:
    with pytest.raises(InvalidPeriod) as backwards:
        resolve_period(date(2026, 2, 1), date(2026, 1, 1), today=TODAY)
    assert backwards.value.field == "from"
    with pytest.raises(InvalidPeriod):
        resolve_period(date(2010, 1, 1), TODAY, today=TODAY)


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    # February is shorter than January: lengths are in days, not months.
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert period.previous() == Period(date(2026, 1, 29), date(2026, 2, 28))
    assert Period(TODAY, TODAY).previous() == Period(date(2026, 3, 30), date(2026, 3, 30))


def test_buckets_cover_the_period_from_their_first_day() -> None:
    period = Period(date(2026, 1, 28), date(2026, 3, 2))
    assert bucket_starts(period, "month") == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    weeks = bucket_starts(period, "week")
    assert weeks[0] == date(2026, 1, 26)  # a Monday
    assert all(w.weekday() == 0 for w in weeks)
    assert weeks[-1] == date(2026, 3, 2)
    assert len(bucket_starts(period, "day")) == period.days
    december = Period(date(2025, 12, 15), date(2026, 1, 10))
    assert bucket_starts(december, "month") == [date(2025, 12, 1), date(2026, 1, 1)]


def test_trend_is_none_without_a_previous_count() -> None:
    assert trend_pct(12, 10) == 20.0
    assert trend_pct(5, 10) == -50.0
    assert trend_pct(3, 0) is None


def test_today_is_the_paris_date() -> None:
    # 23:30 UTC on 31 March is already 1 April in Paris (summer time).
    assert today_in_paris(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == date(2026, 4, 1)


def test_ring_simplification_keeps_a_closed_shape() -> None:
    wiggly = [(i / 1000, (i % 2) / 1_000_000) for i in range(100)] + [(0.05, 0.05), (0.0, 0.0)]
    simplified = simplify_ring(wiggly, 0.0007)
    assert 4 <= len(simplified) < 10
    assert simplified[0] == simplified[-1]
    assert centroid([(0, 0), (2, 0), (2, 2), (0, 2), (0, 0)]) == (1.0, 1.0)


def test_the_map_has_every_reference_qpv_and_is_small() -> None:
    data = qpv_map_json()
    qpvs = {q["id"]: q for q in json.loads(data)["qpvs"]}
    tree = parse_territories(reference_csv())
    reference = {t for t, v in tree.territories.items() if v.kind == "qpv"}
    assert reference <= set(qpvs)
    assert len(data) < 700_000  # from 2.2 MB
    lon, lat = qpvs["QN09337M"]["c"]
    assert 2.3 < lon < 2.4
    assert 48.9 < lat < 49.0


def test_csv_lists_every_place_with_a_column_per_category() -> None:
    places: list[dict[str, Any]] = [
        {"territory_id": "A", "name": "Cité des Fleurs", "kind": "qpv", "departement_code": "93",
         "region_code": "11", "social_dwellings": 2000},
        {"territory_id": "B", "name": "Vide", "kind": "qpv", "departement_code": "93",
         "region_code": "11", "social_dwellings": None},
    ]  # fmt: skip
    counts = [
        {"territory_id": "A", "category": "BIE-TAG", "incidents": 3, "plainte": 1},
        {"territory_id": "A", "category": "PER-PHY", "incidents": 2, "plainte": 2},
    ]
    text = counts_csv(places=places, counts=counts, categories=["BIE-TAG", "PER-PHY"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "territory_id", "name", "kind", "departement_code", "region_code", "social_dwellings",
        "total", "plainte", "rate_per_1000_dwellings", "BIE-TAG", "PER-PHY",
    ]  # fmt: skip
    assert rows[0]["name"] == "Cité des Fleurs"
    assert (rows[0]["total"], rows[0]["plainte"], rows[0]["rate_per_1000_dwellings"]) == (
        "5",
        "3",
        "2.5",
    )
    assert (rows[1]["total"], rows[1]["rate_per_1000_dwellings"]) == ("0", "")
    assert export_filename(kind="qpv", start=TODAY, end=TODAY).endswith("2026-03-31.csv")


def test_counters_changed_messages_give_their_days_once_and_the_latest_commit() -> None:
    first = {
        "version": 1,
        "committed_at": "2026-11-26T01:02:03.456+00:00",
        "changes": [
            {"territory_id": "QN09337M", "days": ["2026-11-20", "2026-11-21"]},
            {"territory_id": "QN00101M", "days": ["2026-11-21"]},
        ],
    }
    later = {
        "version": 1,
        "committed_at": "2026-11-26T01:02:04+00:00",
        "changes": [{"territory_id": "QN09337M", "days": ["2026-11-19"]}],
    }
    heard = read_messages([later, json.dumps(first).encode(), first])  # any order, repeated
    assert heard.days == [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
    assert heard.committed_at == datetime(2026, 11, 26, 1, 2, 4, tzinfo=UTC)
    assert heard.unreadable == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        {"version": 2, "committed_at": "2026-11-26T01:02:03+00:00", "changes": []},
        {"version": 1, "committed_at": "2026-11-26T01:02:03", "changes": []},  # no offset
        {"version": 1, "committed_at": "2026-11-26T01:02:03+00:00", "changes": "all"},
    ],
)
def test_a_message_that_cannot_be_read_is_counted_apart(body: object) -> None:
    heard = read_messages([body])
    assert (heard.days, heard.committed_at, heard.unreadable) == ([], None, 1)

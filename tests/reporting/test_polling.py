"""Polled answers: ETag, If-None-Match → 304 without recomputing, a new tag once new counts
are heard, tags that never cross scopes, and RFC 9110's weak and multiple tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.reporting.conftest import (
    ADMIN_TOKEN,
    BOURG,
    LANDY,
    SEMARD,
    Count,
    Reporting,
    add_counts,
    pairs_of,
)
from tests.reporting.test_rollups import rebuilt_after
from vigie_aggregator.notify import change_messages
from vigie_reporting import repository
from vigie_reporting.changes import read_messages, record
from vigie_reporting.periods import today_in_paris

pytestmark = pytest.mark.connected

TODAY = today_in_paris()
D = TODAY - timedelta(days=2)
SUMMARY = f"/v1/territories/{LANDY}/summary"


async def seed(reporting: Reporting) -> None:
    """A few counts, once the roll-ups' first full build has committed (it moves every tag:
    a full rebuild may bring changes no message announced)."""
    assert await rebuilt_after(reporting.db, None)
    await reporting.add_counts(
        [
            Count(LANDY, D, "BIE-TAG", "hlm-a", 6, plainte=1),
            Count(SEMARD, D, "PER-VER", "hlm-b", 7, plainte=3, target="personnel"),
            Count(BOURG, D, "ENV-DEP", "hlm-a", 9, plainte=9),
        ]
    )


async def get(
    reporting: Reporting,
    path: str,
    *,
    token: str = ADMIN_TOKEN,
    if_none_match: str | None = None,
    **params: Any,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return await reporting.client.get(path, params=params, headers=headers)


async def test_the_same_tag_gets_a_304_with_the_headers_and_no_body(reporting: Reporting) -> None:
    await seed(reporting)
    first = await get(reporting, SUMMARY)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["vary"] == "Authorization"
    again = await get(reporting, SUMMARY, if_none_match=tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert again.headers["cache-control"] == "private, no-cache"
    assert again.headers["vary"] == "Authorization"
    # Without the header, the same answer and the same tag.
    plain = await get(reporting, SUMMARY)
    assert plain.status_code == 200
    assert plain.headers["etag"] == tag
    assert plain.json()["total"] == first.json()["total"] == 6


async def test_a_304_does_not_compute_the_answer(
    reporting: Reporting, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(reporting)
    tag = (await get(reporting, SUMMARY)).headers["etag"]

    async def must_not_run(*_: Any, **__: Any) -> Any:
        raise AssertionError("the answer was computed")

    for name in ("territory", "summary_rows", "timeseries", "complaint_gap", "inside"):
        monkeypatch.setattr(repository, name, must_not_run)
    assert (await get(reporting, SUMMARY, if_none_match=tag)).status_code == 304


async def test_new_counts_heard_on_the_topic_give_a_new_tag_and_the_new_figures(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    before = await get(reporting, SUMMARY)
    tag = before.headers["etag"]
    # The real path: counter rows written, announced on counters.changed.v1, heard by the
    # running app's consumer.
    await reporting.announce_counts([Count(LANDY, D, "BIE-TAG", "hlm-b", 4)])
    after = await get(reporting, SUMMARY, if_none_match=tag)
    assert after.status_code == 200
    assert after.headers["etag"] != tag
    assert after.json()["total"] == before.json()["total"] + 4
    assert (await get(reporting, SUMMARY, if_none_match=after.headers["etag"])).status_code == 304


async def test_a_change_announcing_an_older_commit_still_moves_the_tag(
    reporting: Reporting,
) -> None:
    """Partitions deliver in any order: `as_of` stays on the latest commit heard, the tag must
    move anyway, or a poller would keep figures without the late change."""
    await seed(reporting)
    first = await get(reporting, SUMMARY)
    counts = [Count(LANDY, D, "BIE-TAG", "hlm-c", 5)]
    await add_counts(reporting.db, counts)
    older = datetime.now(UTC) - timedelta(hours=1)
    await record(reporting.db, read_messages(change_messages(pairs_of(counts), committed_at=older)))
    late = await get(reporting, SUMMARY, if_none_match=first.headers["etag"])
    assert late.status_code == 200
    assert late.json()["as_of"] == first.json()["as_of"]
    assert late.json()["total"] == first.json()["total"] + 5


async def test_tags_differ_by_scope_query_and_route(reporting: Reporting) -> None:
    await seed(reporting)
    hlm_a = await reporting.key("landlord", landlord_id="hlm-a")
    hlm_a_again = await reporting.key("landlord", landlord_id="hlm-a")
    hlm_b = await reporting.key("landlord", landlord_id="hlm-b")
    tags = {
        "admin": (await get(reporting, SUMMARY)).headers["etag"],
        "hlm-a": (await get(reporting, SUMMARY, token=hlm_a)).headers["etag"],
        "hlm-b": (await get(reporting, SUMMARY, token=hlm_b)).headers["etag"],
        "period": (await get(reporting, SUMMARY, **{"from": D.isoformat()})).headers["etag"],
        "other territory": (await get(reporting, f"/v1/territories/{SEMARD}/summary")).headers[
            "etag"
        ],
        "timeseries": (await get(reporting, f"/v1/territories/{LANDY}/timeseries")).headers["etag"],
    }
    assert len(set(tags.values())) == len(tags)
    # A tag of one landlord's answer gets the other landlord a full answer, not a 304.
    crossed = await get(reporting, SUMMARY, token=hlm_b, if_none_match=tags["hlm-a"])
    assert crossed.status_code == 200
    assert crossed.json()["total"] == 0
    # Two keys of one landlord read the same figures: they share the tag.
    same = await get(reporting, SUMMARY, token=hlm_a_again, if_none_match=tags["hlm-a"])
    assert same.status_code == 304
    # The query's order does not matter.
    query = f"from={D.isoformat()}&to={TODAY.isoformat()}"
    reverse = f"to={TODAY.isoformat()}&from={D.isoformat()}"
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    one = await reporting.client.get(SUMMARY, params=query, headers=auth)
    other = await reporting.client.get(SUMMARY, params=reverse, headers=auth)
    assert one.headers["etag"] == other.headers["etag"]


async def test_if_none_match_reads_weak_strong_several_and_star_as_rfc_9110_says(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    tag = (await get(reporting, SUMMARY)).headers["etag"]
    opaque = tag.removeprefix("W/")
    for header in (
        tag,
        opaque,  # weak comparison: W/"x" matches "x"
        f'"nope", {tag}',
        f'W/"nope",{opaque} , "other"',
        "*",
    ):
        assert (await get(reporting, SUMMARY, if_none_match=header)).status_code == 304, header
    for header in ('"nope"', 'W/"nope", "other"', "garbage", ""):
        assert (await get(reporting, SUMMARY, if_none_match=header)).status_code == 200, header
    # `*` names a current answer: an unknown territory has none.
    unknown = await get(reporting, "/v1/territories/QN00000X/summary", if_none_match="*")
    assert unknown.status_code == 404


async def test_every_polled_answer_carries_a_tag_and_honours_it(reporting: Reporting) -> None:
    await seed(reporting)
    partner = await reporting.key("partner", territory_ids=["COM-93066"])
    paths = [
        (f"/v1/territories/{LANDY}/summary", ADMIN_TOKEN),
        (f"/v1/territories/{LANDY}/timeseries", ADMIN_TOKEN),
        ("/v1/rankings", ADMIN_TOKEN),
        ("/v1/complaint-gap", ADMIN_TOKEN),
        (f"/v1/territories/{LANDY}/complaint-gap", ADMIN_TOKEN),
        (f"/v1/shared/territories/{LANDY}/summary", partner),
        (f"/v1/shared/territories/{LANDY}/complaint-gap", partner),
        (f"/v1/shared/territories/{LANDY}/timeseries", partner),
        ("/v1/shared/rankings", partner),
    ]
    for path, token in paths:
        first = await get(reporting, path, token=token)
        assert first.status_code == 200, path
        again = await get(reporting, path, token=token, if_none_match=first.headers["etag"])
        assert again.status_code == 304, path
    # Access is decided before any tag is compared: a partner outside its territories gets
    # its 403 whatever it sends.
    tag = (await get(reporting, f"/v1/shared/territories/{LANDY}/summary", token=partner)).headers[
        "etag"
    ]
    elsewhere = await get(
        reporting, f"/v1/shared/territories/{BOURG}/summary", token=partner, if_none_match="*"
    )
    assert elsewhere.status_code == 403
    assert tag


async def test_a_change_elsewhere_keeps_the_tag_and_moves_those_above_it(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    paths = {
        "landy": SUMMARY,
        "saint-denis": "/v1/territories/COM-93066/summary",
        "france": "/v1/territories/FR/summary",
        "ain": "/v1/territories/DEP-01/summary",
    }
    tags = {name: (await get(reporting, path)).headers["etag"] for name, path in paths.items()}
    # Sémard is in Saint-Denis, as Landy is, but is not Landy.
    await reporting.announce_counts([Count(SEMARD, D, "BIE-TAG", "hlm-a", 3)])
    status = {
        name: (await get(reporting, path, if_none_match=tags[name])).status_code
        for name, path in paths.items()
    }
    assert status == {"landy": 304, "saint-denis": 200, "france": 200, "ain": 304}


async def test_an_answer_on_several_territories_moves_with_any_of_them(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    partner = await reporting.key("partner", territory_ids=[LANDY, BOURG])
    first = await get(reporting, "/v1/shared/rankings", token=partner)
    assert first.status_code == 200
    tag = first.headers["etag"]
    await reporting.announce_counts([Count(SEMARD, D, "BIE-TAG", "hlm-a", 3)])  # neither
    assert (
        await get(reporting, "/v1/shared/rankings", token=partner, if_none_match=tag)
    ).status_code == 304
    await reporting.announce_counts([Count(BOURG, D, "BIE-TAG", "hlm-a", 3)])
    moved = await get(reporting, "/v1/shared/rankings", token=partner, if_none_match=tag)
    assert moved.status_code == 200
    assert moved.headers["etag"] != tag

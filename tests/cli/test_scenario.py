"""The demo scenario: deterministic, valid by the contract, and shaped like a real incident log."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.support.cli import NOW
from vigie.contract.events import IncidentState, IncidentWithdrawn, validate_event
from vigie.contract.nomenclature import default_nomenclature
from vigie.contract.privacy import EMAIL_MASK, PHONE_MASK
from vigie.platform.territories import Territory
from vigie_cli.demo.catalogue import PROFILES, SURGE_CATEGORIES
from vigie_cli.demo.landlords import DEMO_LANDLORDS
from vigie_cli.demo.scenario import Posting, Scenario


@pytest.fixture(scope="module")
def scenario(reference_territories: list[Territory]) -> Scenario:
    """The scenario the `history` fixture draws from."""
    return Scenario(seed=7, territories=reference_territories)


@pytest.fixture(scope="module")
def history(scenario: Scenario) -> list[Posting]:
    """A 90-day history and an hour of live events from one seed."""
    past = scenario.history(count=6000, now=NOW, days=90)
    return past + [scenario.next(now=NOW) for _ in range(1500)]


def test_same_seed_same_events(reference_territories: list[Territory]) -> None:
    first = Scenario(seed=42, territories=reference_territories)
    second = Scenario(seed=42, territories=reference_territories)
    assert first.history(count=300, now=NOW) == second.history(count=300, now=NOW)
    assert [first.next(now=NOW) for _ in range(50)] == [second.next(now=NOW) for _ in range(50)]


def test_other_seed_other_events(reference_territories: list[Territory]) -> None:
    first = Scenario(seed=1, territories=reference_territories).history(count=50, now=NOW)
    second = Scenario(seed=2, territories=reference_territories).history(count=50, now=NOW)
    assert {p.event["event_id"] for p in first}.isdisjoint(p.event["event_id"] for p in second)


def test_every_event_validates(history: list[Posting]) -> None:
    for posting in history:
        event = validate_event(posting.event, now=NOW)
        assert event.landlord_id == posting.landlord_id


def test_times_are_past_and_recent(history: list[Posting]) -> None:
    times = [
        datetime.fromisoformat(p.event["occurred_at"]) for p in history if "occurred_at" in p.event
    ]
    assert all(t.utcoffset() is not None for t in times)
    assert max(times) <= NOW
    assert min(times) >= NOW - timedelta(days=91)
    # Both old history and the last hours are there: the dashboard gets trends and a today.
    assert sum(t < NOW - timedelta(days=60) for t in times) > 500
    assert sum(t > NOW - timedelta(hours=6) for t in times) > 200


def test_categories_have_the_intended_shape(history: list[Posting]) -> None:
    reports = [p.event for p in history if p.kind == "reported"]
    categories = Counter(e["category"] for e in reports)
    assert {c for c, _ in categories.most_common(2)} == {"ENV-DEP", "BIE-TAG"}
    assert categories["PER-PHY"] < 0.02 * len(reports)
    assert set(categories) == default_nomenclature().category_codes()
    domains = Counter(default_nomenclature().domain_of(c) for c in categories.elements())
    assert domains["cadre_de_vie"] > domains["prevention_insecurite"] > 0


def test_complaints_are_much_rarer_than_incidents(history: list[Posting]) -> None:
    reports = [p.event for p in history if p.kind == "reported"]
    complaints = Counter(e["complaint"] for e in reports)
    assert 0.03 * len(reports) < complaints["plainte"] < 0.15 * len(reports)
    physical = [e for e in reports if e["category"] == "PER-PHY"]
    tags = [e for e in reports if e["category"] == "BIE-TAG"]
    # A physical aggression leads to a complaint far more often than a tag.
    assert _share(physical, "plainte") > 3 * _share(tags, "plainte")


def _description(event: IncidentState | IncidentWithdrawn) -> str:
    assert isinstance(event, IncidentState)
    return event.description or ""


def _share(events: list[dict[str, object]], complaint: str) -> float:
    return sum(e["complaint"] == complaint for e in events) / max(1, len(events))


def test_costs_only_where_something_is_damaged(history: list[Posting]) -> None:
    costed = {p.code for p in PROFILES if p.cost_eur is not None}
    reports = [p.event for p in history if p.kind == "reported"]
    assert all(e["category"] in costed for e in reports if "cost_eur" in e)
    assert all(e["cost_eur"] >= 0 for e in reports if "cost_eur" in e)
    assert sum("cost_eur" in e for e in reports) > 0.3 * len(reports)


def test_mix_of_reports_corrections_withdrawals_and_resends(history: list[Posting]) -> None:
    kinds = Counter(p.kind for p in history)
    assert 0.03 < kinds["corrected"] / len(history) < 0.07
    assert 0.003 < kinds["withdrawn"] / len(history) < 0.02
    assert 0.01 < kinds["resend"] / len(history) < 0.04


def test_corrections_and_withdrawals_raise_the_revision(history: list[Posting]) -> None:
    last: dict[tuple[str, str], int] = {}
    withdrawn: set[tuple[str, str]] = set()
    for posting in history:
        if posting.kind == "resend":
            continue
        key = (posting.landlord_id, posting.event["incident_id"])
        revision = posting.event["revision"]
        assert key not in withdrawn, "nothing follows a withdrawal"
        if posting.kind == "reported":
            assert key not in last
            assert revision == 1
        else:
            assert revision == last[key] + 1
        last[key] = revision
        if posting.kind == "withdrawn":
            withdrawn.add(key)


def test_corrections_change_the_state(history: list[Posting]) -> None:
    state: dict[tuple[str, str], dict[str, object]] = {}
    changed = 0
    corrections = 0
    for posting in history:
        key = (posting.landlord_id, posting.event["incident_id"])
        if posting.kind == "corrected":
            corrections += 1
            before = {
                k: v for k, v in state[key].items() if k not in ("event_id", "type", "revision")
            }
            after = {
                k: v for k, v in posting.event.items() if k not in ("event_id", "type", "revision")
            }
            changed += before != after
            assert after["territory_id"] == before["territory_id"]
        if posting.kind in ("reported", "corrected"):
            state[key] = posting.event
    # A correction may redraw the same value (a category fixed to itself), rarely.
    assert changed > 0.7 * corrections


def test_resends_repeat_an_earlier_event_exactly(history: list[Posting]) -> None:
    seen: dict[str, dict[str, object]] = {}
    for posting in history:
        if posting.kind == "resend":
            assert seen[posting.event["event_id"]] == posting.event
        else:
            assert posting.event["event_id"] not in seen
            seen[posting.event["event_id"]] = posting.event


def test_landlords_post_in_their_own_qpvs(
    history: list[Posting], reference_territories: list[Territory]
) -> None:
    departement = {t.territory_id: t.departement_code for t in reference_territories}
    landlords = {landlord.landlord_id: landlord for landlord in DEMO_LANDLORDS}
    qpvs = set()
    for posting in history:
        territory = posting.event["territory_id"]
        assert departement[territory] in landlords[posting.landlord_id].departements
        qpvs.add(territory)
    assert 25 <= len(qpvs) <= 60
    assert len({departement[q] for q in qpvs}) >= 5
    assert {p.landlord_id for p in history} == set(landlords)


def test_incident_ids_are_unique_per_landlord(history: list[Posting]) -> None:
    reports = [(p.landlord_id, p.event["incident_id"]) for p in history if p.kind == "reported"]
    assert len(reports) == len(set(reports))
    assert all(1 <= len(incident_id) <= 64 for _, incident_id in reports)


def test_some_descriptions_carry_contacts_that_intake_masks(history: list[Posting]) -> None:
    with_contact = [
        p.event
        for p in history
        if "@" in p.event.get("description", "") or "+33" in p.event.get("description", "")
    ]
    assert with_contact
    masked = [_description(validate_event(e, now=NOW)) for e in with_contact]
    assert all(EMAIL_MASK in text or PHONE_MASK in text for text in masked)
    assert not any("@" in text for text in masked)


def test_only_available_territories(reference_territories: list[Territory]) -> None:
    available = frozenset({"QN09328M", "QN01332M"})
    scenario = Scenario(seed=3, territories=reference_territories, available=available)
    assert {s.territory_id for s in scenario.sites} == available
    assert {p.event["territory_id"] for p in scenario.history(count=100, now=NOW)} <= available
    with pytest.raises(ValueError, match="no QPV"):
        Scenario(seed=3, territories=reference_territories, available=frozenset({"QN00101M"}))


def test_event_ids_depend_on_the_seed_only(reference_territories: list[Territory]) -> None:
    first = Scenario(seed=8, territories=reference_territories)
    second = Scenario(seed=8, territories=reference_territories)
    later = NOW + timedelta(days=3, hours=5)
    assert [first.next(now=NOW).event["event_id"] for _ in range(300)] == [
        second.next(now=later).event["event_id"] for _ in range(300)
    ]


def test_hotspots_flare_up_in_the_last_weeks(scenario: Scenario, history: list[Posting]) -> None:
    hotspots = {(s.landlord_id, s.territory_id) for s in scenario.sites if s.hotspot}
    assert hotspots
    recent_start = NOW - timedelta(days=21)
    surge: dict[bool, Counter[bool]] = {True: Counter(), False: Counter()}
    for posting in history:
        event = posting.event
        if posting.kind == "reported" and (posting.landlord_id, event["territory_id"]) in hotspots:
            recent = datetime.fromisoformat(event["occurred_at"]) >= recent_start
            surge[recent][event["category"] in SURGE_CATEGORIES] += 1
    recent_share = surge[True][True] / surge[True].total()
    older_share = surge[False][True] / surge[False].total()
    assert recent_share > 1.5 * older_share


def test_history_has_no_hole_before_now(history: list[Posting]) -> None:
    days: Counter[int] = Counter(
        (NOW - datetime.fromisoformat(p.event["occurred_at"])).days
        for p in history[:6000]
        if p.kind == "reported"
    )
    mean = sum(days[d] for d in range(1, 89)) / 88
    # Each of the last days holds about its share: none nearly empty, none doubled.
    assert all(0.5 * mean < days[d] < 1.6 * mean for d in range(8)), [days[d] for d in range(8)]


def test_a_later_stream_is_the_same_world_with_other_ids(
    reference_territories: list[Territory],
) -> None:
    history = Scenario(seed=4, territories=reference_territories)
    live = Scenario(seed=4, stream=1, territories=reference_territories)
    again = Scenario(seed=4, stream=1, territories=reference_territories)
    assert live.sites == history.sites
    past = history.history(count=500, now=NOW)
    later = [live.next(now=NOW) for _ in range(500)]
    assert later == [again.next(now=NOW) for _ in range(500)]
    assert {p.event["event_id"] for p in past}.isdisjoint(p.event["event_id"] for p in later)
    incidents = {p.event["incident_id"] for p in past}
    assert incidents.isdisjoint(p.event["incident_id"] for p in later)

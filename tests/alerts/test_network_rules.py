"""The pure rules of the referents' network: who sees a referent or a partner contact (the
territory overlap both ways), and the follow-up of a signalement (forward only)."""

from __future__ import annotations

import pytest

from vigie.platform.auth import Principal, Role
from vigie_alerts.directory_access import (
    may_manage_referent,
    may_see_partner_contact,
    may_see_referent,
    overlaps,
)
from vigie_alerts.mobilisations.states import after_receipt, refusal

ANCESTORS = {
    "QPV-1": frozenset({"QPV-1", "COM-1", "DEP-1"}),
    "QPV-2": frozenset({"QPV-2", "COM-2", "DEP-1"}),
    "COM-1": frozenset({"COM-1", "DEP-1"}),
    "COM-2": frozenset({"COM-2", "DEP-1"}),
    "DEP-1": frozenset({"DEP-1"}),
    "DEP-2": frozenset({"DEP-2"}),
}


def ancestors(territory_id: str) -> frozenset[str]:
    return ANCESTORS.get(territory_id, frozenset({territory_id}))


def key(role: Role, *territories: str, landlord_id: str | None = None) -> Principal:
    return Principal(
        key_id=f"{role}-key",
        role=role,
        landlord_id=landlord_id,
        territory_ids=frozenset(territories),
    )


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        (["DEP-1"], ["QPV-1"], True),  # mine contains theirs
        (["QPV-1"], ["COM-1"], True),  # theirs contains mine
        (["QPV-1"], ["QPV-1"], True),
        (["QPV-1"], ["QPV-2"], False),  # siblings
        (["COM-1"], ["COM-2"], False),
        (["DEP-2"], ["QPV-1", "COM-2"], False),
        (["DEP-2", "QPV-2"], ["COM-2"], True),
    ],
)
def test_overlap_is_above_or_below(mine: list[str], theirs: list[str], expected: bool) -> None:
    assert overlaps(mine, theirs, ancestors) is expected


def test_referents_access_matrix() -> None:
    def sees(principal: Principal) -> bool:
        return may_see_referent(
            principal, landlord_id="a", territory_ids=["COM-1"], ancestors=ancestors
        )

    assert sees(key("admin"))
    assert sees(key("landlord", landlord_id="a"))
    assert not sees(key("landlord", landlord_id="b"))
    assert sees(key("manager", "QPV-1"))
    assert sees(key("manager", "DEP-1"))
    assert sees(key("manager"))  # a manager of every territory
    assert not sees(key("manager", "QPV-2"))
    assert not sees(key("manager", "QPV-1", landlord_id="b"))
    assert sees(key("manager", "QPV-1", landlord_id="a"))
    assert not sees(key("partner", "DEP-1"))
    assert may_manage_referent(key("admin"), "a")
    assert may_manage_referent(key("landlord", landlord_id="a"), "a")
    assert not may_manage_referent(key("landlord", landlord_id="a"), "b")
    assert not may_manage_referent(key("manager", landlord_id="a"), "a")


def test_partner_contacts_access_matrix() -> None:
    def sees(principal: Principal) -> bool:
        return may_see_partner_contact(principal, territory_ids=["COM-1"], ancestors=ancestors)

    assert sees(key("admin"))
    assert sees(key("manager", "QPV-1"))
    assert not sees(key("manager", "COM-2"))
    assert not sees(key("landlord", landlord_id="a"))
    assert not sees(key("partner", "COM-1"))


def test_the_follow_up_only_moves_forward() -> None:
    assert refusal("sent", "taken_up") is None
    assert refusal("received", "closed") is None  # a step may be skipped
    assert refusal("taken_up", "action_under_way") is None
    assert refusal("taken_up", "taken_up") is not None
    assert refusal("action_under_way", "taken_up") is not None
    assert refusal("closed", "closed") == "the mobilisation is closed"
    assert refusal("sent", "received") is not None  # only a contact's link records it
    assert after_receipt("sent") == "received"
    assert after_receipt("taken_up") == "taken_up"  # a late receipt leaves the state
    assert after_receipt("closed") == "closed"

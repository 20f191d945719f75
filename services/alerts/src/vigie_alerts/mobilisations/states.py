"""The follow-up of a signalement, pure: sent → received → taken_up → action_under_way →
closed. `received` comes from a contact's acknowledgement link (each contact once); the others
are recorded by a manager, forward only (a step may be skipped: a partner may call back without
clicking), and nothing follows `closed`."""

from __future__ import annotations

from typing import Literal, TypeAlias

State: TypeAlias = Literal["sent", "received", "taken_up", "action_under_way", "closed"]
STATES: tuple[State, ...] = ("sent", "received", "taken_up", "action_under_way", "closed")
_RANKS: dict[str, int] = {state: rank for rank, state in enumerate(STATES)}
ManagerState: TypeAlias = Literal["taken_up", "action_under_way", "closed"]

LABELS: dict[str, str] = {
    "sent": "envoyé",
    "received": "reçu",
    "taken_up": "pris en charge",
    "action_under_way": "action en cours",
    "closed": "clos",
}


def rank(state: str) -> int:
    """A state's place in the follow-up."""
    return _RANKS[state]


def refusal(current: str, new: str) -> str | None:
    """Why a manager may not record `new` after `current` (None: it may)."""
    if current == "closed":
        return "the mobilisation is closed"
    if new not in ("taken_up", "action_under_way", "closed"):
        return f"state {new}: a manager records taken_up, action_under_way or closed"
    if rank(new) <= rank(current):
        return f"the mobilisation is already {current}: the follow-up only moves forward"
    return None


def after_receipt(current: str) -> str:
    """The mobilisation's state once a contact acknowledged it: the first receipt moves a sent
    one to received, later ones leave it where it is."""
    return "received" if current == "sent" else current

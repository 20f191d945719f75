"""The demo feed's events, drawn from a seeded random generator: the same seed and the same
`now` give the same events, and the same seed alone gives the same event ids in the same order
(`now` shifts times and weights, never the number of draws). The seed fixes the world (sites,
hot spots) and its history (stream 0); each later stream of live events draws other event and
incident ids in the same world. Pure: no I/O, no clock."""

from __future__ import annotations

import random
import string
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import accumulate
from typing import Any, Literal
from zoneinfo import ZoneInfo

from vigie.contract.events import COMPLAINTS, CORRECTED, REPORTED, WITHDRAWN
from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.territories import Territory
from vigie_cli.demo.catalogue import (
    CONTACT_SUFFIXES,
    HOUR_WEIGHTS,
    PLACES,
    PROFILES,
    SURGE_CATEGORIES,
    WEEKDAY_WEIGHTS,
    CategoryProfile,
)
from vigie_cli.demo.landlords import DEMO_LANDLORDS, DemoLandlord, choose_sites

Kind = Literal["reported", "corrected", "withdrawn", "resend"]

PARIS = ZoneInfo("Europe/Paris")
CORRECTION_SHARE = 0.05
WITHDRAWAL_SHARE = 0.01
RESEND_SHARE = 0.02
CONTACT_SHARE = 0.04
SURGE_DAYS = 21  # hotspots flare up over the last three weeks, worse every day
SURGE_FACTOR = 5.0  # at its height, surge categories this much more frequent on a hot site…
HOT_SITE_FACTOR = 5.0  # …and the site this much busier
MIN_AGE = timedelta(minutes=1)  # never in the future, whatever the clocks say
OPEN_LIMIT = 5000  # incidents remembered for later corrections and withdrawals
SENT_LIMIT = 500  # events remembered for re-sends


@dataclass(frozen=True)
class Posting:
    """One event a landlord system sends, and why."""

    landlord_id: str
    kind: Kind
    event: dict[str, Any]


class Scenario:
    """Reports, corrections, withdrawals and retries of the demo landlords."""

    def __init__(
        self,
        *,
        seed: int,
        stream: int = 0,
        territories: Iterable[Territory],
        landlords: Sequence[DemoLandlord] = DEMO_LANDLORDS,
        available: frozenset[str] | None = None,
        tz: tzinfo = PARIS,
    ) -> None:
        self.rng = random.Random(seed)
        self.tz = tz
        self.landlords = {landlord.landlord_id: landlord for landlord in landlords}
        self.sites = choose_sites(
            territories, rng=self.rng, landlords=landlords, available=available
        )
        if not self.sites:
            raise ValueError("no QPV of the demo landlords' départements is known")
        if stream:
            # The same world, other events: a restarted feed never repeats an id it sent before.
            self.rng = random.Random(f"vigie-demo:{seed}:{stream}")
        code = "".join(self.rng.choices(string.ascii_uppercase + string.digits, k=4))
        self.run_code = f"{code}-{stream}" if stream else code
        self._sequence: dict[str, int] = {}
        self._open: list[dict[str, Any]] = []
        self._sent: deque[Posting] = deque(maxlen=SENT_LIMIT)
        self._weights = list(accumulate(s.weight for s in self.sites))
        codes = default_nomenclature().category_codes()
        self._profiles = [p for p in PROFILES if p.code in codes]
        self._domain = {p.code: default_nomenclature().domain_of(p.code) for p in self._profiles}

    def history(self, *, count: int, now: datetime, days: int = 90) -> list[Posting]:
        """`count` events of the past `days` days, oldest incidents first, with their
        corrections, withdrawals and re-sends among them."""
        times = sorted(self._past_times(count, now=now, days=days))
        # Step i gets the i-th time, used only if it draws a new report: follow-ups leave a few
        # times unused all along the period (taking the next unused one instead left the newest
        # ~8 % of the times, the last days, empty).
        return [self._step(_constant(moment), now=now) for moment in times]

    def next(self, *, now: datetime) -> Posting:
        """The next live event: an incident of the last hours or days, or a follow-up."""
        return self._step(lambda: self._recent_time(now), now=now)

    def _step(self, when: Callable[[], datetime], *, now: datetime) -> Posting:
        """One posting: a follow-up of a known incident, a re-send, or a new report."""
        draw = self.rng.random()
        if self._open and draw < CORRECTION_SHARE:
            posting = self._correction()
        elif self._open and draw < CORRECTION_SHARE + WITHDRAWAL_SHARE:
            posting = self._withdrawal()
        elif self._sent and draw < CORRECTION_SHARE + WITHDRAWAL_SHARE + RESEND_SHARE:
            original = self.rng.choice(self._sent)
            return Posting(original.landlord_id, "resend", original.event)
        else:
            posting = self._report(when(), now=now)
        self._sent.append(posting)
        return posting

    def _report(self, occurred_at: datetime, *, now: datetime) -> Posting:
        """A new incident, in a site drawn by weight, of a category drawn by profile."""
        # 0 until SURGE_DAYS ago, then rising to 1 now: the last week stands out the most.
        surge = max(0.0, 1 - (now - occurred_at) / timedelta(days=SURGE_DAYS))
        weights = self._weights
        if surge:
            hot = 1 + (HOT_SITE_FACTOR - 1) * surge
            weights = list(accumulate(s.weight * (hot if s.hotspot else 1) for s in self.sites))
        site = self.rng.choices(self.sites, cum_weights=weights)[0]
        profile = self._category(surge=surge if site.hotspot else 0.0)
        landlord = self.landlords[site.landlord_id]
        sequence = self._sequence.get(landlord.landlord_id, 0) + 1
        self._sequence[landlord.landlord_id] = sequence
        event: dict[str, Any] = {
            "event_id": self._uuid(),
            "type": REPORTED,
            "incident_id": f"{landlord.prefix}-{self.run_code}-{sequence:06d}",
            "revision": 1,
            "landlord_id": landlord.landlord_id,
            "territory_id": site.territory_id,
            "category": profile.code,
            "occurred_at": occurred_at.astimezone(self.tz).isoformat(timespec="seconds"),
            "severity": self._pick(range(1, 5), profile.severities),
            "target": self._pick(profile.targets, profile.targets.values()),
            "complaint": self._pick(COMPLAINTS, profile.complaints),
        }
        if self.rng.random() < 0.9:
            event["residence_id"] = self.rng.choice(site.residences)
        cost = self._cost(profile)
        if cost is not None:
            event["cost_eur"] = cost
        if self.rng.random() < 0.85:
            event["description"] = self._description(profile)
        self._remember(event)
        return Posting(landlord.landlord_id, "reported", event)

    def _correction(self) -> Posting:
        """The whole new state, one revision up: a complaint filed since, a reassessed severity,
        a repair quote, or a category fixed within the same domain."""
        index = self.rng.randrange(len(self._open))
        state = dict(self._open[index])
        state.update(event_id=self._uuid(), type=CORRECTED, revision=state["revision"] + 1)
        change = self.rng.choice(("complaint", "severity", "cost", "category"))
        if change == "complaint":
            state["complaint"] = self.rng.choice(("plainte", "main_courante"))
        elif change == "severity":
            state["severity"] = min(4, max(1, state["severity"] + self.rng.choice((-1, 1))))
        elif change == "cost":
            state["cost_eur"] = round(self.rng.uniform(50, 5000), 2)
        else:
            domain = self._domain[state["category"]]
            same = [code for code, d in self._domain.items() if d == domain]
            state["category"] = self.rng.choice(same)
        self._open[index] = state
        return Posting(state["landlord_id"], "corrected", state)

    def _withdrawal(self) -> Posting:
        """An incident withdrawn one revision up; it is not corrected afterwards."""
        index = self.rng.randrange(len(self._open))
        state = self._open.pop(index)
        event = {
            "event_id": self._uuid(),
            "type": WITHDRAWN,
            "incident_id": state["incident_id"],
            "revision": state["revision"] + 1,
            "landlord_id": state["landlord_id"],
            "territory_id": state["territory_id"],
        }
        return Posting(state["landlord_id"], "withdrawn", event)

    def _remember(self, event: dict[str, Any]) -> None:
        """Keep a state for later follow-ups, the most recent OPEN_LIMIT only."""
        self._open.append(event)
        if len(self._open) > OPEN_LIMIT:
            del self._open[: len(self._open) - OPEN_LIMIT]

    def _category(self, *, surge: float) -> CategoryProfile:
        """A category by frequency; on a hot site lately, the surge categories more."""
        boost = 1 + (SURGE_FACTOR - 1) * surge
        weights = [
            p.weight * (boost if p.code in SURGE_CATEGORIES else 1.0) for p in self._profiles
        ]
        return self.rng.choices(self._profiles, weights=weights)[0]

    def _cost(self, profile: CategoryProfile) -> float | None:
        """A repair cost for the costed categories, most of the time."""
        if profile.cost_eur is None or self.rng.random() < 0.3:
            return None
        typical, high = profile.cost_eur
        return round(min(high, self.rng.lognormvariate(0.0, 0.6) * typical), 2)

    def _description(self, profile: CategoryProfile) -> str:
        """A gardien's sentence, now and then with a contact that intake masks."""
        text = self.rng.choice(profile.texts).format(place=self.rng.choice(PLACES))
        if self.rng.random() < CONTACT_SHARE:
            digits = {k: self.rng.randint(10, 99) for k in "abcd"}
            text += self.rng.choice(CONTACT_SUFFIXES).format(**digits)
        return text

    def _past_times(self, count: int, *, now: datetime, days: int) -> list[datetime]:
        """Times over the past days: a slight upward trend, busier week-ends and evenings."""
        local_now = now.astimezone(self.tz)
        day_weights = [
            (1.0 + 0.4 * (1 - d / days))
            * WEEKDAY_WEIGHTS[(local_now - timedelta(days=d)).weekday()]
            for d in range(days)
        ]
        ago = self.rng.choices(range(days), weights=day_weights, k=count)
        hours = self.rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        latest = now - MIN_AGE
        result = []
        for day, hour in zip(ago, hours, strict=True):
            date = (local_now - timedelta(days=day)).date()
            naive = datetime(date.year, date.month, date.day, hour, self.rng.randrange(60))
            moment = naive.replace(tzinfo=self.tz, second=self.rng.randrange(60))
            if moment > latest:
                # Later today: to the same hour `days` days back, the part of that day the
                # period covers (moved to the day before, it gave that day twice its share).
                moment -= timedelta(days=days)
            result.append(moment)
        return result

    def _recent_time(self, now: datetime) -> datetime:
        """When a live report happened: mostly within hours, sometimes days before."""
        draw = self.rng.random()
        if draw < 0.6:
            lag = self.rng.expovariate(1 / 7200)
        elif draw < 0.9:
            lag = self.rng.uniform(6 * 3600, 3 * 86400)
        else:
            lag = self.rng.uniform(3 * 86400, 20 * 86400)
        return now - MIN_AGE - timedelta(seconds=lag)

    def _pick(self, values: Iterable[Any], weights: Iterable[float]) -> Any:
        """One value drawn by weight."""
        return self.rng.choices(list(values), weights=list(weights))[0]

    def _uuid(self) -> str:
        """A version-4 UUID from the seeded generator."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def _constant(moment: datetime) -> Callable[[], datetime]:
    """A time source that gives `moment`."""
    return lambda: moment

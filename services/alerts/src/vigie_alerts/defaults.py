"""The default GSUP vigilance rules that `vigie run` installs (README, "Default GSUP rules"),
tuned on the demo feed: its hot spots fire a few alerts within minutes, its quiet sites none
(only the staff rule may fire anywhere: any physical aggression on staff is news). A rule
that exists under a default's id is never overwritten, so an admin's changes stay; a deleted
default comes back at the next `vigie run`: to retire one, PUT it with `"enabled": false`."""

from __future__ import annotations

from vigie_alerts import repository
from vigie_alerts.delivery.repository import Conn
from vigie_alerts.rules import Rule

DEFAULT_RULES: dict[str, Rule] = {
    # Any physical aggression on a caretaker or a contractor is the manager's business at once.
    "gsup-agression-personnel": Rule.model_validate(
        {
            "name": "Agression physique du personnel ou d'un prestataire (7 jours)",
            "selector": {"categories": ["PER-PHY"], "targets": ["personnel", "prestataire"]},
            "window_days": 7,
            "metric": "count",
            "levels": {"alerte": 1.0, "critique": 3.0},
        }
    ),
    # Incidents per 1,000 social dwellings over 30 days, every QPV: the observatory's indicator.
    "gsup-taux-30j": Rule.model_validate(
        {
            "name": "Faits pour 1 000 logements sociaux sur 30 jours",
            "window_days": 30,
            "metric": "rate_per_1000_dwellings",
            "levels": {"vigilance": 30.0, "alerte": 60.0, "critique": 120.0},
            "min_count": 10,
        }
    ),
    # A QPV where neighbourhood life suddenly deteriorates compared with its own last 12 weeks.
    "gsup-vivre-ensemble-inhabituel": Rule.model_validate(
        {
            "name": "Vivre ensemble : semaine inhabituelle pour le quartier",
            "selector": {"domains": ["vivre_ensemble"]},
            "window_days": 7,
            "metric": "anomaly",
            "levels": {"vigilance": 3.0, "alerte": 5.0, "critique": 8.0},
            "min_count": 5,
        }
    ),
    # Dealing points: eight reported in a month in one QPV.
    "gsup-points-de-deal": Rule.model_validate(
        {
            "name": "Points de deal signalés (30 jours)",
            "selector": {"categories": ["TRA-DEA"]},
            "window_days": 30,
            "metric": "count",
            "levels": {"vigilance": 8.0, "alerte": 12.0, "critique": 20.0},
        }
    ),
}


async def seed_default_rules(conn: Conn) -> list[str]:
    """Install the default rules that have no rule of their id yet; the ids installed."""
    installed = []
    for rule_id, rule in DEFAULT_RULES.items():
        if await repository.seed_rule(conn, rule_id, rule.model_dump_json()):
            installed.append(rule_id)
    return installed

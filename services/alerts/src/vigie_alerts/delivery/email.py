"""E-mail notifications: French messages about alert changes and silences, sent over SMTP."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib

from vigie_alerts.clock import PARIS
from vigie_alerts.delivery.outcome import Failure, describe, failure
from vigie_alerts.settings import AlertsSettings

NO_SMTP = "no SMTP server configured (ALERTS_SMTP_HOST)"

Payload = Mapping[str, Any]
Item = tuple[str, str | None]  # a line of a list, and the link it may carry

_SIGNATURE = "Vigie, observatoire des incivilités. Les heures sont celles de Paris."

_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_STATES = {"open": "ouverte", "acknowledged": "accusée de réception", "resolved": "résolue"}
# What happened, as the end of "alerte …" (subjects, summaries).
_CHANGES = {
    "opened": "ouverte",
    "escalated": "escaladée",
    "deescalated": "redescendue",
    "acknowledged": "accusée de réception",
    "resolved": "résolue",
    "escalated_to_tier": "escaladée à l'astreinte",
}


@dataclass
class _Letter:
    """What a message says, before it becomes plain text and HTML."""

    subject: str
    paragraphs: list[str]
    facts: list[tuple[str, str]]
    sections: list[tuple[str, list[Item]]] = field(default_factory=list)
    link: str | None = None
    reference: str | None = None


def render_email(payload: Payload) -> EmailMessage:
    """The French message for a notification payload (an alert change or a silence summary)."""
    if payload.get("kind") == "silence_summary":
        return render_silence_summary(payload)
    return _message(_alert_letter(payload))


def render_silence_summary(payload: Payload) -> EmailMessage:
    """One French message listing what a silence held back, and where those alerts stand."""
    return _message(_summary_letter(payload))


async def send_email(message: EmailMessage, settings: AlertsSettings) -> Failure | None:
    """Send over the configured SMTP server, filling From, Date and Message-ID when missing;
    None when the server accepted it, else why not."""
    if not settings.smtp_host:
        return failure(NO_SMTP, permanent=True)
    if "From" not in message:
        message["From"] = settings.smtp_from
    if "Date" not in message:
        message["Date"] = formatdate(usegmt=True)
    if "Message-ID" not in message:
        # An explicit domain: make_msgid's default asks the resolver for the host name.
        message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2])
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_starttls,
            timeout=settings.delivery_timeout_s,
        )
    except aiosmtplib.SMTPException as exc:
        return failure(f"SMTP error: {describe(exc)}")
    except OSError as exc:
        return failure(f"connection error: {describe(exc)}")
    return None


def _alert_letter(p: Payload) -> _Letter:
    territory, rule = _territory(p), _text(p.get("rule_name") or p.get("rule_id"))
    level, previous = _text(p.get("level")), p.get("previous_level")
    facts = [("Territoire", f"{territory} ({p.get('territory_id')})"), ("Règle", rule)]
    facts.append(("Niveau", f"{level} (précédent : {previous})" if previous else level))
    facts.append(("État", _state(p)))
    facts += _measure(p)
    facts.append(("Fenêtre", _days(p.get("window_days"))))
    facts.append(("Ouverte le", _when(p.get("opened_at"))))
    facts.append(("Changement le", _when(p.get("changed_at"))))
    paragraphs = [_event(p, territory=territory, rule=rule), *_explanation(p)]
    if p.get("tier") == "escalation":
        paragraphs.append("Vous recevez ce message en tant que destinataire d'escalade.")
    categories: list[Item] = [(_category(c), None) for c in p.get("top_categories") or ()]
    return _Letter(
        subject=_subject(f"{_headline(p)} — {territory} : {rule}"),
        paragraphs=paragraphs,
        facts=facts,
        sections=[("Catégories principales", categories)] if categories else [],
        link=p.get("dashboard_url"),
        reference=p.get("dedup_key"),
    )


def _headline(p: Payload) -> str:
    level = _text(p.get("level"))
    match p.get("kind"):
        case "opened":
            return f"Alerte niveau {level}"
        case "escalated":
            return f"Alerte escaladée au niveau {level}"
        case "deescalated":
            return f"Alerte redescendue au niveau {level}"
        case "acknowledged":
            return f"Alerte accusée de réception (niveau {level})"
        case "resolved":
            return "Alerte résolue"
        case "escalated_to_tier":
            return f"Escalade : alerte niveau {level} sans accusé de réception"
        case _:
            return f"Alerte niveau {level}"


def _event(p: Payload, *, territory: str, rule: str) -> str:
    level, previous = _text(p.get("level")), _text(p.get("previous_level"))
    alert = f"L'alerte « {rule} » sur {territory}"
    match p.get("kind"):
        case "opened":
            return f"Une alerte de niveau {level} s'est ouverte sur {territory} (règle « {rule} »)."
        case "escalated":
            return f"{alert} est passée du niveau {previous} au niveau {level}."
        case "deescalated":
            return f"{alert} est redescendue du niveau {previous} au niveau {level}."
        case "acknowledged":
            return f"{alert} (niveau {level}) a été accusée de réception."
        case "resolved":
            return f"{alert} est résolue."
        case "escalated_to_tier":
            return (
                f"{alert} (niveau {level}) n'a pas été accusée de réception à temps : "
                "elle est transmise au niveau d'escalade."
            )
        case _:
            return f"{alert} a changé (niveau {level})."


def _measure(p: Payload) -> list[tuple[str, str]]:
    metric, value, threshold = p.get("metric"), p.get("value"), p.get("threshold")
    if metric == "rate_per_1000_dwellings":
        unit = " pour 1 000 logements sociaux"
        measure = [("Valeur", _number(value) + unit), ("Seuil", _number(threshold) + unit)]
    elif metric == "anomaly":
        measure = [("Score d'inhabituel", _number(value)), ("Seuil", _number(threshold))]
    else:
        measure = [("Valeur", _incidents(value)), ("Seuil", _incidents(threshold))]
    if metric != "count" and p.get("count") is not None:
        measure.append(("Incidents sur la fenêtre", _number(p["count"])))
    return measure


def _explanation(p: Payload) -> list[str]:
    value = p.get("value")
    if p.get("metric") == "anomaly" and isinstance(value, int | float):
        return [
            "Le score mesure à quel point le nombre d'incidents sort de l'ordinaire pour ce "
            "territoire, au regard de ses 12 semaines précédentes : c'est -log10 de la "
            "probabilité d'observer au moins autant d'incidents par hasard. Un score de "
            f"{_number(value)} correspond à une probabilité de 10^-{_number(value)}, soit "
            f"{_percent(10.0**-value)} ({_odds(value)})."
        ]
    if p.get("metric") == "rate_per_1000_dwellings":
        return [
            "La valeur est le nombre d'incidents de la fenêtre rapporté au parc du territoire, "
            "pour 1 000 logements sociaux."
        ]
    return []


def _summary_letter(p: Payload) -> _Letter:
    held = sorted(p.get("suppressed") or (), key=lambda s: str(s.get("changed_at") or ""))
    count = len(held)
    noun = (
        "aucune notification retenue"
        if count == 0
        else f"{count} notification retenue"
        if count == 1
        else f"{count} notifications retenues"
    )
    facts = [
        ("Période", f"du {_when(p.get('starts_at'))} au {_when(p.get('ends_at'))}"),
        ("Portée", _silence_scope(p, held)),
        ("Posé par", _text(p.get("created_by"))),
        ("Motif", _text(p.get("reason"))),
    ]
    changes: list[Item] = [
        (f"{_when(s.get('changed_at'))} — {_summary_line(s)}", None) for s in held
    ]
    latest: dict[str, Payload] = {}
    for s in held:  # in order: the last change of each alert wins
        latest[str(s.get("alert_id"))] = s
    standing: list[Item] = [
        (f"{_alert_name(s)} — {_state(s)}, niveau {_text(s.get('level'))}", s.get("dashboard_url"))
        for s in latest.values()
    ]
    sections = []
    if changes:
        sections.append(("Changements retenus", changes))
        sections.append(("Où en sont ces alertes", standing))
    return _Letter(
        subject=_subject(f"Fin de silence — {noun}"),
        paragraphs=[
            f"Le silence posé par {_text(p.get('created_by'))} est terminé : {noun} pendant "
            "sa durée. Les alertes concernées sont de nouveau notifiées normalement."
        ],
        facts=facts,
        sections=sections,
        reference=f"silence:{p.get('silence_id')}",
    )


def _summary_line(s: Payload) -> str:
    change = _CHANGES.get(str(s.get("kind")), "modifiée")
    return f"{_alert_name(s)} — alerte {change}, niveau {_text(s.get('level'))}"


def _alert_name(s: Payload) -> str:
    return f"{_territory(s)} : {_text(s.get('rule_name') or s.get('rule_id'))}"


def _state(p: Payload) -> str:
    return _STATES.get(str(p.get("state")), _text(p.get("state")))


def _category(c: Mapping[str, Any]) -> str:
    label = _text(c.get("label") or c.get("code"))
    return f"{label} ({c.get('code')}) : {_incidents(c.get('count'))}"


def _silence_scope(p: Payload, held: Sequence[Payload]) -> str:
    parts = []
    if p.get("territory_id"):
        names = {s.get("territory_id"): s.get("territory_name") for s in held}
        name = names.get(p["territory_id"])
        parts.append(
            f"territoire {name} ({p['territory_id']})"
            if name
            else f"territoire {p['territory_id']}"
        )
    if p.get("rule_id"):
        rules = {s.get("rule_id"): s.get("rule_name") for s in held}
        parts.append(f"règle « {rules.get(p['rule_id']) or p['rule_id']} »")
    return ", ".join(parts) or "toutes les alertes"


def _message(letter: _Letter) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = letter.subject
    message.set_content(_plain(letter))
    message.add_alternative(_html(letter), subtype="html")
    return message


def _plain(letter: _Letter) -> str:
    lines = [*_blocks(letter.paragraphs), ""]
    width = max(len(label) for label, _ in letter.facts)
    lines += [f"{label.ljust(width)} : {value}" for label, value in letter.facts]
    for title, items in letter.sections:
        lines += ["", f"{title} :"]
        for text, link in items:
            lines.append(f"  - {text}")
            if link:
                lines.append(f"    {link}")
    if letter.link:
        lines += ["", f"Tableau de bord : {letter.link}"]
    lines += ["", "-- ", _SIGNATURE]
    if letter.reference:
        lines.append(f"Référence : {letter.reference}")
    return "\n".join(lines) + "\n"


def _blocks(paragraphs: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += [*([""] if lines else []), paragraph]
    return lines


def _html(letter: _Letter) -> str:
    e = html.escape
    parts = [f"<p>{e(paragraph)}</p>" for paragraph in letter.paragraphs]
    rows = "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in letter.facts)
    parts.append(f"<table>{rows}</table>")
    for title, items in letter.sections:
        entries = "".join(
            f"<li>{e(text)}"
            + (f" — <a href='{e(link)}'>tableau de bord</a>" if link else "")
            + "</li>"
            for text, link in items
        )
        parts.append(f"<p>{e(title)} :</p><ul>{entries}</ul>")
    if letter.link:
        parts.append(f"<p><a href='{e(letter.link)}'>Ouvrir le tableau de bord</a></p>")
    footer = _SIGNATURE
    if letter.reference:
        footer += f" Référence : {letter.reference}"
    parts.append(f"<p><small>{e(footer)}</small></p>")
    return "<!doctype html><html lang='fr'><body>" + "".join(parts) + "</body></html>\n"


def _subject(text: str) -> str:
    return "[Vigie] " + " ".join(text.split())  # one line whatever the names hold


def _territory(p: Payload) -> str:
    return _text(p.get("territory_name") or p.get("territory_id"))


def _text(value: object) -> str:
    return "—" if value is None else " ".join(str(value).split())


def _when(value: object) -> str:
    """A timestamp (ISO text or datetime) in Paris, French style: 1er mars 2025 à 14 h 05."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
    elif isinstance(value, datetime):
        parsed = value
    else:
        return "—"
    moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(PARIS)
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {_MONTHS[moment.month - 1]} {moment.year} à {moment.hour} h {moment:%M}"


def _number(value: object, digits: int = 2) -> str:
    """A number the French way: 1 234,5."""
    if not isinstance(value, int | float):
        return _text(value)
    text = f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")
    return text.rstrip("0").rstrip(",") if "," in text else text


def _incidents(value: object) -> str:
    plural = not isinstance(value, int | float) or abs(value) >= 2
    return f"{_number(value)} incident{'s' if plural else ''}"


def _days(value: object) -> str:
    return f"{_number(value)} jour{'s' if isinstance(value, int) and value >= 2 else ''}"


def _percent(probability: float) -> str:
    percent = probability * 100
    digits = 2
    while digits < 12 and round(percent, digits) == 0:
        digits += 1
    return f"{_number(percent, digits + 1)} %"


def _odds(score: float) -> str:
    return f"environ 1 chance sur {_number(max(round(10.0**score), 1))}"

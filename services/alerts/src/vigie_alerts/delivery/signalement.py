"""The French e-mail of a signalement to a CLSPD partner: the alert's facts, the sender's note,
the acknowledgement link, and the territory's situation report attached."""

from __future__ import annotations

from email.message import EmailMessage

from vigie_alerts.delivery.email import (
    Payload,
    _Letter,
    _measure,
    _message,
    _subject,
    _text,
    _when,
)

_LEVELS = {"vigilance": "vigilance", "alerte": "alerte", "critique": "critique"}


def render_signalement(payload: Payload, report_pdf: bytes) -> EmailMessage:
    """The message for one contact, the report attached as a PDF."""
    territory = _text(payload.get("territory_name") or payload.get("territory_id"))
    level = _LEVELS.get(str(payload.get("level")), _text(payload.get("level")))
    rule = _text(payload.get("rule_name"))
    facts = [
        ("Territoire", f"{territory} ({payload.get('territory_id')})"),
        ("Motif", rule),
        ("Niveau", level),
        *_measure(payload),
        ("Alerte ouverte le", _when(payload.get("opened_at"))),
        ("Envoyé par", _text(payload.get("sent_by"))),
        ("Envoyé le", _when(payload.get("sent_at"))),
    ]
    link = str(payload.get("receipt_url") or "")
    paragraphs = [
        f"Madame, Monsieur ({_text(payload.get('organisation'))}),",
        f"un bailleur social du territoire {territory} vous adresse un signalement au titre "
        f"du CLSPD : une alerte de niveau {level} est ouverte (« {rule} »).",
        f"Message de l'expéditeur : {_text(payload.get('note'))}",
        "Le rapport de situation du territoire est joint à ce message (chiffres agrégés ; les "
        "effectifs trop faibles sont masqués).",
    ]
    if link:
        paragraphs.append(
            "Merci d'accuser réception de ce signalement en ouvrant le lien suivant puis en "
            f"confirmant : {link} (ce lien vous est personnel et ne sert qu'une fois)."
        )
    letter = _Letter(
        subject=_subject(f"Signalement CLSPD — {territory} : {rule} (niveau {level})"),
        paragraphs=paragraphs,
        facts=facts,
        reference=f"signalement:{payload.get('mobilisation_id')}",
    )
    message = _message(letter)
    message.add_attachment(
        report_pdf,
        maintype="application",
        subtype="pdf",
        filename=f"rapport-situation-{payload.get('territory_id')}.pdf",
    )
    return message

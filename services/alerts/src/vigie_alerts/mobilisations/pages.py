"""The small French pages of an acknowledgement link, pure HTML."""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Any

from vigie_alerts.delivery.email import _when

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5}button{font-size:1.1rem;padding:.6rem 1.2rem;cursor:pointer}"
)

# The pages' policy: no script at all, their one inline style by its hash, forms posted back to
# this service only, never framed.
CSP = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
    + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='robots' content='noindex'>"
        f"<title>{html.escape(title)} — Vigie</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _about(found: Any, territory_name: str) -> str:
    e = html.escape
    return (
        f"<p>Signalement du {e(_when(found['created_at']))} sur le territoire "
        f"<strong>{e(territory_name)}</strong>, adressé à {e(found['organisation'])}.</p>"
    )


def confirm_page(found: Any, territory_name: str) -> str:
    """The page a link opens: what it is about and a button (opening it changes nothing)."""
    return _page(
        "Accuser réception du signalement",
        _about(found, territory_name)
        + "<p>En confirmant, vous indiquez à l'expéditeur que votre service a bien reçu ce "
        "signalement et son rapport de situation.</p>"
        "<form method='post'><button type='submit'>Je confirme la réception</button></form>",
    )


def received_page(found: Any, territory_name: str) -> str:
    """After the confirmation."""
    return _page(
        "Réception enregistrée",
        _about(found, territory_name) + "<p>Merci : l'expéditeur voit désormais que votre "
        "service a reçu ce signalement. Vous pouvez fermer cette page.</p>",
    )


def used_page(found: Any, territory_name: str) -> str:
    """A link already used."""
    when = _when(found["received_at"]) if found["received_at"] else "précédemment"
    return _page(
        "Lien déjà utilisé",
        _about(found, territory_name)
        + f"<p>La réception de ce signalement a déjà été confirmée ({html.escape(when)}). "
        "Ce lien ne sert qu'une fois.</p>",
    )


def unknown_page() -> str:
    """A link that names no signalement."""
    return _page(
        "Lien inconnu",
        "<p>Ce lien d'accusé de réception n'est pas valable. Vérifiez qu'il a été copié en "
        "entier depuis le message reçu.</p>",
    )

"""The annual observatory as one self-contained HTML document for A4 (CSS in <style>, charts as
inline SVG), in French, pure: it prints the figures of the observatory's JSON answer and nothing
else. A suppressed count prints as HIDDEN; a figure without a published base as NOT_AVAILABLE.

Number formats (what a reader of the JSON finds here): counts with a no-break space between
thousands; facts per 1,000 dwellings and costs per dwelling with two decimals; shares and
changes in percent with one decimal; decimal comma."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from vigie.contract.nomenclature import Nomenclature
from vigie_reporting.periods import PARIS

HIDDEN = "s"
NUMERIC = ' class="n"'
NOT_AVAILABLE = "n.d."
TARGET_LABELS = {
    "residents": "Locataires",
    "staff": "Personnel et prestataires",
    "property": "Patrimoine",
    "other": "Autre",
}

CSS = """
@page { size: A4; margin: 15mm 12mm 17mm 12mm;
        @bottom-left { content: "Vigie · observatoire annuel des incivilités dans le parc social";
                       font-size: 7.5pt; color: #666; }
        @bottom-right { content: "page " counter(page) " / " counter(pages);
                        font-size: 7.5pt; color: #666; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #222; }
h1 { font-size: 16pt; margin: 0 0 2mm 0; color: #1d4f7a; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm 0; color: #1d4f7a;
     border-bottom: 1px solid #1d4f7a; break-after: avoid; }
h3 { font-size: 9.5pt; margin: 3mm 0 1mm 0; break-after: avoid; }
.subtitle { color: #555; margin: 0 0 3mm 0; }
.key { display: flex; gap: 2.5mm; margin: 2mm 0 3mm 0; }
.key div { flex: 1; border: 1px solid #c9d6e3; background: #f2f6fa; padding: 1.5mm; }
.key strong { display: block; font-size: 12.5pt; color: #1d4f7a; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm 0; table-layout: fixed;
        font-size: 7pt; }
tr { break-inside: avoid; }
th, td { border-bottom: 1px solid #ccc; padding: 0.7mm 0.8mm; text-align: left; }
th:first-child, td:first-child { width: 21%; }
th { font-size: 6.5pt; color: #333; vertical-align: bottom; }
td.n, th.n { text-align: right; }
td.n { white-space: nowrap; }
tr.parent td { font-weight: bold; background: #f2f6fa; }
tr.own td { font-style: italic; color: #1d4f7a; border-bottom: 1px dotted #ccc; }
table.chart { font-size: 7.5pt; break-inside: avoid; }
.chart td { border: 0; padding: 0.3mm 0.8mm; }
.chart td:first-child { width: 34%; text-align: right; }
.bar { display: inline-block; height: 2.6mm; background: #2b6ca3; vertical-align: middle; }
.bar.none { width: 6mm; background: none; border: 1px dashed #888; }
.note { color: #555; font-size: 7.5pt; }
.method { break-before: page; }
.method p { margin: 1mm 0 2mm 0; }
"""


def count(value: int | None) -> str:
    """A count: HIDDEN when suppressed, thousands separated by a no-break space."""
    return HIDDEN if value is None else f"{value:,}".replace(",", "\u00a0")


def decimal(value: float | None, places: int = 2) -> str:
    """A figure with a decimal comma; NOT_AVAILABLE without a published base."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:,.{places}f}".replace(",", "\u00a0").replace(".", ",")


def percent(share: float | None) -> str:
    """A share (0–1) in percent, one decimal."""
    return NOT_AVAILABLE if share is None else decimal(share * 100, 1) + "\u00a0%"


def reference(value: int | None) -> str:
    """A figure of the territory reference (dwellings): NOT_AVAILABLE when it has none."""
    return NOT_AVAILABLE if value is None else count(value)


def change(pct: float | None) -> str:
    """A change in percent, signed, one decimal."""
    if pct is None:
        return NOT_AVAILABLE
    return ("+" if pct > 0 else "") + decimal(pct, 1) + "\u00a0%"


def observatory_html(body: Mapping[str, Any], *, nomenclature: Nomenclature) -> str:
    """The whole document."""
    domains = [(d.code, d.label) for d in nomenclature.domains]
    year = body["year"]
    national = body["national"]
    own = body.get("landlord_id")
    parts = [
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>",
        f"<title>Observatoire annuel {year}</title><style>{CSS}</style></head><body>",
        f"<h1>Observatoire annuel des incivilités dans le parc social — {year}</h1>",
        "<p class='subtitle'>",
        f"Faits de l'année {year} (du 1<sup>er</sup> janvier au 31 décembre), évolution sur le"
        f" panel des bailleurs présents en {year - 1} et {year}. Données au "
        f"{escape(_when(body.get('as_of')))}.",
        f" Avec les chiffres de votre organisme ({escape(own)}), en italique." if own else "",
        "</p>",
        _key_figures(national),
        "<h2>Synthèse nationale</h2>",
        _indicator_table(national, body["regions"], own=bool(own)),
        _rate_chart(body["regions"]),
        "<h3>Répartition par domaine et par cible</h3>",
        _split_table(national, body["regions"], domains, own=bool(own)),
    ]
    for region in body["regions"]:
        parts += [
            "<div class='region'>",
            f"<h2>{escape(region['name'])}</h2>",
            _indicator_table(region, region["departements"], own=bool(own)),
            _split_table(region, region["departements"], domains, own=bool(own)),
            "</div>",
        ]
    parts += [_method(body, nomenclature), "</body></html>"]
    return "".join(parts)


def _when(as_of: Any) -> str:
    if isinstance(as_of, datetime):
        return as_of.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    return "—" if as_of is None else str(as_of)


def _key_figures(row: Mapping[str, Any]) -> str:
    coverage = row["coverage"]
    items = [
        ("Faits", count(row["facts"])),
        ("Faits pour 1 000 logements", decimal(row["facts_per_1000_dwellings"])),
        ("Part avec plainte", percent(row["complaint_share"])),
        (
            "Coût des dégradations par logement",
            decimal(row["degradation_cost_per_dwelling"]) + " €",
        ),
        ("Bailleurs contributeurs", count(coverage["landlords"])),
        ("Évolution (panel stable)", change(row["panel"]["change_pct"])),
    ]
    cells = "".join(f"<div><strong>{v}</strong>{escape(k)}</div>" for k, v in items)
    return f"<div class='key'>{cells}</div>"


INDICATOR_HEADERS = (
    "Territoire",
    "Bailleurs",
    "Logements sociaux",
    "Couverture",
    "Faits",
    "Faits pour 1 000 logts",
    "Part avec plainte",
    "Coût dégr. par logt (€)",
    "Faits N-1",
    "Évolution (panel)",
)


def _indicator_table(
    parent: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *, own: bool
) -> str:
    head = "".join(
        f"<th{'' if i == 0 else NUMERIC}>{escape(h)}</th>" for i, h in enumerate(INDICATOR_HEADERS)
    )
    lines = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for i, row in enumerate([parent, *rows]):
        coverage = row["coverage"]
        cells = [
            escape(row["name"]),
            count(coverage["landlords"]),
            reference(row["social_dwellings"]),
            percent(coverage["covered_share"]),
            count(row["facts"]),
            decimal(row["facts_per_1000_dwellings"]),
            percent(row["complaint_share"]),
            decimal(row["degradation_cost_per_dwelling"]),
            count(row["previous_facts"]),
            change(row["panel"]["change_pct"]),
        ]
        lines.append(_tr(cells, css="parent" if i == 0 else ""))
        if own:
            mine = row["own"]
            lines.append(
                _tr(
                    [
                        "dont votre organisme",
                        f"part {percent(mine['share_of_facts'])}",
                        "",
                        "",
                        count(mine["facts"]),
                        "",
                        percent(mine["complaint_share"]),
                        decimal(mine["degradation_cost_per_dwelling"]),
                        count(mine["previous_facts"]),
                        change(mine["panel"]["change_pct"]),
                    ],
                    css="own",
                )
            )
    lines.append("</tbody></table>")
    return "".join(lines)


def _split_table(
    parent: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    domains: Sequence[tuple[str, str]],
    *,
    own: bool,
) -> str:
    headers = ["Territoire", *(label for _, label in domains), *TARGET_LABELS.values()]
    head = "".join(
        f"<th{'' if i == 0 else NUMERIC}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    lines = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for i, row in enumerate([parent, *rows]):
        lines.append(_tr(_split_cells(row, row["name"], domains), css="parent" if i == 0 else ""))
        if own:
            lines.append(_tr(_split_cells(row["own"], "dont votre organisme", domains), css="own"))
    lines.append("</tbody></table>")
    return "".join(lines)


def _split_cells(
    row: Mapping[str, Any], name: str, domains: Sequence[tuple[str, str]]
) -> list[str]:
    return [
        escape(name),
        *(count(row["by_domain"][code]) for code, _ in domains),
        *(count(row["by_target"][key]) for key in TARGET_LABELS),
    ]


def _tr(cells: Sequence[str], *, css: str) -> str:
    tds = "".join(f"<td{'' if i == 0 else NUMERIC}>{cell}</td>" for i, cell in enumerate(cells))
    return f"<tr class='{css}'>{tds}</tr>" if css else f"<tr>{tds}</tr>"


def _rate_chart(regions: Sequence[Mapping[str, Any]]) -> str:
    """The régions' rates as bars drawn in HTML, each with its name and figure as text beside
    it: no SVG text, the costliest part of a WeasyPrint render (see documents/charts.py). A
    hidden rate is an empty dashed box with its text, never a length."""
    rates = [r["facts_per_1000_dwellings"] for r in regions]
    peak = max((v for v in rates if v is not None), default=0.0) or 1.0
    lines = []
    for region, rate in zip(regions, rates, strict=True):
        bar = (
            "<span class='bar none'></span>"
            if rate is None
            else f"<span class='bar' style='width: {80 * rate / peak:.1f}%'></span>"
        )
        lines.append(f"<tr><td>{escape(region['name'])}</td><td>{bar} {decimal(rate)}</td></tr>")
    return (
        "<h3>Faits pour 1 000 logements sociaux, par région</h3>"
        f"<table class='chart'><tbody>{''.join(lines)}</tbody></table>"
    )


def _method(body: Mapping[str, Any], nomenclature: Nomenclature) -> str:
    year = body["year"]
    labels = {c.code: c.label for c in nomenclature.categories}
    degradations = ", ".join(
        f"{escape(code)} ({escape(labels.get(code, code))})"
        for code in body["degradation_categories"]
    )
    paragraphs = [
        (
            "Source",
            "Les faits déclarés par les bailleurs sociaux à Vigie, comptés par quartier"
            " prioritaire (QPV), jour, catégorie et bailleur. L'année est l'année civile, jours"
            " comptés à l'heure de Paris. Un fait retiré ou corrigé par son bailleur est compté"
            " dans son dernier état.",
        ),
        (
            "Taux pour 1 000 logements",
            "Le dénominateur est le nombre de logements sociaux des QPV du territoire"
            " (référentiel des QPV), le même que dans tous les taux de Vigie. Les logements sont"
            " comptés là où les faits ont lieu, pas au siège du bailleur : pas de double compte"
            " pour un bailleur présent dans plusieurs régions.",
        ),
        (
            "Couverture",
            "À côté de chaque chiffre : le nombre de bailleurs ayant déclaré au moins un fait"
            " dans le territoire pendant l'année, et la part des logements sociaux du territoire"
            " situés dans un QPV où au moins un fait a été compté dans l'année. Quand la"
            " couverture est partielle, les taux sont des minorants. La couverture d'une ligne"
            " dont les faits sont masqués n'est pas publiée (elle dirait qu'il n'y a aucun fait).",
        ),
        (
            "Plainte",
            "Part des faits pour lesquels une plainte a été déposée ; une main courante n'est pas"
            " une plainte. L'écart entre les faits et les plaintes est ce que l'observatoire"
            " rend visible.",
        ),
        (
            "Dégradations",
            f"Les catégories {degradations}. Leur coût est la somme des coûts déclarés par les"
            " bailleurs (un coût non déclaré compte zéro : c'est un minorant), rapportée aux"
            " logements sociaux du territoire. Les vols et cambriolages de caves (BIE-VOL) ne"
            " sont pas des dégradations.",
        ),
        (
            "Cibles",
            "Locataires ; personnel et prestataires (le personnel du bailleur et celui des"
            " entreprises qui interviennent) ; patrimoine ; autre.",
        ),
        (
            "Panel stable",
            f"L'évolution compare {year} à {year - 1} sur les seuls bailleurs ayant déclaré au"
            f" moins un fait chacune des deux années ({body['panel_landlords']} bailleurs) : leurs"
            " faits dans le territoire, une année contre l'autre. Un bailleur qui rejoint ou"
            " quitte Vigie ne fait pas varier l'évolution. La colonne « Faits N-1 » donne les"
            " faits de tous les bailleurs de l'année précédente.",
        ),
        (
            "Secret statistique",
            f"Tout décompte inférieur à 5 (zéro compris) est masqué (« {HIDDEN} »), ainsi que les"
            " décomptes qui permettraient de le recalculer : une région est la somme de ses"
            " départements, la France la somme des régions, les faits la somme des domaines, des"
            " cibles, et des faits du panel et hors panel. Les taux, parts et coûts ne sont"
            f" calculés qu'à partir de valeurs publiées (« {NOT_AVAILABLE} » sinon). Les chiffres"
            " propres à votre organisme, s'ils figurent, ne sont pas masqués : ils ne concernent"
            " que lui.",
        ),
        (
            "Non captés",
            "Le lieu d'une agression (hall, cage d'escalier, cave, parking, domicile ou bureau de"
            " l'agent…) et son élément déclencheur (rappel du règlement, demande refusée, visite"
            " technique, conflit de voisinage…) ne sont pas enregistrés par Vigie : ce document"
            " ne les estime pas.",
        ),
    ]
    text = "".join(f"<p><strong>{escape(k)}.</strong> {v}</p>" for k, v in paragraphs)
    return f"<div class='method'><h2>Note de méthode</h2>{text}</div>"

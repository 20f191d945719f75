"""The CLSPD situation report as one self-contained HTML document (CSS in <style>, charts and
map as inline SVG), pure: it prints the published figures of `situation_figures` and nothing
else. A hidden count prints as HIDDEN; a figure derived from a hidden one prints as "n.d."."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from html import escape
from typing import Any

from vigie.contract.nomenclature import Nomenclature
from vigie_reporting.documents.charts import Datum, bar_chart, horizontal_bars, line_chart
from vigie_reporting.documents.maps import Outline, Point, Ring, Shape, Style, map_svg
from vigie_reporting.periods import PARIS
from vigie_reporting.situation_figures import SituationFigures, SituationInputs, month_key

HIDDEN = "s"
NOT_AVAILABLE = "n.d."
LEGEND_MAX = 30  # QPVs listed beside the map; a région's hundreds would fill pages
KIND_LABELS = {
    "qpv": "Quartier prioritaire de la politique de la ville (QPV)",
    "commune": "Commune",
    "departement": "Département",
    "region": "Région",
    "pays": "France entière",
}
LEVEL_LABELS = {"vigilance": "vigilance", "alerte": "alerte", "crise": "crise"}
STATE_LABELS = {"open": "ouverte", "acknowledged": "prise en compte"}
TARGET_LABELS = {
    "locataire": "Locataires",
    "personnel": "Personnel du bailleur",
    "prestataire": "Prestataires",
    "patrimoine": "Patrimoine",
    "autre": "Autre",
}
CONTENT_PX = 688  # the page's width inside its margins (182 mm), in CSS pixels
OWN = Style(fill="#6fa3d0", fill_opacity=0.8, stroke="#1d4f7a", stroke_width=0.8)
NEIGHBOUR = Style(fill="#cccccc", fill_opacity=0.6, stroke="#aaaaaa", stroke_width=0.4)
# Mainland France: a country-wide map drawn with the overseas QPVs would be a dot.
MAINLAND = (-5.5, 41.0, 10.0, 51.5)

CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
        @bottom-left { content: "Vigie · rapport de situation CLSPD · diffusion restreinte";
                       font-size: 8pt; color: #666; }
        @bottom-right { content: "page " counter(page) " / " counter(pages);
                        font-size: 8pt; color: #666; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #222; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; color: #1d4f7a; }
h2 { font-size: 12pt; margin: 6mm 0 2mm 0; color: #1d4f7a; border-bottom: 1px solid #1d4f7a; }
h3 { font-size: 10pt; margin: 3mm 0 1mm 0; }
.subtitle { color: #555; margin: 0 0 3mm 0; }
.page-break { break-before: page; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm 0; }
th, td { border-bottom: 1px solid #ccc; padding: 1mm 1.5mm; text-align: left; }
td.n, th.n { text-align: right; }
.key { display: flex; gap: 3mm; margin: 2mm 0; }
.key div { flex: 1; border: 1px solid #c9d6e3; background: #f2f6fa; padding: 2mm; }
.key strong { display: block; font-size: 14pt; color: #1d4f7a; }
.note { color: #555; font-size: 8.5pt; }
.method p { margin: 1mm 0 2mm 0; }
h2, h3 { break-after: avoid; }
table.months { table-layout: fixed; font-size: 7.5pt; margin-top: 0; }
table.months th, table.months td { text-align: center; padding: 0.6mm 0; }

section { break-inside: avoid; }
"""


def situation_report_html(
    inputs: SituationInputs,
    figures: SituationFigures,
    nomenclature: Nomenclature,
    *,
    outlines: Mapping[str, Outline],
) -> str:
    """The whole document (`outlines`: the QPVs' perimeters, by id)."""
    place = inputs.place
    title = f"Rapport de situation — {place['name']}"
    sections = [
        _header(inputs),
        _key_figures(inputs, figures),
        _map_section(inputs, figures, outlines),
        "<div class='page-break'></div>",
        f"<section>{_trend_section(inputs, figures)}</section>",
        _domains_section(figures, nomenclature),
        f"<section>{_gap_section(inputs, figures)}</section>",
        f"<section>{_targets_section(figures)}</section>",
        f"<section>{_alerts_section(inputs)}</section>",
        _method_section(inputs),
    ]
    return (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "".join(sections)
        + "</body></html>"
    )


# --- Formatting (French) -----------------------------------------------------------------------


def count_text(value: int | None) -> str:
    """A count, thousands separated by a narrow no-break space; HIDDEN when hidden."""
    if value is None:
        return HIDDEN
    return f"{value:,}".replace(",", "\u202f")


def decimal_text(value: float | None, digits: int = 2) -> str:
    """A decimal with a comma; NOT_AVAILABLE when not computable."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def share_text(share: float | None) -> str:
    """A share (0–1) as a percentage with one decimal."""
    return NOT_AVAILABLE if share is None else f"{decimal_text(share * 100, 1)} %"


def change_text(pct: float | None) -> str:
    """A change in percent, signed."""
    if pct is None:
        return NOT_AVAILABLE
    return f"{'+' if pct > 0 else ''}{decimal_text(pct, 1)} %"


def points_text(before: float | None, after: float | None) -> str:
    """The change of a share in percentage points, signed."""
    if before is None or after is None:
        return NOT_AVAILABLE
    change = (after - before) * 100
    return f"{'+' if change > 0 else ''}{decimal_text(change, 1)} pt"


def day_text(day: date) -> str:
    """A date as dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")


def month_label(start: date) -> str:
    """A month as mm/yy (a chart's label)."""
    return start.strftime("%m/%y")


# --- Sections ----------------------------------------------------------------------------------


def _header(inputs: SituationInputs) -> str:
    place, period = inputs.place, inputs.period
    where = KIND_LABELS.get(place["kind"], place["kind"])
    as_of = place.get("as_of")
    stamp = ""
    if isinstance(as_of, datetime):
        stamp = f" · données arrêtées au {as_of.astimezone(PARIS):%d/%m/%Y à %H:%M}"
    return (
        "<h1>Rapport de situation — groupe de travail CLSPD</h1>"
        f"<p class='subtitle'><strong>{escape(place['name'])}</strong> · {escape(where)}<br>"
        f"Période du {day_text(period.start)} au {day_text(period.end)}{stamp}</p>"
    )


def _key_figures(inputs: SituationInputs, figures: SituationFigures) -> str:
    published = figures.published
    previous = inputs.period.previous()
    cards = (
        f"<div>Faits signalés<strong>{count_text(published.get('total'))}</strong></div>"
        f"<div>Pour 1\u202f000 logements sociaux<strong>{decimal_text(figures.rates.territory)}"
        "</strong></div>"
        f"<div>Évolution sur la période précédente<strong>{change_text(figures.trend_pct)}"
        "</strong></div>"
        f"<div>Part des faits avec plainte<strong>{share_text(figures.complaint_share)}"
        "</strong></div>"
    )
    rows = [
        (inputs.place["name"], "total", "dwellings", figures.rates.territory),
    ]
    if inputs.departement is not None:
        name = f"Département : {inputs.departement.name}"
        rows.append((name, "departement.total", "departement.dwellings", figures.rates.departement))
    if inputs.country is not None:
        rows.append(("France entière", "country.total", "country.dwellings", figures.rates.country))
    body = "".join(
        f"<tr><td>{escape(name)}</td><td class='n'>{count_text(published.get(total))}</td>"
        f"<td class='n'>{count_text(published.get(homes))}</td>"
        f"<td class='n'>{decimal_text(rate)}</td></tr>"
        for name, total, homes, rate in rows
    )
    return (
        f"<div class='key'>{cards}</div>"
        "<h2>Faits pour 1\u202f000 logements sociaux</h2>"
        "<table><tr><th>Territoire</th><th class='n'>Faits</th>"
        "<th class='n'>Logements sociaux</th>"
        "<th class='n'>Faits pour 1\u202f000 logements</th></tr>"
        f"{body}</table>"
        f"<p class='note'>Période précédente (du {day_text(previous.start)} au "
        f"{day_text(previous.end)}) : {count_text(published.get('previous_total'))} faits.</p>"
    )


def _map_section(
    inputs: SituationInputs, figures: SituationFigures, outlines: Mapping[str, Outline]
) -> str:
    own = [q for q in inputs.qpvs if q.territory_id in outlines]
    if inputs.place["kind"] == "pays":
        own = [q for q in own if _inside(MAINLAND, outlines[q.territory_id].centre)]
    if not own:
        return "<h2>Carte</h2><p>Aucun périmètre de QPV connu pour ce territoire.</p>"
    lettered = len(own) <= LEGEND_MAX
    box = _box([r for q in own for r in outlines[q.territory_id].rings])
    west, south, east, north = box
    frame = [[(west, south), (east, south), (east, north), (west, north)]]
    own_ids = {q.territory_id for q in own}
    shapes = [
        Shape(rings=outline.rings, style=NEIGHBOUR)
        for qpv_id, outline in outlines.items()
        if qpv_id not in own_ids and _inside(box, outline.centre)
    ]
    for index, qpv in enumerate(own):
        outline = outlines[qpv.territory_id]
        label = _letter(index) if lettered else ""
        shapes.append(Shape(outline.rings, OWN, label=label, anchor=outline.centre))
    drawing = map_svg(shapes, width=660, height=290, frame=frame, title="Carte des QPV")
    rows = "".join(
        f"<tr><td>{_letter(i) if lettered else ''}</td><td>{escape(q.name)}</td>"
        f"<td>{escape(q.territory_id)}</td>"
        f"<td class='n'>{count_text(_dwellings_of(q.territory_id, inputs, figures))}</td></tr>"
        for i, q in enumerate(own[:LEGEND_MAX])
    )
    more = ""
    if len(own) > LEGEND_MAX:
        more = "<p class='note'>Liste limitée aux premiers quartiers par ordre alphabétique.</p>"
    return (
        "<h2>Le territoire et ses quartiers prioritaires</h2>"
        f"{drawing}"
        "<p class='note'>En bleu, les QPV du territoire ; en gris, les QPV voisins "
        "(périmètres de référence 2024, simplifiés).</p>"
        "<table><tr><th></th><th>Quartier prioritaire</th><th>Code</th>"
        f"<th class='n'>Logements sociaux</th></tr>{rows}</table>{more}"
    )


def _trend_section(inputs: SituationInputs, figures: SituationFigures) -> str:
    published = figures.published
    incidents = [
        Datum(
            month_label(m.start),
            _as_float(published.get(f"{month_key(m)}.incidents")),
            count_text(published.get(f"{month_key(m)}.incidents")),
        )
        for m in inputs.months
    ]
    trend = inputs.trend_period
    return (
        "<h2>Tendance sur 12 mois</h2>"
        f"<p class='note'>Faits par mois, du {day_text(trend.start)} au {day_text(trend.end)} "
        "(le dernier mois est partiel).</p>"
        + bar_chart(incidents, width=CONTENT_PX, height=150, title="Faits par mois", texts=False)
        + _month_table(incidents)
    )


def _domains_section(figures: SituationFigures, nomenclature: Nomenclature) -> str:
    published = figures.published
    total = published.get("total")
    rows = []
    for domain in nomenclature.domains:
        count = published.get(f"by_domain.{domain.code}")
        share = count / total if count is not None and total else None
        rows.append(
            f"<tr><th>{escape(domain.label)}</th><th class='n'>{count_text(count)}</th>"
            f"<th class='n'>{share_text(share)}</th></tr>"
        )
        for category in nomenclature.categories:
            if category.domain == domain.code:
                value = published.get(f"by_category.{category.code}")
                rows.append(
                    f"<tr><td>&nbsp;&nbsp;{escape(category.label)}</td>"
                    f"<td class='n'>{count_text(value)}</td><td></td></tr>"
                )
    labels = {c.code: c.label for c in nomenclature.categories}
    leading = [
        Datum(labels.get(code, code), float(count), count_text(count))
        for code, count in figures.leading
    ]
    chart = (
        horizontal_bars(leading, width=660, title="Catégories les plus fréquentes")
        if leading
        else "<p>Aucune catégorie publiable sur la période.</p>"
    )
    return (
        "<h2>Les quatre domaines GSUP et les catégories</h2>"
        "<h3>Catégories les plus fréquentes</h3>"
        f"{chart}"
        "<table><tr><th>Domaine / catégorie</th><th class='n'>Faits</th>"
        f"<th class='n'>Part du total</th></tr>{''.join(rows)}</table>"
    )


def _gap_section(inputs: SituationInputs, figures: SituationFigures) -> str:
    published = figures.published
    previous = inputs.period.previous()
    shares = [
        Datum(month_label(m.start), share, share_text(share))
        for m, share in zip(inputs.months, figures.monthly_share, strict=True)
    ]
    rows = (
        ("Période", inputs.period, "total", "by_complaint.plainte", figures.complaint_share),
        (
            "Période précédente",
            previous,
            "previous_total",
            "previous.plainte",
            figures.previous_complaint_share,
        ),
    )
    body = "".join(
        f"<tr><td>{label} (du {day_text(p.start)} au {day_text(p.end)})</td>"
        f"<td class='n'>{count_text(published.get(total))}</td>"
        f"<td class='n'>{count_text(published.get(plainte))}</td>"
        f"<td class='n'>{share_text(share)}</td></tr>"
        for label, p, total, plainte, share in rows
    )
    return (
        "<h2>L'écart entre les faits et les plaintes</h2>"
        "<table><tr><th></th><th class='n'>Faits</th><th class='n'>Avec plainte</th>"
        f"<th class='n'>Part avec plainte</th></tr>{body}</table>"
        "<p>Évolution de la part des faits avec plainte : "
        f"<strong>{points_text(figures.previous_complaint_share, figures.complaint_share)}</strong>"
        "</p><h3>Part des faits avec plainte, par mois</h3>"
        + line_chart(
            shares,
            width=660,
            height=110,
            ceiling=1.0,
            title="Part avec plainte",
            texts=False,
            side=6,
        )
        + _month_table(shares)
    )


def _month_table(data: Sequence[Datum]) -> str:
    """The values of a monthly chart as a table under it, a column per month under its bar
    (HTML text lays out far faster than SVG text in WeasyPrint)."""
    head = "".join(f"<th>{escape(d.label)}</th>" for d in data)
    row = "".join(f"<td>{escape(d.text)}</td>" for d in data)
    return f"<table class='months'><tr>{head}</tr><tr>{row}</tr></table>"


def _targets_section(figures: SituationFigures) -> str:
    published = figures.published
    rows = "".join(
        f"<tr><td>{label}</td>"
        f"<td class='n'>{count_text(published.get(f'by_target.{code}'))}</td></tr>"
        for code, label in TARGET_LABELS.items()
        if f"by_target.{code}" in published
    )
    return (
        "<h2>Cibles des faits</h2>"
        f"<table><tr><th>Cible</th><th class='n'>Faits</th></tr>{rows}</table>"
    )


def _alerts_section(inputs: SituationInputs) -> str:
    if not inputs.alerts:
        return "<h2>Alertes en cours</h2><p>Aucune alerte ouverte sur le territoire.</p>"
    rows = "".join(
        f"<tr><td>{escape(str(a.get('territory_name') or a.get('territory_id')))}</td>"
        f"<td>{escape(str(a.get('rule_id', '')))}</td>"
        f"<td>{escape(LEVEL_LABELS.get(str(a.get('level')), str(a.get('level', ''))))}</td>"
        f"<td>{escape(STATE_LABELS.get(str(a.get('state')), str(a.get('state', ''))))}</td>"
        f"<td>{_opened(a.get('opened_at'))}</td></tr>"
        for a in sorted(inputs.alerts, key=lambda a: str(a.get("opened_at")), reverse=True)
    )
    return (
        "<h2>Alertes en cours</h2>"
        "<table><tr><th>Territoire</th><th>Règle</th><th>Niveau</th><th>État</th>"
        f"<th>Depuis le</th></tr>{rows}</table>"
        "<p class='note'>Alertes ouvertes ou prises en compte, les plus récentes d'abord ; la "
        "valeur mesurée n'est pas reprise (elle peut porter sur moins de 5 faits).</p>"
    )


def _method_section(inputs: SituationInputs) -> str:
    period, previous, trend = inputs.period, inputs.period.previous(), inputs.trend_period
    return (
        "<h2>Note de méthode</h2><div class='method'>"
        "<p><strong>Sources.</strong> Les événements d'incidents déclarés par les bailleurs "
        "sociaux contributeurs à Vigie, tous bailleurs confondus, comptés à la date des faits "
        "(heure de Paris) ; les incidents retirés par leur bailleur ne sont pas comptés, les "
        "corrections le sont dans leur dernière version. Un fait « avec plainte » est un fait "
        "pour lequel le bailleur a déclaré un dépôt de plainte. Les logements sociaux sont ceux "
        "de la référence des quartiers prioritaires 2024 ; pour une commune ou un département, "
        "la somme sur ses QPV.</p>"
        f"<p><strong>Période.</strong> Du {day_text(period.start)} au {day_text(period.end)}, "
        f"comparée à la période de même durée qui la précède (du {day_text(previous.start)} au "
        f"{day_text(previous.end)}) ; tendance mensuelle du {day_text(trend.start)} au "
        f"{day_text(trend.end)}.</p>"
        "<p><strong>Secret statistique.</strong> Tout effectif inférieur à 5, zéro compris, "
        f"est masqué (noté « {HIDDEN} »), ainsi que les effectifs qu'il faut masquer en "
        "complément pour qu'aucun effectif masqué ne puisse être recalculé à partir des totaux "
        "publiés (total, domaines, catégories, mois, plaintes, cibles, logements). Les taux et "
        f"les parts ne sont calculés qu'à partir de valeurs publiées (« {NOT_AVAILABLE} » "
        "sinon). Le recoupement de rapports portant sur des périodes ou des territoires "
        "différents n'est pas couvert : ce document est à diffusion restreinte.</p>"
        "<p><strong>Ce que Vigie ne saisit pas.</strong> Le lieu des agressions (hall, cage "
        "d'escalier, cave, parking, domicile ou bureau de l'agent…) et leur élément déclencheur "
        "(rappel du règlement, demande refusée, visite technique, conflit de voisinage…) ne "
        "figurent pas dans les événements : ce rapport ne les estime pas. Les faits non "
        "déclarés par les bailleurs, et ceux survenus hors de leur patrimoine, n'y sont pas."
        "</p></div>"
    )


# --- Helpers -----------------------------------------------------------------------------------


def _dwellings_of(qpv_id: str, inputs: SituationInputs, figures: SituationFigures) -> int | None:
    """A QPV's published dwellings (the territory's own when the report is about that QPV)."""
    if qpv_id == inputs.place["territory_id"]:
        return figures.value("dwellings")
    return figures.value(f"qpv.{qpv_id}.dwellings")


def _letter(index: int) -> str:
    """A, B, … Z, then AA, AB…: map labels that are not numbers."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _box(rings: Sequence[Ring]) -> tuple[float, float, float, float]:
    lons = [x for ring in rings for x, _ in ring]
    lats = [y for ring in rings for _, y in ring]
    # Room around the territory for its neighbours, more for a single small QPV.
    pad_x = (max(lons) - min(lons)) * 0.15 + 0.004
    pad_y = (max(lats) - min(lats)) * 0.15 + 0.003
    return (min(lons) - pad_x, min(lats) - pad_y, max(lons) + pad_x, max(lats) + pad_y)


def _inside(box: tuple[float, float, float, float], point: Point) -> bool:
    west, south, east, north = box
    return west <= point[0] <= east and south <= point[1] <= north


def _as_float(value: int | None) -> float | None:
    return None if value is None else float(value)


def _opened(value: Any) -> str:
    if not value:
        return ""
    try:
        return day_text(datetime.fromisoformat(str(value)).astimezone(PARIS).date())
    except ValueError:
        return escape(str(value))

/* The CLSPD partner view of the dashboard (keys whose /v1/me says `scope: shared`).
 * All landlords together; the server hides small counts (null), drawn here as "< 5" and never as
 * 0 or a blank. Every figure comes from /v1/shared/...: the summary, the monthly series, the
 * ranking of the key's territories (which also colours the map) and the complaint gap. Uses
 * app.js's helpers (loaded after this file, called only once the page has started). */
"use strict";


/* The first day of the month eleven months before `to`: the trend covers twelve months. */
function twelveMonthsBefore(to) {
  const [y, m] = to.split("-").map(Number);
  return new Date(Date.UTC(y, m - 12, 1)).toISOString().slice(0, 10);
}

async function renderShared(id, period) {
  try {
    const [summary, series, ranking, gap] = await Promise.all([
      api(`/v1/shared/territories/${encodeURIComponent(id)}/summary`, period),
      api(`/v1/shared/territories/${encodeURIComponent(id)}/timeseries`, { bucket: "month", from: twelveMonthsBefore(period.to), to: period.to }),
      api("/v1/shared/rankings", period),
      api(`/v1/shared/territories/${encodeURIComponent(id)}/complaint-gap`, period),
    ]);
    for (const place of [...ranking.territories, ...ranking.items]) state.places.set(place.territory_id, place);
    fillSharedPicker(ranking, id);
    renderHeader(summary);
    renderKpis(summary);
    renderSharedMap(ranking, id);
    renderTrend(series);
    $("trend-hint").prepend(el("span", { text: "12 derniers mois · " }));
    renderBreakdown(summary);
    renderSharedRanking(ranking, id);
    renderSharedGap(gap);
    for (const alert of summary.open_alerts || []) state.alerts.set(alert.alert_id, alert);
    renderAlerts();
    document.dispatchEvent(new CustomEvent("vigie:rendered", { detail: { id, summary } })); /* network.js */
  } catch (error) {
    if (error.status !== 401) toast(`Chargement impossible : ${error.message}`);
  } finally {
    document.body.classList.remove("loading");
  }
}

function fillSharedPicker(ranking, selected) {
  const byName = (a, b) => a.name.localeCompare(b.name, "fr");
  const own = new Set(ranking.territories.map((t) => t.territory_id));
  const option = (p) => el("option", { value: p.territory_id, text: p.name });
  const qpvs = ranking.items.filter((i) => !own.has(i.territory_id)).sort(byName);
  $("pick-region").replaceChildren(
    el("optgroup", { label: "Vos territoires" }, ranking.territories.map(option)),
    ...(qpvs.length ? [el("optgroup", { label: "Quartiers prioritaires" }, qpvs.map(option))] : []),
  );
  $("pick-region").value = selected;
}

function renderSharedMap(ranking, selected) {
  if (!ranking.items.some((i) => state.geo.has(i.territory_id))) {
    $("map").replaceChildren(el("p", { class: "muted note", text: "Aucun quartier prioritaire cartographié dans vos territoires." }));
    $("legend").replaceChildren();
    return;
  }
  renderMap(ranking.items, selected, selected, { shapes: true });
  $("map-hint").textContent = "vos quartiers prioritaires — cliquez un quartier";
}

function renderSharedRanking(ranking, selected) {
  const rows = ranking.items.map((i) => el("tr", {
    "data-territory": i.territory_id,
    class: `${i.territory_id === selected ? "selected" : ""}${i.count == null ? " suppressed" : ""}`,
    onclick: () => select(i.territory_id),
  }, [
    // A hidden count has no rank: hidden rows come last, by name (their order would tell).
    el("td", { text: i.count == null ? "—" : String(i.rank) }), el("td", { text: i.name }),
    el("td", { text: i.departement_code || "" }),
    el("td", { class: "num", text: fmt(i.count) }), el("td", { class: "num", text: rate(i.rate_per_1000_dwellings) }),
  ]));
  $("ranking").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "5", class: "muted", text: "Aucun quartier dans vos territoires." }))]));
  $("ranking-hint").textContent = "vos territoires · taux pour 1 000 logements";
  $("ranking-note").replaceChildren(...ranking.territories.filter((t) => t.qpv_count).map((t) => el("div", {
    text: `${t.name} : ${fmt(t.count)} faits, dont ${fmt(t.outside_qpv)} hors quartiers prioritaires`,
  })));
}

/* By category (facts and plaintes) and by target (facts only: the counters do not cross target
 * and complaint). */
function renderSharedGap(gap) {
  renderGapSummary(gap.total);
  $("gap-left-title").textContent = "Par catégorie"; $("gap-right-title").textContent = "Par cible (faits)";
  $("gap").replaceChildren(gapLegend(), ...gapList(gap.by_category, categoryLabel));
  $("gap-territory").replaceChildren(gapLegend(), ...gapList(gap.by_target, (g) => TARGET_LABEL[g.target] || g.target, false));
}

/* The situation report: fetched with the bearer token (a link could not send it), saved. */
async function downloadReport() {
  const button = $("report");
  button.disabled = true;
  try {
    const url = new URL(`/v1/shared/territories/${encodeURIComponent(state.current)}/report.pdf`, location.origin);
    url.searchParams.set("from", state.from); url.searchParams.set("to", state.to);
    const response = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
    if (!response.ok) {
      toast(response.status === 404 ? "Rapport indisponible pour ce territoire." : `Rapport impossible (${response.status}).`);
      return;
    }
    const href = URL.createObjectURL(await response.blob());
    const link = el("a", { href, download: `rapport-situation-${state.current}-${state.from}-${state.to}.pdf` });
    document.body.append(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
  } catch (error) {
    toast(`Rapport impossible : ${error.message}`);
  } finally {
    button.disabled = false;
  }
}
document.getElementById("report").addEventListener("click", downloadReport);

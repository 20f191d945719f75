/* Vigie dashboard: vanilla JS + SVG, no third-party code, works offline.
 * Authentication: the page holds no data; it asks for a bearer token (or takes it from a
 * `#token=…` fragment, which never reaches the server) and keeps it in sessionStorage for this
 * tab only. Every /v1 call sends it. */
"use strict";

const TOKEN_KEY = "vigie.token";
const NF = new Intl.NumberFormat("fr-FR");
const NF1 = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });
const EUR = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
const DOMAIN_COLOURS = {
  cadre_de_vie: "#2a9d8f", qualite_service: "#457b9d",
  vivre_ensemble: "#e9c46a", prevention_insecurite: "#e4572e",
};
const RAMP = ["#fff3c4", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"];
const EMPTY = "#dfe5ec";
const MASKED = "#b8c2cc"; /* a suppressed count (shared view): not zero, not a rate */
const OVERSEAS = { 1: "Guadeloupe", 2: "Martinique", 3: "Guyane", 4: "La Réunion", 6: "Mayotte" };
const overseas = (regionCode) => OVERSEAS[Number(regionCode)];
const KIND_LABEL = { pays: "Pays", region: "Région", departement: "Département", commune: "Commune", qpv: "Quartier prioritaire" };
const SVGNS = "http://www.w3.org/2000/svg";

const state = {
  token: null, me: null, shared: false, nomenclature: null,
  places: new Map(), geo: new Map(), current: "FR", from: null, to: null,
  alerts: new Map(), streamAbort: null,
};

/* ---------- small helpers ---------- */
const $ = (id) => document.getElementById(id);
/* `style` goes through the CSSOM: the Content-Security-Policy refuses style attributes. */
function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "style") node.style.cssText = v; else node.setAttribute(k, v);
  }
  for (const child of [].concat(children)) if (child != null) node.append(child);
  return node;
}
function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of [].concat(children)) if (child != null) node.append(child);
  return node;
}
const fmt = (n) => (n == null ? "< 5" : NF.format(n));
const NF2 = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });
/* Rates per 1,000 dwellings: two decimals below 1 so that a large area is not shown as 0. */
const rate = (x) => (x == null ? "—" : x < 1 ? NF2.format(x) : NF1.format(x));
const pct = (x) => (x == null ? "—" : `${NF1.format(x * 100)} %`);
function parisToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date());
}
function addDays(iso, days) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
function frDate(iso) {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}
function toast(message) {
  const box = $("toast");
  box.textContent = message; box.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

/* ---------- API ---------- */
class HttpError extends Error {
  constructor(status, body) { super(body && body.detail ? body.detail : `HTTP ${status}`); this.status = status; }
}
async function api(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") url.searchParams.set(k, v);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) {
    let body = null; try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (response.status === 401) showLogin("Clé refusée ou révoquée.");
    throw new HttpError(response.status, body);
  }
  return response.json();
}

/* ---------- login ---------- */
function takeToken() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}
/* Links in alert notifications open a territory: `#territory=QN09337M`. */
function hashTerritory() {
  const match = location.hash.match(/territory=([^&]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}
window.addEventListener("hashchange", () => { const id = hashTerritory(); if (id && state.me) select(id); });
function showLogin(error) {
  $("login").hidden = false;
  $("login-error").hidden = !error; $("login-error").textContent = error || "";
  $("token").focus();
}
$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("login").hidden = true;
  start();
});
$("logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); location.reload(); });

/* ---------- start ---------- */
async function start() {
  state.token = takeToken();
  if (!state.token) { showLogin(); return; }
  try {
    state.me = await api("/v1/me");
  } catch (error) { if (error.status !== 401) toast(error.message); return; }
  state.shared = state.me.scope === "shared";
  $("who").textContent = describeKey(state.me);
  state.to = state.to || parisToday();
  state.from = state.from || addDays(state.to, -29);
  $("from").value = state.from; $("to").value = state.to;
  const [nomenclature, places, geo] = await Promise.all([
    api("/v1/nomenclature"),
    state.shared ? Promise.resolve({ items: [] }) : api("/v1/territories", { limit: 5000 }),
    fetch("/geo/qpv.json").then((r) => r.json()),
  ]);
  state.nomenclature = nomenclature;
  for (const place of places.items) state.places.set(place.territory_id, place);
  for (const qpv of geo.qpvs) state.geo.set(qpv.id, qpv);
  if (state.shared) {
    state.current = state.me.territory_ids[0];
    $("export").hidden = true;
    $("report").hidden = false;
  }
  const linked = hashTerritory();
  if (linked && !state.shared) state.current = linked;
  fillPickers();
  await render();
  streamAlerts();
}
function describeKey(me) {
  if (me.role === "admin") return "administrateur — tous les bailleurs";
  if (me.scope === "shared") return `partenaire CLSPD — vue partagée (${me.territory_ids.join(", ")})`;
  if (me.role === "manager") return `responsable sécurité — ${(me.territory_ids || []).join(", ") || me.landlord_id || ""}`;
  return `bailleur ${me.landlord_id}`;
}

$("period").addEventListener("submit", (event) => {
  event.preventDefault();
  if ($("from").value > $("to").value) { toast("La date de début doit précéder la date de fin."); return; }
  state.from = $("from").value; state.to = $("to").value;
  render();
});
$("export").addEventListener("click", async (event) => {
  event.preventDefault();
  const url = `/v1/exports/counts.csv?from=${state.from}&to=${state.to}&kind=qpv`;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) { toast("Export impossible."); return; }
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `vigie-${state.from}-${state.to}.csv` });
  document.body.append(link); link.click(); link.remove();
});

/* ---------- territories ---------- */
function placesOf(kind, filter = () => true) {
  return [...state.places.values()].filter((p) => p.kind === kind && filter(p))
    .sort((a, b) => a.name.localeCompare(b.name, "fr"));
}
function fillPickers() {
  const region = $("pick-region"), dep = $("pick-departement");
  if (state.shared) {
    region.replaceChildren(...state.me.territory_ids.map((id) => el("option", { value: id, text: nameOf(id) })));
    dep.hidden = true;
    region.onchange = () => select(region.value);
    return;
  }
  region.replaceChildren(el("option", { value: "", text: "Toutes les régions" }),
    ...placesOf("region").map((p) => el("option", { value: p.territory_id, text: p.name })));
  region.onchange = () => select(region.value || "FR");
  dep.onchange = () => select(dep.value || (region.value || "FR"));
}
function lineage(id) {
  const place = state.places.get(id);
  const chain = [{ id: "FR", name: "France" }];
  if (!place || place.kind === "pays") return chain;
  if (place.region_code) chain.push({ id: `REG-${place.region_code}`, name: nameOf(`REG-${place.region_code}`) });
  if (place.departement_code && place.kind !== "region") {
    chain.push({ id: `DEP-${place.departement_code}`, name: nameOf(`DEP-${place.departement_code}`) });
  }
  if (place.kind === "commune" || place.kind === "qpv") chain.push({ id, name: place.name });
  return chain;
}
function nameOf(id) { return (state.places.get(id) || { name: id }).name; }
/* The map and the ranking show the QPVs of this territory. */
function contextOf(id) {
  const place = state.places.get(id);
  if (!place || place.kind === "pays" || place.kind === "region" || place.kind === "departement") return id;
  return `DEP-${place.departement_code}`;
}
async function select(id) {
  state.current = id;
  await render();
}

/* ---------- rendering ---------- */
async function render() {
  const id = state.current;
  const period = { from: state.from, to: state.to };
  document.body.classList.add("loading");
  if (state.shared) { await renderShared(id, period); return; }
  const context = contextOf(id);
  const bucket = daysBetween(state.from, state.to) <= 62 ? "day" : daysBetween(state.from, state.to) <= 400 ? "week" : "month";
  try {
    const [summary, series, ranking, gap, gapByPlace] = await Promise.all([
      api(`/v1/territories/${id}/summary`, period),
      api(`/v1/territories/${id}/timeseries`, { ...period, bucket }),
      api("/v1/rankings", { ...period, within: context, metric: "rate_per_1000_dwellings", limit: 5000 }),
      api(`/v1/territories/${encodeURIComponent(id)}/complaint-gap`, period),
      api("/v1/complaint-gap", { ...period, group_by: "territory", territory_id: id }),
    ]);
    renderHeader(summary);
    renderKpis(summary);
    renderMap(ranking.items, context, id);
    renderTrend(series);
    renderBreakdown(summary);
    renderRanking(ranking.items, id);
    renderGap(gap, gapByPlace);
    for (const alert of summary.open_alerts || []) state.alerts.set(alert.alert_id, alert);
    renderAlerts();
    document.dispatchEvent(new CustomEvent("vigie:rendered", { detail: { id, summary } })); /* network.js */
  } catch (error) {
    if (error.status !== 401) toast(`Chargement impossible : ${error.message}`);
  } finally {
    document.body.classList.remove("loading");
  }
}
function daysBetween(a, b) { return Math.round((Date.parse(b) - Date.parse(a)) / 86400000) + 1; }

function renderHeader(summary) {
  $("territory-name").textContent = summary.name;
  const dwellings = summary.social_dwellings ? ` · ${NF.format(summary.social_dwellings)} logements sociaux` : "";
  $("territory-meta").textContent = `${KIND_LABEL[summary.kind] || summary.kind} · du ${frDate(summary.from)} au ${frDate(summary.to)}${dwellings}`;
  $("as-of").textContent = summary.as_of
    ? `Données à jour au ${new Date(summary.as_of).toLocaleString("fr-FR", { timeZone: "Europe/Paris" })}`
    : "Aucune donnée encore agrégée";
  const crumbs = state.shared ? [{ id: summary.territory_id, name: summary.name }] : lineage(summary.territory_id);
  $("breadcrumb").replaceChildren(...crumbs.map((c) => el("li", {}, el("a", { "data-territory": c.id, text: c.name, onclick: () => select(c.id) }))));
  if (!state.shared) {
    const place = state.places.get(summary.territory_id);
    const regionCode = place && place.region_code;
    $("pick-region").value = regionCode ? `REG-${regionCode}` : "";
    const deps = regionCode ? placesOf("departement", (p) => p.region_code === regionCode) : placesOf("departement");
    $("pick-departement").replaceChildren(el("option", { value: "", text: "Tous les départements" }),
      ...deps.map((p) => el("option", { value: p.territory_id, text: `${p.code} — ${p.name}` })));
    $("pick-departement").value = place && place.departement_code && place.kind !== "region" ? `DEP-${place.departement_code}` : "";
  }
  $("export").href = "#";
}

function kpi(label, value, sub, cls = "") {
  return el("div", { class: "kpi" }, [
    el("div", { class: "label", text: label }),
    el("div", { class: `value ${cls}`, text: value }),
    el("div", { class: "sub", text: sub || "" }),
  ]);
}
function renderKpis(s) {
  const trend = s.trend_pct;
  const trendText = trend == null ? "—" : `${trend > 0 ? "▲ +" : trend < 0 ? "▼ " : ""}${NF1.format(trend)} %`;
  $("kpis").replaceChildren(
    kpi("Faits signalés", fmt(s.total), s.suppressed && s.total == null ? "masqué (moins de 5)" : `${fmt(s.previous_total)} la période précédente`),
    kpi("Taux pour 1 000 logements", rate(s.rate_per_1000_dwellings), s.social_dwellings ? `${NF.format(s.social_dwellings)} logements sociaux` : "logements non publiés"),
    kpi("Évolution", trendText, "vs période précédente de même durée", trend > 0 ? "up" : trend < 0 ? "down" : ""),
    kpi("Taux de plainte", pct(s.complaint_rate), `${fmt(s.by_complaint.plainte)} plaintes déposées`),
    kpi("Atteintes aux personnels", fmt(s.staff_targeted), "gardiens, agents et prestataires"),
    kpi("Coût des dégâts", s.cost_eur == null ? "—" : EUR.format(s.cost_eur), "réparations déclarées"),
  );
}

/* ---------- map ---------- */
function colourScale(values) {
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!sorted.length) return { colour: () => EMPTY, breaks: [], shade: () => EMPTY };
  // Quantile breaks, without repeats when few territories have incidents.
  const breaks = [...new Set([1, 2, 3, 4, 5].map((i) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * i) / 6))]))];
  if (breaks.length && breaks[breaks.length - 1] === sorted[sorted.length - 1]) breaks.pop();
  // With few classes, spread them over the whole ramp: the top class is always the darkest.
  const shade = (i) => RAMP[breaks.length ? Math.round((i * (RAMP.length - 1)) / breaks.length) : RAMP.length - 1];
  const colour = (v) => {
    if (!v) return EMPTY;
    let i = 0; while (i < breaks.length && v > breaks[i]) i += 1;
    return shade(i);
  };
  return { colour, breaks, shade };
}
function projector(points, box) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon, lat] of points) { x0 = Math.min(x0, lon); x1 = Math.max(x1, lon); y0 = Math.min(y0, lat); y1 = Math.max(y1, lat); }
  const k = Math.cos((((y0 + y1) / 2) * Math.PI) / 180);
  const w = Math.max((x1 - x0) * k, 0.01), h = Math.max(y1 - y0, 0.01);
  const scale = Math.min((box.w - 2 * box.pad) / w, (box.h - 2 * box.pad) / h);
  const ox = box.x + (box.w - w * scale) / 2, oy = box.y + (box.h - h * scale) / 2;
  return ([lon, lat]) => [ox + (lon - x0) * k * scale, oy + (y1 - lat) * scale];
}
function renderMap(items, context, selected, opts = {}) {
  const W = 600, H = 545;
  const byId = new Map(items.map((i) => [i.territory_id, i]));
  const { colour, breaks, shade } = colourScale(items.map((i) => i.rate_per_1000_dwellings || 0));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "xMidYMid meet" });
  const kind = (state.places.get(context) || { kind: "pays" }).kind;
  const shapes = opts.shapes ?? kind === "departement";
  const entries = items.map((i) => [i, state.geo.get(i.territory_id)]).filter(([, g]) => g);
  const title = (i) => `${i.name} (${i.departement_code}) — ${fmt(i.count)} faits, ${i.rate_per_1000_dwellings == null ? "taux —" : `${rate(i.rate_per_1000_dwellings)} ‰`}`;
  const draw = (group, list, project, radius) => {
    for (const [item, geo] of list) {
      const attrs = { class: `qpv${item.territory_id === selected ? " selected" : ""}`, fill: item.count == null ? MASKED : colour(item.rate_per_1000_dwellings), "data-territory": item.territory_id, onclick: () => select(item.territory_id) };
      let shape;
      if (shapes) {
        const d = geo.rings.map((ring) => `M${ring.map((p) => project(p).map((v) => v.toFixed(1)).join(",")).join("L")}Z`).join("");
        shape = svg("path", { ...attrs, d });
      } else {
        const [cx, cy] = project(geo.c);
        shape = svg("circle", { ...attrs, cx: cx.toFixed(1), cy: cy.toFixed(1), r: radius(item).toFixed(1) });
      }
      shape.append(svg("title", { text: title(item) }));
      group.append(shape);
    }
  };
  if (kind === "pays") {
    const metro = entries.filter(([i]) => !overseas(i.region_code));
    const project = projector(metro.map(([, g]) => g.c), { x: 110, y: 0, w: W - 110, h: H, pad: 10 });
    const group = svg("g");
    draw(group, metro.sort(([a], [b]) => (a.rate_per_1000_dwellings || 0) - (b.rate_per_1000_dwellings || 0)), project, (i) => 1.8 + Math.sqrt(i.social_dwellings || 0) / 45);
    root.append(group);
    Object.entries(OVERSEAS).forEach(([code, label], n) => {
      const list = entries.filter(([i]) => Number(i.region_code) === Number(code));
      const box = { x: 4, y: 6 + n * 106, w: 96, h: 96, pad: 10 };
      root.append(svg("rect", { class: "inset", x: box.x, y: box.y, width: box.w, height: box.h, rx: 6 }));
      root.append(svg("text", { class: "inset-label", x: box.x + 5, y: box.y + 12, text: label }));
      if (list.length) draw(root, list, projector(list.map(([, g]) => g.c), { ...box, y: box.y + 10, h: box.h - 10 }), () => 3.2);
    });
  } else {
    const points = shapes ? entries.flatMap(([, g]) => g.rings.flat()) : entries.map(([, g]) => g.c);
    const project = projector(points.length ? points : [[2, 46], [3, 47]], { x: 0, y: 0, w: W, h: H, pad: 16 });
    draw(root, entries, project, (i) => 3 + Math.sqrt(i.social_dwellings || 0) / 22);
  }
  $("map").replaceChildren(root);
  const legend = [el("span", { text: "Taux ‰ :" }), el("span", { class: "sw", style: `background:${EMPTY}` }), el("span", { text: "0" })];
  let low = 0;
  breaks.forEach((b, n) => {
    legend.push(el("span", { class: "sw", style: `background:${shade(n)}` }), el("span", { text: `${rate(low)}–${rate(b)}` }));
    low = b;
  });
  if (items.some((i) => i.rate_per_1000_dwellings)) legend.push(el("span", { class: "sw", style: `background:${shade(breaks.length)}` }), el("span", { text: `> ${rate(low)}` }));
  if (items.some((i) => i.count == null)) legend.push(el("span", { class: "sw", style: `background:${MASKED}` }), el("span", { text: "masqué (< 5)" }));
  $("legend").replaceChildren(...legend);
  $("map-hint").textContent = shapes ? "périmètres des QPV — cliquez un quartier" : "un point par QPV (taille : logements sociaux) — cliquez un quartier";
}

/* ---------- charts ---------- */
function renderTrend(series) {
  const W = 640, H = 240, L = 40, B = 24, T = 10;
  const points = series.points;
  const top = Math.max(1, ...points.map((p) => p.incidents || 0));
  const step10 = 10 ** Math.floor(Math.log10(top / 4 || 1));
  // Four gridlines at a round whole step (1, 2, 3, 4, 5, 6, 8 × 10^k).
  const tick = Math.max(1, [1, 2, 3, 4, 5, 6, 8, 10].map((m) => m * step10).find((t) => t * 4 >= top) || step10 * 10);
  const max = tick * 4;
  const step = (W - L - 8) / Math.max(points.length, 1);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}` });
  for (let i = 0; i <= 4; i += 1) {
    const v = tick * i;
    root.append(svg("line", { class: "grid-line", x1: L, x2: W, y1: y(v), y2: y(v) }));
    root.append(svg("text", { class: "axis", x: L - 6, y: y(v) + 3, "text-anchor": "end", text: NF.format(v) }));
  }
  const every = Math.ceil(points.length / 8);
  const month = new Intl.DateTimeFormat("fr-FR", { month: "short", year: "2-digit", timeZone: "UTC" });
  const tickLabel = (iso) => (series.bucket === "month" ? month.format(new Date(`${iso}T12:00:00Z`)) : frDate(iso).slice(0, 5));
  points.forEach((p, n) => {
    const x = L + n * step;
    if (p.incidents == null) {
      const masked = svg("text", { class: "axis masked", x: x + step / 2, y: H - B - 4, "text-anchor": "middle", text: "< 5" });
      masked.append(svg("title", { text: `${frDate(p.bucket)} : moins de 5 faits (masqué)` }));
      root.append(masked);
      if (n % every === 0) root.append(svg("text", { class: "axis", x: x + step / 2, y: H - 8, "text-anchor": "middle", text: tickLabel(p.bucket) }));
      return;
    }
    const bar = svg("rect", { class: "bar", x: x + step * 0.12, width: Math.max(step * 0.76, 1), y: y(p.incidents), height: H - B - y(p.incidents), rx: 2 });
    bar.append(svg("title", { text: `${frDate(p.bucket)} : ${fmt(p.incidents)} faits, ${fmt(p.plainte)} plaintes` }));
    root.append(bar);
    if (n % every === 0) root.append(svg("text", { class: "axis", x: x + step / 2, y: H - 8, "text-anchor": "middle", text: tickLabel(p.bucket) }));
  });
  // A hidden count of plaintes breaks the line rather than drawing it at zero.
  let pen = "M";
  const line = points.map((p, n) => {
    if (p.plainte == null) { pen = "M"; return ""; }
    const segment = `${pen}${(L + n * step + step / 2).toFixed(1)},${y(p.plainte).toFixed(1)}`;
    pen = "L";
    return segment;
  }).join("");
  if (line) root.append(svg("path", { class: "line", d: line }));
  $("trend").replaceChildren(root);
  const label = { day: "par jour", week: "par semaine", month: "par mois" }[series.bucket];
  $("trend-hint").replaceChildren(el("span", { text: `faits ${label} · ` }), el("span", { class: "accent", text: "— plaintes" }));
}

function barRow(name, value, max, colour, inner) {
  const width = value == null ? 0 : (100 * value) / max;
  const track = el("div", { class: "track" }, [el("div", { class: "fill", style: `width:${width}%;background:${colour}` })]);
  if (inner != null) track.append(el("div", { class: "plainte", style: `width:${(100 * inner) / max}%` }));
  return el("div", { class: "row" }, [el("span", { class: "name", title: name, text: name }), track, el("span", { class: `num${value == null ? " suppressed" : ""}`, text: fmt(value) })]);
}
function renderBreakdown(s) {
  const groups = state.nomenclature.domains.map((domain) => {
    const cats = state.nomenclature.categories.filter((c) => c.domain === domain.code);
    return { domain, cats };
  });
  const max = Math.max(1, ...Object.values(s.by_category).map((v) => v || 0));
  $("breakdown").replaceChildren(...groups.map(({ domain, cats }) => el("div", { class: "domain" }, [
    el("div", { class: "domain-title" }, [el("span", { style: `color:${DOMAIN_COLOURS[domain.code]}`, text: domain.label }), el("span", { class: s.by_domain[domain.code] == null ? "suppressed" : "", text: fmt(s.by_domain[domain.code]) })]),
    ...cats.sort((a, b) => (s.by_category[b.code] || 0) - (s.by_category[a.code] || 0))
      .map((c) => barRow(capitalise(c.label), s.by_category[c.code], max, DOMAIN_COLOURS[domain.code])),
  ])));
}
const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function renderRanking(items, selected) {
  const top = items.filter((i) => i.count > 0).slice(0, 12);
  const rows = top.map((i, n) => el("tr", { "data-territory": i.territory_id, class: i.territory_id === selected ? "selected" : "", onclick: () => select(i.territory_id) }, [
    el("td", { text: String(n + 1) }), el("td", { text: i.name }), el("td", { text: i.departement_code || "" }),
    el("td", { class: "num", text: NF.format(i.count) }), el("td", { class: "num", text: rate(i.rate_per_1000_dwellings) }),
  ]));
  $("ranking").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "5", class: "muted", text: "Aucun fait sur la période." }))]));
}

function gapRows(groups, onpick) {
  const shown = groups.filter((g) => g.incidents > 0).slice(0, 10);
  const max = Math.max(1, ...shown.map((g) => g.incidents));
  return shown.map((g) => {
    const row = barRow(capitalise(g.label), g.incidents, max, "#f6b6a2", g.plainte);
    row.title = `${g.label} : ${NF.format(g.incidents)} faits, ${NF.format(g.plainte)} plaintes, écart ${NF.format(g.gap)} (taux de plainte ${pct(g.complaint_rate)})`;
    if (onpick) { row.classList.add("pick"); row.addEventListener("click", () => onpick(g.key)); }
    return row;
  });
}
const gapLegend = () => el("div", { class: "legend-line" }, [el("span", { class: "sw declared" }), el("span", { text: " faits déclarés  " }), el("span", { class: "sw plainte" }), el("span", { text: " dont plainte" })]);
/* The complaint gap beside the counts: reported facts (bar), those with a plainte (inner bar),
 * the share with a plainte and how it moved. Used by both views (partner.js). A null count is
 * hidden by the shared view: "< 5"; by target the counters do not know the plaintes. */
const TARGET_LABEL = {
  patrimoine: "Patrimoine", personnel: "Personnel du bailleur", prestataire: "Prestataires",
  locataire: "Locataires, habitants", autre: "Autres",
};
const signedPts = (x) => (x == null ? "" : `${x > 0 ? "+" : ""}${NF1.format(x)} pt`);
function gapShareRow(label, g, max, withComplaints) {
  const row = barRow(capitalise(label), g.incidents, max, "#f6b6a2", withComplaints ? g.plainte : null);
  row.classList.add("gap-row");
  row.append(el("span", { class: "share", text: withComplaints ? pct(g.share) : "" }));
  const trend = g.trend_pts == null ? "" : ` (${signedPts(g.trend_pts)})`;
  row.title = withComplaints
    ? `${label} : ${fmt(g.incidents)} faits, ${fmt(g.plainte)} avec plainte, part avec plainte ${pct(g.share)}${trend}`
    : `${label} : ${fmt(g.incidents)} faits`;
  return row;
}
function gapList(groups, labelOf, withComplaints = true) {
  const shown = groups.filter((g) => g.incidents != null && g.incidents > 0).sort((a, b) => b.incidents - a.incidents);
  const hidden = groups.filter((g) => g.incidents == null).length;
  const max = Math.max(1, ...shown.map((g) => g.incidents));
  const rows = shown.slice(0, 10).map((g) => gapShareRow(labelOf(g), g, max, withComplaints));
  if (hidden) rows.push(el("div", { class: "muted suppressed", text: `${hidden} autre${hidden > 1 ? "s" : ""} masqué${hidden > 1 ? "s" : ""} (< 5)` }));
  return rows;
}
const categoryLabel = (g) => (state.nomenclature.categories.find((c) => c.code === g.category) || { label: g.category }).label;
function renderGapSummary(t) {
  const without = t.incidents != null && t.plainte != null ? t.incidents - t.plainte : null;
  const trend = t.trend_pts == null ? "" : ` · ${signedPts(t.trend_pts)} vs période précédente`;
  $("gap-summary").replaceChildren(
    el("strong", { class: without == null ? "suppressed" : "", text: without == null ? "< 5" : NF.format(without) }),
    el("span", { text: ` faits sans plainte sur ${fmt(t.incidents)} déclarés — part avec plainte ${pct(t.share)}${trend}` }),
  );
}
function renderGap(gap, byPlace) {
  renderGapSummary(gap.total);
  $("gap-left-title").textContent = "Par catégorie"; $("gap-right-title").textContent = "Par quartier";
  $("gap").replaceChildren(gapLegend(), ...gapList(gap.by_category, categoryLabel));
  $("gap-territory").replaceChildren(gapLegend(), ...gapRows(byPlace.groups, (id) => select(id)));
}

/* ---------- alerts (live) ---------- */
const LEVEL_LABEL = { vigilance: "Vigilance", alerte: "Alerte", critique: "Critique" };
const mayAcknowledge = () => state.me && (state.me.role === "admin" || state.me.role === "manager");
function renderAlerts(freshId) {
  const list = [...state.alerts.values()].filter((a) => a.state !== "resolved")
    .sort((a, b) => String(b.changed_at || "").localeCompare(String(a.changed_at || "")));
  $("alerts").replaceChildren(...(list.length ? list.map((a) => el("li", {
    class: `${a.level || ""}${a.alert_id === freshId ? " fresh" : ""}`, "data-alert": a.alert_id,
    title: "Ouvrir le territoire", onclick: () => { if (!state.shared) select(a.territory_id); },
  }, [
    el("div", { class: "level", text: `${LEVEL_LABEL[a.level] || a.level || "—"}${a.state === "acknowledged" ? ` · pris en compte${a.acknowledged_by ? ` par ${a.acknowledged_by}` : ""}` : ""}` }),
    el("div", { text: a.territory_name || nameOf(a.territory_id) }),
    el("div", { class: "muted", text: `${a.rule_name || a.rule_id || ""}${a.value != null ? ` · valeur ${NF1.format(a.value)}` : ""}${a.threshold != null ? ` / seuil ${NF1.format(a.threshold)}` : ""}` }),
    a.state === "open" && mayAcknowledge() ? el("button", {
      class: "ack", type: "button", text: "Accuser réception",
      onclick: (event) => { event.stopPropagation(); acknowledge(a); },
    }) : null,
  ])) : [el("li", { class: "empty", text: "Aucune alerte ouverte." })]));
  document.dispatchEvent(new CustomEvent("vigie:alerts")); /* network.js follows live changes */
}
async function acknowledge(alert) {
  try {
    const response = await fetch(`/v1/live/alerts/${encodeURIComponent(alert.alert_id)}/ack`, {
      method: "POST",
      headers: { Authorization: `Bearer ${state.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ note: "depuis le tableau de bord" }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `accusé de réception refusé (${response.status})`);
    state.alerts.set(body.alert_id, { ...alert, ...body });
    renderAlerts(body.alert_id);
    toast("Alerte prise en compte.");
  } catch (error) { toast(error.message); }
}
function setLive(on, text) { const badge = $("live"); badge.className = `live ${on ? "on" : "off"}`; badge.textContent = text; }
async function streamAlerts() {
  if (state.streamAbort) state.streamAbort.abort();
  const abort = new AbortController(); state.streamAbort = abort;
  try {
    const response = await fetch("/v1/live/alerts", { headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" }, signal: abort.signal });
    if (!response.ok) throw new Error(String(response.status));
    setLive(true, "en direct");
    const reader = response.body.getReader(); const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
        if (!data) continue;
        try {
          const alert = JSON.parse(data);
          if (alert.alert_id) { state.alerts.set(alert.alert_id, alert); renderAlerts(alert.alert_id); }
        } catch (_) { /* a comment or keep-alive */ }
      }
    }
  } catch (error) {
    if (abort.signal.aborted) return;
  }
  setLive(false, "alertes indisponibles");
  setTimeout(streamAlerts, 15000);
}

start();

/* The referents' network panel of the dashboard, for a territory: who to call (its referents,
 * relayed from the alerts service), field cases of the network (retours d'expérience) for its
 * categories, and for each of its live alerts what others did and "mobiliser les partenaires"
 * with the follow-up. Never for partner keys (shared view): staff contacts stay in the network,
 * and the server refuses them anyway. Uses app.js's helpers (state, api, el, $, toast…), loaded
 * before it; app.js and partner.js announce each render (`vigie:rendered`), app.js each alert
 * change (`vigie:alerts`).
 * No inline script, style or handler: the page's Content-Security-Policy forbids them. */
"use strict";

const PLACE_LABEL = {
  hall: "Hall", cage_escalier: "Cage d'escalier", cave: "Caves", parking: "Parking",
  abords: "Abords", local_commercial: "Local commercial", local_commun: "Local commun",
  toiture: "Toiture", ascenseur: "Ascenseur", logement: "Logement",
  espaces_verts: "Espaces verts", autre: "Autre lieu",
};
const ACTION_LABEL = {
  mediation: "Médiation", gardiennage_proximite: "Gardiennage, présence de proximité",
  videoprotection: "Vidéoprotection", travaux_residentialisation: "Travaux, résidentialisation",
  procedures_locatives: "Procédures locatives", partenariat_police_clspd: "Partenariat police / CLSPD",
  autre: "Autre",
};
const OUTCOME_LABEL = { resolu: "Résolu", ameliore: "Amélioré", sans_effet: "Sans effet", en_cours: "En cours" };
const FOLLOW_UP_LABEL = {
  sent: "Envoyé", received: "Reçu", taken_up: "Pris en charge",
  action_under_way: "Action en cours", closed: "Clos",
};
const CASES_SHOWN = 5;

const networkState = { territory: null, summary: null, opened: new Map() };

/* The panel is for the landlords' network: admins, landlords and managers (a manager bound to
 * territories only sees it beside the shared view); never partner keys. */
function networkAllowed() {
  return Boolean(state.me) && state.me.role !== "partner";
}
const mayMobilise = () => state.me && (state.me.role === "admin" || state.me.role === "manager");
const dateTime = (iso) => (iso ? new Date(iso).toLocaleString("fr-FR", { dateStyle: "short", timeStyle: "short" }) : "");

async function networkSend(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${state.token}`, "Content-Type": "application/json" },
    body: body == null ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(answer.detail || `refusé (${response.status})`), { status: response.status });
  return answer;
}

/* ---------- who to call ---------- */
async function renderReferents(id) {
  const list = $("network-referents");
  list.replaceChildren(el("li", { class: "muted", text: "Chargement…" }));
  try {
    const answer = await api("/v1/live/referents", { territory_id: id });
    if (networkState.territory !== id) return;
    const referents = answer.referents || [];
    list.replaceChildren(...(referents.length ? referents.map((r) => el("li", { class: "referent", "data-referent": r.referent_id }, [
      el("strong", { text: r.name }),
      el("span", { class: "muted", text: ` — ${r.role}${r.landlord_id ? ` (${r.landlord_id})` : ""}` }),
      el("div", {}, [
        r.email ? el("a", { href: `mailto:${r.email}`, text: r.email }) : null,
        r.phone ? el("a", { href: `tel:${r.phone.replace(/[^0-9+]/g, "")}`, class: "phone", text: r.phone }) : null,
      ]),
    ])) : [el("li", { class: "muted empty", text: "Aucun référent déclaré pour ce territoire." })]));
  } catch (error) {
    if (networkState.territory !== id) return;
    list.replaceChildren(el("li", { class: "muted empty", text: error.status === 503 ? "Annuaire des référents indisponible." : `Annuaire : ${error.message}` }));
  }
}

/* ---------- field cases ---------- */
function caseItem(c) {
  const meta = [PLACE_LABEL[c.place_kind] || c.place_kind, OUTCOME_LABEL[c.outcome] || c.outcome];
  if (c.cost_eur != null) meta.push(EUR.format(c.cost_eur));
  return el("li", { class: `case outcome-${c.outcome}`, "data-case": c.case_id }, [
    el("div", { class: "case-title" }, [el("strong", { text: c.title }), el("span", { class: "muted", text: ` · ${c.landlord_id} · ${frDate(c.updated_at.slice(0, 10))}` })]),
    el("div", { class: "muted", text: meta.join(" · ") }),
    el("div", { class: "tags" }, c.actions.map((a) => el("span", { class: "tag", text: ACTION_LABEL[a] || a }))),
    el("p", { text: c.situation }),
    el("p", { class: "result", text: `Résultat : ${c.result}` }),
  ]);
}
async function casesFor(categories) {
  const params = new URLSearchParams({ limit: String(CASES_SHOWN) });
  for (const code of categories) params.append("category", code);
  return api(`/v1/cases?${params}`);
}
/* The territory's categories with incidents over the period, most frequent first. */
function busyCategories(summary) {
  return Object.entries((summary && summary.by_category) || {})
    .filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([code]) => code);
}
function categoryLabels(codes) {
  const byCode = new Map(((state.nomenclature && state.nomenclature.categories) || []).map((c) => [c.code, c.label]));
  return codes.map((code) => byCode.get(code) || code).join(", ");
}
async function renderCases(id, summary) {
  const list = $("network-cases"), hint = $("network-cases-hint");
  const categories = busyCategories(summary);
  try {
    let answer = categories.length ? await casesFor(categories) : null;
    if (networkState.territory !== id) return;
    if (answer && answer.items.length) {
      hint.textContent = `pour ${categoryLabels(categories)}`;
    } else {
      answer = await api("/v1/cases", { limit: CASES_SHOWN });
      if (networkState.territory !== id) return;
      hint.textContent = "les plus récents du réseau";
    }
    list.replaceChildren(...(answer.items.length ? answer.items.map(caseItem) : [el("li", { class: "muted empty", text: "Aucun retour d'expérience partagé pour l'instant." })]));
  } catch (error) {
    if (networkState.territory === id) list.replaceChildren(el("li", { class: "muted empty", text: `Retours d'expérience : ${error.message}` }));
  }
}

/* ---------- alerts: what others did, mobilising partners ---------- */
const ALERTS_SHOWN = 10;
/* The live alerts on the territory or inside it (alerts name QPVs), the latest first. */
function territoryAlerts(id) {
  const inside = (a) => a.territory_id === id || lineage(a.territory_id).some((c) => c.id === id);
  return [...state.alerts.values()].filter((a) => a.state !== "resolved" && inside(a))
    .sort((a, b) => String(b.changed_at || "").localeCompare(String(a.changed_at || "")))
    .slice(0, ALERTS_SHOWN);
}
async function showOthers(alert, box) {
  const categories = Array.isArray(alert.categories) ? alert.categories : [];
  if (!categories.length) {
    box.replaceChildren(el("p", { class: "muted", text: "Cette alerte ne précise pas de catégorie : pas de retour d'expérience associé." }));
    return;
  }
  try {
    const answer = await casesFor(categories);
    box.replaceChildren(
      el("p", { class: "muted", text: `Retours d'expérience pour ${categoryLabels(categories)} (${answer.total})` }),
      el("ul", { class: "cases" }, answer.items.length ? answer.items.map(caseItem) : [el("li", { class: "muted empty", text: "Aucun pour ces catégories." })]),
    );
  } catch (error) { box.replaceChildren(el("p", { class: "muted", text: error.message })); }
}
/* The steps a manager records from the page, forward only (receipt is the partner's link). */
const STEPS = ["taken_up", "action_under_way", "closed"];
const FOLLOW_UP_ORDER = ["sent", "received", ...STEPS];
function nextSteps(m) {
  const at = FOLLOW_UP_ORDER.indexOf(m.state);
  return mayMobilise() ? STEPS.filter((s) => FOLLOW_UP_ORDER.indexOf(s) > at) : [];
}
async function recordStep(alert, m, stepState, list) {
  try {
    await networkSend("POST", `/v1/live/alerts/${encodeURIComponent(alert.alert_id)}/mobilisations/${encodeURIComponent(m.mobilisation_id)}/events`, { state: stepState });
    await loadMobilisations(alert, list);
  } catch (error) { toast(`Suivi refusé : ${error.message}`); }
}
function followUp(m, alert, list) {
  const events = m.events || [];
  const recipients = m.recipients || [];
  const steps = nextSteps(m);
  return el("li", { class: `mobilisation state-${m.state}`, "data-mobilisation": m.mobilisation_id }, [
    el("div", {}, [
      el("strong", { class: "follow-state", text: FOLLOW_UP_LABEL[m.state] || m.state }),
      el("span", { class: "muted", text: ` · envoyé ${dateTime(m.created_at)}${m.created_by ? ` par ${m.created_by}` : ""}` }),
    ]),
    m.note ? el("div", { class: "note", text: m.note }) : null,
    recipients.length ? el("div", { class: "muted", text: `Destinataires : ${recipients.map((r) => `${r.name}${r.organisation ? ` (${r.organisation})` : ""}${r.received_at ? ` — reçu ${dateTime(r.received_at)}` : ""}`).join(", ")}` }) : null,
    el("ol", { class: "events" }, events.map((e) => el("li", {
      text: `${FOLLOW_UP_LABEL[e.state] || e.state} — ${dateTime(e.at)}${e.actor ? ` — ${e.actor}` : ""}${e.note ? ` : ${e.note}` : ""}`,
    }))),
    steps.length ? el("div", { class: "actions" }, steps.map((step) => el("button", {
      type: "button", class: "step-button", "data-step": step, text: `Marquer « ${FOLLOW_UP_LABEL[step]} »`,
      onclick: () => recordStep(alert, m, step, list),
    }))) : null,
  ]);
}
async function loadMobilisations(alert, list) {
  try {
    const answer = await api(`/v1/live/alerts/${encodeURIComponent(alert.alert_id)}/mobilisations`);
    const items = Array.isArray(answer) ? answer : answer.mobilisations || [];
    list.replaceChildren(...(items.length ? items.map((m) => followUp(m, alert, list)) : [el("li", { class: "muted empty", text: "Aucun signalement envoyé." })]));
  } catch (error) {
    list.replaceChildren(el("li", { class: "muted empty", text: error.status === 503 ? "Suivi indisponible (service des alertes absent)." : `Suivi : ${error.message}` }));
  }
}
function mobiliseForm(alert, list) {
  const note = el("textarea", { name: "note", rows: "3", maxlength: "2000", required: "required", placeholder: "Situation, demande aux partenaires (CLSPD, mairie, police)…" });
  const form = el("form", { class: "mobilise-form" }, [
    el("label", { text: "Note jointe au signalement" }), note,
    el("button", { type: "submit", text: "Envoyer le signalement" }),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await networkSend("POST", `/v1/live/alerts/${encodeURIComponent(alert.alert_id)}/mobilisations`, { note: note.value.trim() });
      note.value = "";
      toast("Signalement envoyé aux partenaires.");
      await loadMobilisations(alert, list);
    } catch (error) { toast(`Signalement refusé : ${error.message}`); }
  });
  return form;
}
function alertBlock(alert) {
  const others = el("div", { class: "others" });
  const follow = el("ul", { class: "follow-up" });
  const opened = networkState.opened.get(alert.alert_id) || new Set();
  networkState.opened.set(alert.alert_id, opened);
  const block = el("li", { class: `network-alert ${alert.level || ""}`, "data-alert": alert.alert_id }, [
    el("div", {}, [
      el("strong", { text: LEVEL_LABEL[alert.level] || alert.level || "Alerte" }),
      el("span", { class: "muted", text: ` · ${alert.rule_name || alert.rule_id || ""} · ${alert.territory_name || nameOf(alert.territory_id)}` }),
    ]),
    el("div", { class: "actions" }, [
      el("button", { type: "button", class: "others-button", text: "Ce qu'ont fait les autres", onclick: () => { opened.add("others"); showOthers(alert, others); } }),
      mayMobilise() ? el("button", { type: "button", class: "mobilise-button", text: "Mobiliser les partenaires", onclick: () => {
        opened.add("mobilise");
        if (!block.querySelector(".mobilise-form")) follow.before(mobiliseForm(alert, follow));
        loadMobilisations(alert, follow);
      } }) : null,
    ]),
    others, follow,
  ]);
  /* What the user opened stays open when a live change redraws the list. */
  if (opened.has("others")) showOthers(alert, others);
  if (opened.has("mobilise")) { follow.before(mobiliseForm(alert, follow)); loadMobilisations(alert, follow); }
  else loadMobilisations(alert, follow);
  return block;
}
function renderNetworkAlerts(id) {
  const alerts = territoryAlerts(id);
  $("network-alerts").replaceChildren(...(alerts.length ? alerts.map(alertBlock) : [el("li", { class: "muted empty", text: "Aucune alerte en cours sur ce territoire." })]));
}

/* ---------- the panel ---------- */
function renderNetwork(id, summary) {
  const panel = $("network");
  if (!panel) return;
  panel.hidden = !networkAllowed();
  if (panel.hidden) return;
  const moved = networkState.territory !== id;
  networkState.territory = id; networkState.summary = summary;
  if (moved) networkState.opened.clear();
  $("network-title").textContent = `Réseau des référents — ${nameOf(id)}`;
  renderReferents(id);
  renderCases(id, summary);
  renderNetworkAlerts(id);
}

document.addEventListener("vigie:rendered", (event) => renderNetwork(event.detail.id, event.detail.summary));
document.addEventListener("vigie:alerts", () => {
  if (networkState.territory && networkAllowed()) renderNetworkAlerts(networkState.territory);
});

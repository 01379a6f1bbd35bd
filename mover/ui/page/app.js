// The Shard rebalancer page: polls /api/status every second and redraws; actions POST with the token.
"use strict";

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;

// The token arrives in the URL fragment (never sent to the server); keep it for this tab only.
(function takeToken() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("pgmove-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
})();
const token = () => sessionStorage.getItem("pgmove-token") || $("token").value.trim();

function bytes(n) {
  if (!n) return "0 B";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }  // PostgreSQL's units, as pgmove reads them
  return (n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}
function duration(s) {
  if (s === undefined || s === null || !isFinite(s)) return "–";
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
const MB = 1024 * 1024;  // as the max-rate field reads "50MB/s"
const rate = (bps) => (bps >= MB ? (bps / MB).toFixed(1) + " MB/s" : bps > 0 ? bytes(bps) + "/s" : "unlimited");
const pct = (a, b) => (b > 0 ? Math.min(100, (100 * a) / b) : 0);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "style") e.setAttribute("style", v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function bar(value, max, cls) {
  const fill = el("div", { class: "fill " + (cls || "") });
  fill.style.width = pct(value, max).toFixed(1) + "%";
  return el("div", { class: "bar" }, fill);
}
function fillRows(tbody, rows, columns, emptyText) {
  tbody.replaceChildren();
  if (!rows.length) {
    tbody.append(el("tr", {}, el("td", { class: "empty", colspan: String(columns) }, emptyText)));
    return;
  }
  for (const r of rows) tbody.append(r);
}

function renderVerdict(s) {
  const card = $("verdict-card");
  const v = s.verdict || "Loading…";
  $("verdict").textContent = v;
  card.className = "card verdict " +
    (v.startsWith("Rebalancing is underway") ? "underway" : v === "Rebalancing is recommended" ? "recommended" : "ok");
  const plan = s.plan || { moves: [] };
  let detail = "";
  if (v === "Rebalancing is recommended")
    detail = `The ${plan.strategy} strategy would move ${plan.moves.length} shard group(s), ${plan.rows.length} shard(s) in all.`;
  else if (v === "Rebalancing is underway") detail = "Shards are being moved; the page follows the moves live.";
  else if (s.nodes) detail = `The ${plan.strategy} strategy finds nothing worth moving.`;
  $("verdict-detail").textContent = detail;
  const err = $("load-error");
  err.hidden = !s.error;
  err.textContent = s.error ? "Could not read the cluster: " + s.error : "";
}

function renderNodes(s) {
  const nodes = (s.nodes || []).filter((n) => n.role !== "coordinator" || n.shards > 0 || n.shouldhaveshards);
  const maxShards = Math.max(1, ...nodes.map((n) => n.shards));
  const maxBytes = Math.max(1, ...nodes.map((n) => n.bytes));
  const box = $("nodes");
  box.replaceChildren();
  for (const n of nodes) {
    const card = el("div", { class: "node", "data-node": n.node },
      el("div", {}, el("span", { class: "name" }, n.node),
        el("span", { class: "role" }, n.role + (n.shouldhaveshards ? "" : " · no shards"))),
      el("div", { class: "metric" }, el("span", { class: "label" }, "Shards"), bar(n.shards, maxShards),
        el("span", { class: "value" }, n.shards)),
      el("div", { class: "metric" }, el("span", { class: "label" }, "Size"), bar(n.bytes, maxBytes, "bytes"),
        el("span", { class: "value" }, bytes(n.bytes))),
      el("div", { class: "metric" }, el("span", { class: "label" }, "Rows"), el("span", {}),
        el("span", { class: "value" }, (n.rows_estimate || 0).toLocaleString("en-US"))));
    box.append(card);
  }
  const workers = (s.nodes || []).filter((n) => n.role.startsWith("worker")).length;
  $("node-summary").textContent = `${workers} worker(s)`;
}

function renderTables(s) {
  fillRows($("tables"), (s.tables || []).map((t) =>
    el("tr", {}, el("td", { class: "mono" }, t.table_name), el("td", {}, t.type),
      el("td", { class: "num" }, t.colocation_id), el("td", { class: "num" }, t.shards),
      el("td", { class: "num" }, bytes(t.bytes)))), 5, "no distributed tables");
}

function renderPlan(s) {
  const plan = s.plan || { moves: [], rows: [] };
  fillRows($("plan"), plan.moves.map((m) =>
    el("tr", {}, el("td", { class: "mono" }, m.shard_id), el("td", { class: "mono" }, m.table_name),
      el("td", { class: "mono" }, m.source), el("td", { class: "mono" }, m.target),
      el("td", { class: "num" }, bytes(m.bytes)))), 5, "nothing to move");
  $("plan-summary").textContent = plan.strategy
    ? `${plan.strategy}, threshold ${plan.threshold}: ${plan.moves.length} move(s), ${plan.rows.length} shard(s)` : "";
}

function renderRun(s) {
  const r = s.rebalance || { state: "idle" };
  const card = $("progress-card");
  card.hidden = r.state === "idle";
  const running = r.state === "running" || r.state === "planning";
  $("start").disabled = running;
  if (card.hidden) return;
  const state = $("run-state");
  state.textContent = r.stopping ? "stopping" : r.state;
  state.className = "pill " + r.state;
  $("run-summary").textContent = r.strategy ? `${r.strategy} · ${r.mode} · parallel ${r.parallel}` : "";
  const runBar = $("run-bar");
  runBar.style.width = pct(r.bytes_done, r.bytes_total).toFixed(1) + "%";
  runBar.className = "fill" + (r.state === "finished" ? " done" : "");
  $("run-moved").textContent = `${r.moves_done || 0} of ${r.moves_total || 0} moves`;
  $("run-bytes").textContent = `${bytes(r.bytes_done)} of ${bytes(r.bytes_total)}`;
  $("run-rate").textContent = running ? ((r.mb_per_s || 0).toFixed(1) + " MB/s") : "–";
  $("run-limit").textContent = rate(r.max_rate_bytes_per_s);
  $("run-eta").textContent = running ? duration(r.eta_s) : r.state === "finished" ? "done in " + duration(r.elapsed_s) : "–";
  const err = $("run-error");
  err.hidden = !r.error;
  err.textContent = r.error || "";
  fillRows($("run-nodes"), (r.nodes || []).map((n) =>
    el("tr", { "data-node": n.node }, el("td", { class: "mono" }, n.node),
      el("td", {}, n.in_total ? `${n.moved_in} of ${n.in_total} moved in` : "–"),
      el("td", {}, n.out_total ? `${n.moved_out} of ${n.out_total} moved out` : "–"))), 3, "planning…");
  fillRows($("run-tables"), (r.tables || []).map((t) =>
    el("tr", {}, el("td", { class: "mono" }, t.table_name), el("td", {}, `${t.shards_moved} of ${t.shards}`),
      el("td", {}, `${bytes(t.bytes_moved)} of ${bytes(t.bytes)}`))), 3, "planning…");
  fillRows($("run-moves"), (r.moves || []).map((m) =>
    el("tr", {}, el("td", { class: "mono" }, m.shard_id + (m.shards > 1 ? ` +${m.shards - 1}` : "")),
      el("td", { class: "mono" }, `${m.source} → ${m.target}`),
      el("td", {}, el("span", { class: "phase " + m.phase }, m.phase)),
      el("td", {}, bar(m.bytes_done, m.bytes_total, m.phase === "done" ? "done" : "")),
      el("td", { class: "num" }, m.phase === "queued" ? "–" : m.mb_per_s.toFixed(1)),
      el("td", { class: "num" }, m.eta_s !== undefined ? duration(m.eta_s) : "–"))), 6, "no moves");
  $("rate-form").hidden = !running;
}

let strategiesLoaded = false;
async function loadStrategies() {
  try {
    const res = await fetch("/api/plan");
    if (!res.ok) return;
    const p = await res.json();
    const sel = $("strategy");
    for (const name of p.strategies || []) sel.append(el("option", { value: name }, name));
    strategiesLoaded = true;
  } catch (e) { /* retried on the next poll */ }
}

async function poll() {
  try {
    const res = await fetch("/api/status", { cache: "no-store" });
    const s = await res.json();
    if (s.coordinator) $("cluster").textContent = `${s.backend} cluster · coordinator ${s.coordinator}`;
    renderVerdict(s);
    renderNodes(s);
    renderTables(s);
    renderPlan(s);
    renderRun(s);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    if (!strategiesLoaded && s.nodes) loadStrategies();
  } catch (e) {
    $("updated").textContent = "cannot reach pgmove ui: " + e.message;
  }
  setTimeout(poll, POLL_MS);
}

async function post(path, form) {
  const out = $("action-result");
  const res = await fetch(path, {
    method: "POST",
    headers: { Authorization: "Bearer " + token(), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) $("token-box").hidden = false;
  out.className = res.ok ? "muted" : "error";
  out.textContent = res.ok ? "" : body.error || "HTTP " + res.status;
  return res.ok ? body : null;
}

function formData(form) {
  const d = {};
  for (const [k, v] of new FormData(form)) if (String(v).trim() !== "") d[k] = String(v).trim();
  return d;
}

document.addEventListener("DOMContentLoaded", () => {
  $("token-box").hidden = !!sessionStorage.getItem("pgmove-token");
  $("token-box").addEventListener("submit", (e) => e.preventDefault());
  $("rebalance-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await post("/api/rebalance", formData(e.target))) $("action-result").textContent = "Rebalance started.";
  });
  $("rate-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = formData(e.target);
    const r = await post("/api/rate", { max_rate: d.max_rate || "0" });
    if (r) $("action-result").textContent = "Rate limit now " + rate(r.max_rate_bytes_per_s) + ".";
  });
  $("stop").addEventListener("click", async () => {
    if (await post("/api/stop", {})) $("action-result").textContent = "Stopping: moves in flight roll back.";
  });
  $("node-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await post("/api/nodes", formData(e.target));
    if (r) {
      $("action-result").textContent = `Node ${r.node} registered (nodeid ${r.nodeid}).`;
      e.target.reset();
    }
  });
  poll();
});

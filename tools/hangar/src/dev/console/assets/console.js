// The Hangar console: polls /api/state and renders each view; switches the emulator's
// faults through /api/faults. Every value is written with textContent (players choose
// session names and properties), never as HTML.
"use strict";

const TOKEN = document.querySelector('meta[name="hangar-console-token"]').content;
const POLL_MS = 1000;
let query = { filter: "", sort: "" };
let last = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const status = (s) => el("span", { class: "status " + (s || "") }, s ?? "");
const mono = (s) => el("span", { class: "mono" }, s ?? "");
const time = (ms) => (ms ? new Date(ms).toLocaleTimeString() : "");
const secs = (s) => (s ? new Date(s * 1000).toLocaleTimeString() : "");
const shortArn = (s) => (typeof s === "string" ? s.split("/").pop() : "");
const dash = (v) => (v === null || v === undefined ? "–" : v);

function fill(testid, rows, columns, emptyText) {
  const body = document.querySelector(`[data-testid="${testid}"] tbody`);
  const cols = body.closest("table").querySelectorAll("thead th").length;
  body.replaceChildren();
  if (!rows.length) {
    body.append(el("tr", {}, el("td", { class: "empty", colspan: cols }, emptyText)));
    return;
  }
  for (const row of rows) {
    body.append(el("tr", { "data-key": columns.key(row) }, columns.cells(row).map((c) => el("td", {}, c))));
  }
}

function partError(name, part) {
  const box = document.querySelector(`[data-part="${name}"]`);
  if (box) box.textContent = part && part.error ? part.error : "";
  return part && Array.isArray(part.items) ? part.items : [];
}

function render(state) {
  const clock = state.clock.items || {};
  document.getElementById("clock").textContent = clock.speed
    ? `emulator clock x${clock.speed}, simulated ${new Date(clock.now).toISOString().replace(".000", "")}`
    : "emulator clock unavailable";

  fill("sessions-table", partError("sessions", state.sessions), {
    key: (s) => s.sessionId,
    cells: (s) => [
      mono(s.sessionId), s.name ?? "", status(s.status),
      `${s.currentPlayerSessionCount} / ${s.maximumPlayerSessionCount}`,
      Object.entries(s.properties || {}).map(([k, v]) => `${k}=${v}`).join(", "),
      s.ipAddress ? `${s.ipAddress}:${s.port}` : "", time(s.creationTimeMillis),
    ],
  }, "no sessions match");

  fill("placements-table", partError("placements", state.placements), {
    key: (p) => p.placementId,
    cells: (p) => [
      mono(p.placementId), status(p.status), p.creatorId ?? "", mono(shortArn(p.gameSessionId)),
      el("ul", { class: "events" }, (p.events || []).map((e) =>
        el("li", {}, status(e.type), " ", e.time ?? "", e.published === false ? ` (not published: ${e.error ?? ""})` : ""))),
      time(p.createdAtMillis),
    ],
  }, "no placements yet");

  const fleets = partError("fleets", state.fleets);
  fill("fleets-table", fleets, {
    key: (f) => f.fleetId,
    cells: (f) => [
      mono(f.fleetId), f.name ?? "", status(f.status), mono(f.buildId),
      `${dash(f.desired)} / ${dash(f.active)} / ${dash(f.pending)} / ${dash(f.idle)}`,
      `${dash(f.minimum)}–${dash(f.maximum)}`, dash(f.gameSessions), dash(f.freeSessionSlots),
    ],
  }, "no fleets");
  const select = document.querySelector('form[data-fault="fleet-error"] select');
  const chosen = select.value;
  select.replaceChildren(...fleets.map((f) => el("option", { value: f.fleetId }, `${f.fleetId} (${f.status})`)));
  if (chosen) select.value = chosen;

  fill("aliases-table", partError("aliases", state.aliases), {
    key: (a) => a.aliasId,
    cells: (a) => [mono(a.aliasId), a.name ?? "", a.routing ?? "", mono(a.fleetId ?? a.message ?? "")],
  }, "no aliases");

  fill("queues-table", partError("queues", state.queues), {
    key: (q) => q.name,
    cells: (q) => [q.name, dash(q.timeoutInSeconds), (q.destinations || []).map(shortArn).join(", "), mono(q.notificationTarget ?? "")],
  }, "no queues");

  fill("gameservers-table", partError("gameServers", state.gameServers), {
    key: (g) => g.sk ?? g.taskArn,
    cells: (g) => {
      const flags = [];
      if (g.ready_to_close ?? g.readyToClose) flags.push("ready to close");
      if (g.protected) flags.push("protected");
      if (g.in_service ?? g.inService) flags.push("in service");
      if (g.failures) flags.push(`${g.failures} failed probes`);
      return [
        mono(shortArn(g.taskArn ?? g.sk)), status(g.state), dash(g.free), dash(g.capacity), dash(g.reserved),
        g.host ? `${g.host}:${g.port}` : "", flags.join(", "), time(g.updated_at_ms ?? g.updatedAtMs),
      ];
    },
  }, "no game servers");

  fill("replacements-table", partError("replacements", state.replacements), {
    key: (r) => r.executionArn,
    cells: (r) => [
      mono(r.name), r.stateMachine ?? "", status(r.status), secs(r.startDate),
      el("ol", { class: "stages" }, (r.stages || []).map((s) =>
        el("li", { "data-stage": s.name }, s.name, " ", status(s.status), s.visits > 1 ? ` ×${s.visits}` : ""))),
    ],
  }, "no fleet replacements");

  const faults = state.faults.items && !Array.isArray(state.faults.items) ? state.faults.items : {};
  partError("faults", state.faults);
  const rows = [];
  for (const [kind, setting] of Object.entries(faults)) {
    if (setting && typeof setting === "object" && !Array.isArray(setting)) {
      const entries = Object.entries(setting).filter(([, v]) => v !== 0 && v !== null && v !== false);
      for (const [k, v] of entries) rows.push({ kind, key: k, value: v });
    } else if (Array.isArray(setting)) {
      for (const v of setting) rows.push({ kind, key: String(v), value: true });
    }
  }
  fill("faults-table", rows, {
    key: (r) => `${r.kind}:${r.key}`,
    cells: (r) => [r.kind, `${r.key} = ${typeof r.value === "object" ? JSON.stringify(r.value) : r.value}`],
  }, "no faults: the emulator behaves normally");
}

async function poll() {
  const params = new URLSearchParams();
  if (query.filter) params.set("filter", query.filter);
  if (query.sort) params.set("sort", query.sort);
  const statusBox = document.getElementById("status");
  try {
    const response = await fetch("/api/state?" + params, { cache: "no-store" });
    if (!response.ok) throw new Error(`console answered ${response.status}`);
    last = await response.json();
    render(last);
    statusBox.textContent = `updated ${new Date().toLocaleTimeString()}`;
    statusBox.className = "";
    document.body.dataset.updated = String(Date.now());
  } catch (e) {
    statusBox.textContent = `not updated: ${e.message}`;
    statusBox.className = "stale";
  }
}

async function loop() {
  if (document.getElementById("live").checked) await poll();
  setTimeout(loop, POLL_MS);
}

async function change(method, path, body) {
  const box = document.getElementById("fault-message");
  const response = await fetch(path, {
    method,
    headers: { "content-type": "application/json", "x-hangar-console": TOKEN },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.ok) {
    box.textContent = `${method} ${path}: done`;
    box.className = "ok";
  } else {
    box.textContent = `${method} ${path}: ${response.status} ${answer.error ? answer.error.message : ""}`;
    box.className = "bad";
  }
  await poll();
}

function formBody(form) {
  const body = {};
  for (const input of form.querySelectorAll("input, select")) {
    if (input.value === "") continue;
    body[input.name] = input.type === "number" ? Number(input.value) : input.value;
  }
  return body;
}

function showView(name) {
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("selected", b.dataset.view === name);
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== `view-${name}`;
  history.replaceState(null, "", `#${name}`);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showView(b.dataset.view));
  const initial = location.hash.slice(1);
  if (document.getElementById(`view-${initial}`)) showView(initial);
  document.getElementById("session-query").addEventListener("submit", (e) => {
    e.preventDefault();
    query = { filter: document.getElementById("filter").value.trim(), sort: document.getElementById("sort").value.trim() };
    poll();
  });
  for (const form of document.querySelectorAll("form[data-fault]")) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      change("POST", `/api/faults/${form.dataset.fault}`, formBody(form));
    });
  }
  document.getElementById("clear-faults").addEventListener("submit", (e) => {
    e.preventDefault();
    change("DELETE", "/api/faults");
  });
  loop();
});

// Drives the console of a running local stack in headless Chromium (Debian's chromium,
// through playwright-core) for tests/tests/dev/console.rs, which seeds the stack and
// checks the effects through the API. Usage:
//   node console.mjs '<json: {phase, consoleUrl, otherOrigin, screenshots, expect}>'
// phase "views": every view shows what the test put in the stack (one screenshot per
//   view), the sessions filter narrows the list, a page of another origin cannot switch
//   a fault, and a throttle fault is switched on from the page.
// phase "clear": the page clears every fault.
// Prints one JSON object (what it saw) and exits 0, or prints the failure and exits 1.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const input = JSON.parse(process.argv[2]);
const { phase, consoleUrl, otherOrigin, emulatorUrl, screenshots, expect } = input;
const TIMEOUT = 30_000;
const seen = {};

function fail(message) {
  throw new Error(message);
}

async function rowKeys(page, table) {
  return page.$$eval(`[data-testid="${table}"] tbody tr[data-key]`, (rows) => rows.map((r) => r.dataset.key));
}

// Waits until the table's rows are keyed exactly `keys` (in any order), or fails showing what it had.
async function waitForRows(page, table, keys, { exact = false } = {}) {
  const deadline = Date.now() + TIMEOUT;
  let have = [];
  while (Date.now() < deadline) {
    have = await rowKeys(page, table);
    const all = keys.every((k) => have.includes(k));
    if (all && (!exact || have.length === keys.length)) return have;
    await page.waitForTimeout(200);
  }
  fail(`${table}: wanted rows ${JSON.stringify(keys)}${exact ? " exactly" : ""}, the page shows ${JSON.stringify(have)}`);
}

async function rowCells(page, table, key) {
  const rows = await page.$$(`[data-testid="${table}"] tbody tr[data-key]`);
  for (const r of rows) {
    if ((await r.getAttribute("data-key")) === key) return r.$$eval("td", (tds) => tds.map((td) => td.innerText.trim()));
  }
  fail(`${table}: no row ${key}`);
}

async function show(page, view) {
  await page.click(`nav button[data-view="${view}"]`);
  await page.waitForSelector(`[data-testid="view-${view}"]:not([hidden])`, { timeout: TIMEOUT });
}

async function shot(page, name) {
  const path = join(screenshots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  (seen.screenshots ||= []).push(path);
}

async function faultRows(page) {
  return page.$$eval('[data-testid="faults-table"] tbody tr', (rows) => rows.map((r) => r.innerText.trim()));
}

async function views(page) {
  await page.goto(consoleUrl, { waitUntil: "load" });
  await show(page, "sessions");
  const all = expect.sessions.map((s) => s.id);
  seen.sessions = await waitForRows(page, "sessions-table", all, { exact: true });
  for (const s of expect.sessions) {
    const cells = await rowCells(page, "sessions-table", s.id);
    if (!cells[4].includes(`mode=${s.mode}`)) fail(`session ${s.id} shows properties ${cells[4]}, wanted mode=${s.mode}`);
    if (cells[2] !== s.status) fail(`session ${s.id} shows status ${cells[2]}, wanted ${s.status}`);
  }
  await shot(page, "sessions");
  await page.fill("#filter", expect.filter);
  await page.click('#session-query button[type="submit"]');
  seen.filtered = await waitForRows(page, "sessions-table", expect.filtered, { exact: true });
  await shot(page, "sessions-filtered");

  await show(page, "placements");
  seen.placements = await waitForRows(page, "placements-table", expect.placements);
  for (const id of expect.placements) {
    const cells = await rowCells(page, "placements-table", id);
    if (cells[1] !== "FULFILLED" || !cells[4].includes("PlacementFulfilled")) {
      fail(`placement ${id} shows ${JSON.stringify(cells)}, wanted FULFILLED with its PlacementFulfilled event`);
    }
  }
  await shot(page, "placements");

  await show(page, "gamelift");
  seen.fleets = await waitForRows(page, "fleets-table", expect.fleets.map((f) => f.id));
  for (const f of expect.fleets) {
    const cells = await rowCells(page, "fleets-table", f.id);
    if (cells[2] !== f.status || cells[7] !== String(f.freeSlots) || cells[6] !== String(f.gameSessions)) {
      fail(`fleet ${f.id} shows ${JSON.stringify(cells)}, wanted ${f.status} with ${f.gameSessions} game sessions and ${f.freeSlots} free slots`);
    }
  }
  seen.aliases = await waitForRows(page, "aliases-table", expect.aliases.map((a) => a.id));
  for (const a of expect.aliases) {
    const cells = await rowCells(page, "aliases-table", a.id);
    if (cells[3] !== a.fleetId) fail(`alias ${a.id} routes to ${cells[3]} on the page, wanted ${a.fleetId}`);
  }
  seen.queues = await waitForRows(page, "queues-table", expect.queues);
  await shot(page, "gamelift");

  await show(page, "gameservers");
  seen.gameServers = await waitForRows(page, "gameservers-table", expect.gameServers.map((g) => g.key));
  for (const g of expect.gameServers) {
    const cells = await rowCells(page, "gameservers-table", g.key);
    if (cells[1] !== g.state || cells[2] !== String(g.free)) fail(`game server ${g.key} shows ${JSON.stringify(cells)}, wanted ${g.state} with ${g.free} free`);
  }
  await shot(page, "gameservers");

  await show(page, "replacements");
  seen.replacements = await waitForRows(page, "replacements-table", expect.replacements.map((r) => r.arn));
  for (const r of expect.replacements) {
    const stages = await page.$$eval(
      `[data-testid="replacements-table"] tbody tr[data-key="${r.arn}"] li[data-stage]`,
      (lis) => lis.map((li) => li.dataset.stage),
    );
    if (JSON.stringify(stages) !== JSON.stringify(r.stages)) fail(`execution ${r.arn} shows stages ${JSON.stringify(stages)}, wanted ${JSON.stringify(r.stages)}`);
  }
  await shot(page, "replacements");

  // A page of another origin tries to switch a fault: as a simple (no-cors) request,
  // which browsers send without asking, and with the console's header (preflighted).
  const other = await page.context().newPage();
  await other.goto(otherOrigin);
  seen.crossOrigin = await other.evaluate(async ([target, emulator]) => {
    const out = [];
    const body = JSON.stringify({ operation: "*", fraction: 1 });
    try {
      await fetch(`${target}api/faults/throttle`, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body });
      out.push("no-cors sent");
    } catch (e) {
      out.push(`no-cors: ${e.message}`);
    }
    try {
      const r = await fetch(`${target}api/faults/throttle`, { method: "POST", headers: { "content-type": "application/json", "x-hangar-console": "guess" }, body });
      out.push(`cors answered ${r.status}`);
    } catch (e) {
      out.push(`cors blocked: ${e.message}`);
    }
    try {
      // The emulator's own admin route, on loopback too.
      await fetch(`${emulator}/admin/faults/throttle`, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body });
      out.push("emulator no-cors sent");
    } catch (e) {
      out.push(`emulator no-cors: ${e.message}`);
    }
    return out;
  }, [consoleUrl, emulatorUrl]);
  await other.close();

  await show(page, "faults");
  await page.waitForFunction(() => Number(document.body.dataset.updated || 0) > Date.now() - 3000, null, { timeout: TIMEOUT });
  seen.faultsBefore = await faultRows(page);
  await page.fill('form[data-fault="throttle"] input[name="operation"]', expect.throttle);
  await page.fill('form[data-fault="throttle"] input[name="fraction"]', "1");
  await page.click('form[data-fault="throttle"] button[type="submit"]');
  await page.waitForFunction(
    (op) => [...document.querySelectorAll('[data-testid="faults-table"] tbody tr')].some((r) => r.innerText.includes(op)),
    expect.throttle,
    { timeout: TIMEOUT },
  );
  seen.faultsAfter = await faultRows(page);
  seen.faultMessage = await page.innerText('[data-testid="fault-message"]');
  await shot(page, "faults");
}

async function clear(page) {
  await page.goto(`${consoleUrl}#faults`, { waitUntil: "load" });
  await page.waitForFunction(() => Number(document.body.dataset.updated || 0) > 0, null, { timeout: TIMEOUT });
  await page.click('[data-testid="form-clear"] button[type="submit"]');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="faults-table"] tbody td.empty') !== null,
    null,
    { timeout: TIMEOUT },
  );
  seen.faultsAfter = await faultRows(page);
  await shot(page, "faults-cleared");
}

const profile = mkdtempSync(join(tmpdir(), "hangar-console-chromium-"));
mkdirSync(screenshots, { recursive: true });
let context;
let code = 0;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.HANGAR_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  if (phase === "views") await views(page);
  else if (phase === "clear") await clear(page);
  else fail(`unknown phase ${phase}`);
  if (errors.length) fail(`the page threw: ${errors.join("; ")}`);
  console.log(JSON.stringify(seen));
} catch (e) {
  console.error(`console test (${phase}): ${e.message}`);
  console.log(JSON.stringify(seen));
  code = 1;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);

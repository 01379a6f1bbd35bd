// The Shard rebalancer page in a real browser (Debian's chromium via playwright-core): the three verdicts, a
// rebalance started from the page with live progress and ETA, a rate change, and a refused POST without the token.
// Run by ui_browser_test.cpp with UI_URL, UI_TOKEN, ADD_WORKER_CMD and SCREENSHOT_DIR in the environment.
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const { UI_URL, UI_TOKEN, ADD_WORKER_CMD, SCREENSHOT_DIR } = process.env;
const NOT_RECOMMENDED = "Rebalancing is not recommended at this time";
const RECOMMENDED = "Rebalancing is recommended";
const UNDERWAY = "Rebalancing is underway";

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  console.log("ok - " + what);
}

async function waitForText(page, selector, text, timeout) {
  await page.waitForFunction(
    ([sel, t]) => document.querySelector(sel)?.textContent.trim() === t, [selector, text], { timeout });
  console.log(`ok - ${selector} says "${text}"`);
}

async function shot(page, name) {
  if (!SCREENSHOT_DIR) return;
  await page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });
  console.log("screenshot " + name);
}

const profile = mkdtempSync(join(tmpdir(), "pgload-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1180, height: 900 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on("pageerror", (e) => { throw new Error("page error: " + e.message); });

  // Actions need the token and our own origin.
  const noToken = await fetch(UI_URL + "api/rate", { method: "POST", body: "max_rate=1MB/s",
    headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  check(noToken.status === 401, `POST without the token is refused (${noToken.status})`);
  const wrongToken = await fetch(UI_URL + "api/stop", { method: "POST", headers: { Authorization: "Bearer nope" } });
  check(wrongToken.status === 401, `POST with a wrong token is refused (${wrongToken.status})`);
  const crossOrigin = await fetch(UI_URL + "api/stop", { method: "POST",
    headers: { Authorization: "Bearer " + UI_TOKEN, Origin: "http://evil.example" } });
  check(crossOrigin.status === 403, `cross-origin POST is refused (${crossOrigin.status})`);

  await page.goto(UI_URL + "#token=" + UI_TOKEN);
  check(!page.url().includes("token="), "the token is taken out of the address bar");
  const inPage = await page.evaluate(async () => (await fetch("/api/stop", { method: "POST" })).status);
  check(inPage === 401, `the page's own POST without the token is refused (${inPage})`);

  // 1. Two workers, balanced.
  await waitForText(page, "#verdict", NOT_RECOMMENDED, 30000);
  check((await page.locator(".node").count()) >= 2, "nodes are drawn");
  check((await page.locator(".node .bar .fill").count()) >= 4, "shards and bytes per node are drawn as bars");
  await shot(page, "ui-not-recommended.png");

  // 2. A third worker: the page notices without a reload.
  execSync(ADD_WORKER_CMD, { stdio: "inherit" });
  await waitForText(page, "#verdict", RECOMMENDED, 60000);
  check((await page.locator("#plan tr").count()) > 1, "the plan lists the moves");
  await shot(page, "ui-recommended.png");

  // 3. Start a slow rebalance from the page.
  await page.selectOption("#rebalance-form select[name=mode]", "block_writes");
  await page.fill("#rebalance-form input[name=max_rate]", "400kB/s");
  await page.click("#start");
  await waitForText(page, "#verdict", UNDERWAY, 30000);
  await page.waitForFunction(() => [...document.querySelectorAll("#run-moves .phase")]
    .some((e) => e.textContent === "copying"), null, { timeout: 60000 });
  console.log("ok - a move is copying");
  await page.waitForFunction(() => /\d/.test(document.querySelector("#run-eta").textContent), null, { timeout: 30000 });
  check(/\d/.test(await page.textContent("#run-eta")), "an ETA is shown: " + (await page.textContent("#run-eta")));
  const perNode = await page.textContent("#run-nodes");
  check(/\d+ of \d+ moved in/.test(perNode) && /\d+ of \d+ moved out/.test(perNode), "per-node progress is shown");
  check(/\d+ of \d+/.test(await page.textContent("#run-tables")), "per-table progress is shown");
  check((await page.textContent("#run-limit")).trim() === "400 kB/s", "the rate limit is shown");
  await page.waitForTimeout(2500);  // let the rate settle for the picture
  await shot(page, "ui-underway.png");

  // 4. Re-rate the running rebalance: the running moves show the new limit and speed up.
  await page.fill("#rate-form input[name=max_rate]", "50MB/s");
  await page.click("#rate-form button[type=submit]");
  await waitForText(page, "#run-limit", "50.0 MB/s", 10000);
  const status = await (await fetch(UI_URL + "api/status")).json();
  check(status.rebalance.max_rate_bytes_per_s === 50 * 1024 * 1024, "the running rebalance took the new rate (50MB = 50 MiB)");

  // 5. Balanced again, without a reload.
  await waitForText(page, "#verdict", NOT_RECOMMENDED, 180000);
  await waitForText(page, "#run-state", "finished", 10000);
  const moves = await page.locator("#run-moves .phase").allTextContents();
  check(moves.length > 0 && moves.every((p) => p === "done"), `every move is done (${moves.length})`);
  await page.waitForTimeout(1500);
  await shot(page, "ui-balanced.png");

  // Register a node from the page: an unreachable one is refused with the reason, a registered one keeps its id.
  await page.fill("#node-form input[name=node]", "127.0.0.1:1");
  await page.click("#node-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#action-result").className === "error", null,
    { timeout: 20000 });
  const refused = await page.textContent("#action-result");
  check(!/password|user=|dbname=/.test(refused), "a failed registration says why without conninfo: " + refused);
  const worker = status.nodes.find((n) => n.role === "worker").node;
  await page.fill("#node-form input[name=node]", worker);
  await page.click("#node-form button[type=submit]");
  await page.waitForFunction(() => /registered/.test(document.querySelector("#action-result").textContent), null,
    { timeout: 20000 });
  check(true, "registering a node from the page: " + (await page.textContent("#action-result")));

  // A phone-sized screen keeps the page readable (no horizontal scroll of the body).
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, "no horizontal scrolling on a phone-sized screen");
  await shot(page, "ui-phone.png");
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log("browser test passed");

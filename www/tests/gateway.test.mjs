// The playground in gateway mode, in headless Debian chromium driven by playwright-core:
// the page talks to the real gateway (the built Worker under `wrangler dev`, wired to
// the simulator). Started by `cargo xtask playground-tests`, which sets PLAYGROUND_URL,
// SWITCHBOARD_SIM_URL and SWITCHBOARD_GATEWAY_URL (`…/v1`, also in the page's config).
// Screenshots go to target/playground-screenshots/gateway-*.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openPlayground } from "./browser.mjs";
import { assertStopsCount, assertStreamsCount } from "./chat.mjs";
import { settledOutcome } from "./sim.mjs";

const URL_ = process.env.PLAYGROUND_URL;
const SIM = process.env.SWITCHBOARD_SIM_URL;
const GATEWAY = process.env.SWITCHBOARD_GATEWAY_URL;
if (!URL_ || !SIM || !GATEWAY) {
  throw new Error("PLAYGROUND_URL, SWITCHBOARD_SIM_URL and SWITCHBOARD_GATEWAY_URL must be set");
}
const T = 20000; // every wait is bounded

let page;
let pageErrors;
let shot;
let close;

before(async () => {
  ({ page, pageErrors, shot, close } = await openPlayground(`${URL_}?mode=gateway`, { prefix: "gateway-", timeout: T }));
});

after(async () => {
  await close?.();
});

const text = (sel) => page.locator(sel).last().textContent();
/** The "Last response" panel as `{name: value}`. */
const headers = () => page.$$eval("#headers dt", (dts) =>
  Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? ""])));
/**
 * The "Last response" panel once it shows an answer from `path` (waited for, bounded by
 * the page's timeout): a later request may still be on its way when a test looks.
 */
async function panelFor(path) {
  await page.waitForFunction((p) => [...document.querySelectorAll("#headers dt")]
    .some((dt) => dt.textContent === "url" && dt.nextElementSibling?.textContent === p), path);
  const h = await headers();
  assert.equal(h.url, path);
  return h;
}

test("pickers are filled from the gateway's /v1/models", async () => {
  assert.equal(await page.locator("#mode-gateway").isChecked(), true);
  assert.equal(await page.inputValue("#base-url"), GATEWAY);
  const providers = await page.locator("#provider option").allTextContents();
  for (const p of ["secry", "secton", "airforce", "siraya", "gemini-proxy"]) {
    assert.ok(providers.includes(p), `${p} in ${providers.join()}`);
  }
  await page.selectOption("#provider", "secry");
  await page.waitForFunction(() => document.querySelector("#model").value.startsWith("secry/"));
  const models = await page.locator("#model option").allTextContents();
  assert.ok(models.includes("secry/gemma-3-27b-it"), models.join());
  assert.ok(models.every((m) => m.startsWith("secry/")), models.join());
  // The models answer's rate-limit headers are in the Last response panel.
  const h = await panelFor("/v1/models");
  assert.equal(h["x-ratelimit-limit"], "1000");
  await shot("models");
});

test("streams a chat reply through the gateway in several visible steps", async () => {
  await page.selectOption("#model", "secry/gemma-3-27b-it");
  await assertStreamsCount(page, 30, T);
  // The rate-limit headers of the gateway's answer are on show.
  const h = await panelFor("/v1/chat/completions");
  assert.equal(h["x-ratelimit-limit"], "1000");
  assert.match(h["x-ratelimit-remaining"] ?? "", /^\d+$/);
  assert.match(h["x-ratelimit-reset"] ?? "", /^\d+$/);
  assert.ok(h["x-request-id"], "x-request-id shown");
  await shot("streamed");
});

test("Stop aborts the stream and the gateway's upstream request", async () => {
  await assertStopsCount(page, 402);
  await shot("stopped");
  assert.equal(await settledOutcome(SIM, "count to 402"), "cancelled", "upstream still streaming");
});

test("an upstream 429 through the gateway shows its kind and a Retry-After countdown", async () => {
  await page.click("#clear");
  await page.click("#settings summary");
  // Longer than the gateway waits itself (RETRY_MAX_WAIT_MS), so the 429 comes back.
  await page.fill("#fault", "retry-after=30");
  await page.fill("#prompt", "hello");
  await page.click("#send");
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await text("#error .kind"), /^RateLimitError \(429\)$/);
  const requestId = await page.textContent("#error [data-fact='request id']");
  assert.match(requestId, /^\S+$/);
  assert.notEqual(requestId, "(none sent)", "the gateway's x-request-id is shown");
  const first = Number(await page.getAttribute("#retry-countdown", "data-left"));
  assert.ok(first >= 29 && first <= 30, `countdown starts at ${first}`);
  await page.waitForFunction(
    (n) => Number(document.querySelector("#retry-countdown")?.dataset.left) < n, first,
  );
  assert.match(await text("#retry-countdown"), /^Retry after \d+ s$/);
  const h = await headers();
  assert.match(h.status, /^429/);
  assert.equal(h["retry-after"], "30");
  assert.equal(h["x-ratelimit-limit"], "1000");
  await shot("429");
  await page.fill("#fault", "");
});

test("no page errors", () => {
  assert.deepEqual(pageErrors, []);
});

// The playground in a real browser: headless Debian chromium driven by playwright-core,
// direct mode against the simulator. Started by `cargo xtask test` (the playground step),
// which serves www/ and the built package and sets:
//
//   PLAYGROUND_URL=http://127.0.0.1:PORT/  SWITCHBOARD_SIM_URL=http://127.0.0.1:PORT
//   node --test www/tests/playground.test.mjs
//
// Screenshots go to target/playground-screenshots/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openPlayground } from "./browser.mjs";
import { assertStopsCount, assertStreamsCount } from "./chat.mjs";
import { settledOutcome } from "./sim.mjs";

const URL_ = process.env.PLAYGROUND_URL;
const SIM = process.env.SWITCHBOARD_SIM_URL;
if (!URL_ || !SIM) throw new Error("PLAYGROUND_URL and SWITCHBOARD_SIM_URL must be set");
const T = 15000; // every wait is bounded

let page;
let pageErrors;
let shot;
let close;

before(async () => {
  ({ page, pageErrors, shot, close } = await openPlayground(`${URL_}?mode=direct`, { prefix: "", timeout: T }));
});

after(async () => {
  await close?.();
});

const text = (sel) => page.locator(sel).last().textContent();

test("loads in direct mode with providers and models", async () => {
  assert.equal(await page.locator("#mode-direct").isChecked(), true);
  assert.equal(await page.inputValue("#provider"), "siraya");
  await page.selectOption("#provider", "secry");
  await page.waitForFunction(() => document.querySelector("#model").options.length > 1);
  const models = await page.locator("#model option").allTextContents();
  assert.ok(models.every((m) => m.startsWith("secry/")), models.join());
  assert.match(await page.inputValue("#base-url"), /\/secry\/v1$/);
  await page.selectOption("#provider", "siraya");
  await page.waitForFunction(() => document.querySelector("#model").value.startsWith("siraya/"));
});

test("streams a chat reply in several visible steps", async () => {
  await assertStreamsCount(page, 25, T);
  await shot("chat-streamed");
});

test("Stop aborts a stream mid-way, and the upstream request with it", async () => {
  await assertStopsCount(page, 400);
  assert.equal(await settledOutcome(SIM, "count to 400"), "cancelled");
  await shot("chat-stopped");
});

test("prefill and a tool call round trip are shown", async () => {
  await page.click("#clear");
  await page.fill("#prompt", "count to 5");
  await page.fill("#prefill", "1 2 3");
  await page.click("#send");
  await page.waitForSelector("#log li.assistant:last-child[data-state=done]");
  assert.equal(await text("#log li.assistant .text"), "1 2 3 4 5");
  await page.fill("#prefill", "");
  await page.click("#clear");
  await page.check("#tools");
  await page.fill("#prompt", 'get_weather {"city":"Paris"}');
  await page.click("#send");
  await page.waitForSelector("pre.tool");
  assert.match(await text("pre.tool"), /get_weather\(\{"city":"Paris"\}\)/);
  await page.waitForSelector("#log li.assistant:last-child[data-state=done]");
  assert.match(await text("#log li.assistant .text"), /^tool result: /);
  await page.uncheck("#tools");
  await shot("chat-tools");
});

test("generates an image and shows it", async () => {
  await page.selectOption("#image-model", "secry/flux-1-schnell");
  await page.click("#image-go");
  await page.waitForSelector("#image-out:not([hidden])");
  const size = await page.$eval("#image", (img) => [img.complete, img.naturalWidth, img.naturalHeight]);
  assert.deepEqual(size, [true, 256, 256]);
});

test("text to speech loads audio/mpeg in the player", async () => {
  await page.click("#tts-go");
  await page.waitForSelector("#audio:not([hidden])");
  assert.equal(await page.getAttribute("#audio", "data-type"), "audio/mpeg");
  const loaded = await page.$eval("#audio", (a) => new Promise((resolve) => {
    if (a.readyState >= 1) return resolve(a.duration);
    a.addEventListener("loadedmetadata", () => resolve(a.duration), { once: true });
    a.addEventListener("error", () => resolve(-1), { once: true });
  }));
  assert.ok(loaded > 0, `audio did not load (duration ${loaded})`);
});

test("airforce ask streams an answer", async () => {
  await page.click("#ask-go");
  await page.waitForSelector("#ask-out[data-state=done]");
  assert.equal(await text("#ask-out"), "what is a switchboard operator");
  await shot("media");
});

test("a simulated 429 shows its kind, request id slot and a Retry-After countdown", async () => {
  await page.click("#settings summary");
  await page.fill("#fault", "retry-after=5");
  await page.fill("#prompt", "hello");
  await page.click("#send");
  await page.waitForSelector("#error:not([hidden])");
  assert.match(await text("#error .kind"), /^RateLimitError \(429\)$/);
  const first = Number(await page.getAttribute("#retry-countdown", "data-left"));
  assert.ok(first >= 4 && first <= 5, `countdown starts at ${first}`);
  await page.waitForFunction(
    (n) => Number(document.querySelector("#retry-countdown")?.dataset.left) < n, first,
  );
  assert.match(await text("#retry-countdown"), /^Retry after \d s$/);
  assert.match(await text("#headers"), /status429/);
  assert.match(await text("#headers"), /retry-after5/);
  await shot("error-429");
  await page.fill("#fault", "");
});

test("narrow screen", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px`);
  await shot("narrow");
  await page.setViewportSize({ width: 1200, height: 900 });
});

test("no page errors", () => {
  assert.deepEqual(pageErrors, []);
});

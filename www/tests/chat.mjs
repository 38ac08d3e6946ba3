// Chat steps shared by the playground tests (direct and gateway mode): a streamed reply
// watched as it grows, and Stop pressed mid-stream.
import assert from "node:assert/strict";

/**
 * Sends "count to `n`" and watches the last reply until it is done (bounded by
 * `timeout` ms): it must have shown at least three partial lengths on the way, and end
 * as "1 2 … n" with finish reason `stop`. A reply that ends in an error fails at once.
 */
export async function assertStreamsCount(page, n, timeout) {
  await page.fill("#prompt", `count to ${n}`);
  await page.click("#send");
  const reply = page.locator("#log li.assistant").last();
  const lengths = new Set();
  const deadline = Date.now() + timeout;
  for (;;) {
    const state = await reply.getAttribute("data-state");
    const len = ((await reply.locator(".text").textContent()) ?? "").length;
    if (state === "done") break;
    if (len > 0) lengths.add(len);
    if (state === "error") assert.fail(await page.locator("#error").last().textContent());
    assert.ok(Date.now() < deadline, "the stream did not finish");
    await page.waitForTimeout(15);
  }
  assert.ok(lengths.size >= 3, `only ${lengths.size} partial lengths seen before the end`);
  const all = Array.from({ length: n }, (_, i) => i + 1).join(" ");
  assert.equal(await reply.locator(".text").textContent(), all);
  assert.equal(await reply.getAttribute("data-finish"), "stop");
}

/**
 * Sends "count to `n`", presses Stop once more than 10 characters show, and checks the
 * reply is marked stopped, stops growing (watched for 500 ms), had not finished, and
 * Send works again.
 */
export async function assertStopsCount(page, n) {
  await page.fill("#prompt", `count to ${n}`);
  await page.click("#send");
  const reply = page.locator("#log li.assistant").last();
  await page.waitForFunction(
    () => (document.querySelector("#log li.assistant:last-child .text")?.textContent ?? "").length > 10,
  );
  await page.click("#stop");
  await page.waitForSelector("#log li.assistant:last-child[data-state=stopped]");
  const at = await reply.locator(".text").textContent();
  await page.waitForTimeout(500);
  assert.equal(await reply.locator(".text").textContent(), at, "text still grows after Stop");
  assert.ok(!at.endsWith(` ${n}`), "the stream had already finished");
  assert.equal(await page.locator("#send").isEnabled(), true);
}

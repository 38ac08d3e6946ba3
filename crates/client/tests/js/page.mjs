// Runs in the browser page: the built package imported as a user would.
import init, {
  Switchboard, APIError, AuthenticationError, StreamInterruptedError, RateLimitError,
} from "/pkg/switchboard_client.js";

const query = new URL(location.href).searchParams;
const SIM = query.get("sim");
const GATEWAY = query.get("gateway");
const TOKEN = query.get("token");
const results = [];

async function check(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
  } catch (e) {
    results.push({ name, ok: false, error: `${e && e.name}: ${e && e.message}` });
  }
}

function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

function direct(provider, prefix, key, extra = {}) {
  return new Switchboard({
    provider, baseURL: SIM + prefix, apiKey: key, dangerouslyAllowBrowser: true, ...extra,
  });
}

const messages = (text) => [{ role: "user", content: text }];

/** Streams "count to 4" from `model`: four chunks through `for await`, then finalCompletion. */
async function countsToFour(sb, model) {
  const stream = await sb.chat.completions.create({
    model, messages: messages("count to 4"), stream: true,
  });
  const parts = [];
  for await (const chunk of stream) {
    const t = chunk.choices[0]?.delta?.content;
    if (t) parts.push(t);
  }
  assert(JSON.stringify(parts) === JSON.stringify(["1", " 2", " 3", " 4"]), JSON.stringify(parts));
  const done = await stream.finalCompletion();
  assert(done.choices[0].message.content === "1 2 3 4", JSON.stringify(done));
}

await init();
const siraya = direct("siraya", "/siraya/v1", "sk-sim-siraya");

await check("chat non-stream", async () => {
  const r = await siraya.chat.completions.create({ model: "m", messages: messages("count to 3") });
  assert(r.choices[0].message.content === "1 2 3", JSON.stringify(r));
});

await check("for await over a stream, then finalCompletion", async () => {
  await countsToFour(siraya, "m");
});

await check("breaking out of for await cancels the stream", async () => {
  const stream = await siraya.chat.completions.create(
    { model: "m", messages: messages("count to 50"), stream: true },
    { headers: { "x-sim-chunk-delay-ms": "20" } },
  );
  let n = 0;
  for await (const _ of stream) {
    if (++n === 2) break;
  }
  const next = await stream.next();
  assert(next.done === true, "a cancelled stream is done");
});

await check("error classes are exported and instanceof works", async () => {
  const bad = direct("secry", "/secry/v1", "sk-wrong");
  try {
    await bad.chat.completions.create({ model: "m", messages: messages("hi") });
    throw new Error("no error");
  } catch (e) {
    assert(e instanceof AuthenticationError, `class ${e.name}`);
    assert(e instanceof APIError && e instanceof Error, "hierarchy");
    assert(e.status === 401 && e.code === "invalid_api_key" && e.provider === "secry", JSON.stringify(e));
    assert(e.name === "AuthenticationError", e.name);
    assert(Switchboard.AuthenticationError === AuthenticationError, "static getter");
  }
});

await check("rate limit error carries retryAfter", async () => {
  try {
    await siraya.chat.completions.create(
      { model: "m", messages: messages("hi") },
      { maxRetries: 0, headers: { "x-sim-fault": "retry-after=3" } },
    );
    throw new Error("no error");
  } catch (e) {
    assert(e instanceof RateLimitError && e.retryAfter === 3, `${e.name} ${e.retryAfter}`);
  }
});

await check("a cut stream throws StreamInterruptedError from the iterator", async () => {
  const stream = await siraya.chat.completions.create(
    { model: "m", messages: messages("count to 20"), stream: true },
    { headers: { "x-sim-fault": "reset-after=3" } },
  );
  try {
    for await (const _ of stream) { /* drain */ }
    throw new Error("ended quietly");
  } catch (e) {
    assert(e instanceof StreamInterruptedError, `${e.name}: ${e.message}`);
  }
});

// ---- through the real gateway --------------------------------------------------------

const gateway = new Switchboard({ baseURL: GATEWAY, apiKey: TOKEN });

/** Arms a simulator fault for the gateway's next upstream request under `prefix`. */
async function arm(fault, prefix, times = 1) {
  const r = await fetch(`${SIM}/__sim/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ fault, times, path_prefix: prefix }),
  });
  assert(r.ok, `arming ${fault}: ${r.status}`);
}
const disarm = () => fetch(`${SIM}/__sim/faults`, { method: "DELETE" });

await check("gateway: for await over a stream, chunk by chunk, then finalCompletion", async () => {
  await countsToFour(gateway, "siraya/claude-3-5-sonnet@20240620");
});

await check("gateway: a wrong token is an AuthenticationError", async () => {
  const bad = new Switchboard({ baseURL: GATEWAY, apiKey: "not-the-token" });
  try {
    await bad.chat.completions.create({ model: "secry/gemma-3-27b-it", messages: messages("hi") });
    throw new Error("no error");
  } catch (e) {
    assert(e instanceof AuthenticationError && e instanceof APIError, `class ${e.name}`);
    assert(e.status === 401 && typeof e.requestId === "string" && e.requestId, JSON.stringify(e));
  }
});

await check("gateway: an upstream 429 is a RateLimitError with retryAfter", async () => {
  await arm("retry-after=30", "/secry/", 3);
  try {
    await gateway.chat.completions.create(
      { model: "secry/gemma-3-27b-it", messages: messages("hi") }, { maxRetries: 0 },
    );
    throw new Error("no error");
  } catch (e) {
    assert(e instanceof RateLimitError && e.status === 429 && e.retryAfter === 30, `${e.name} ${e.retryAfter}`);
  } finally {
    await disarm();
  }
});

await check("gateway: a cut stream throws from the iterator, never ends quietly", async () => {
  await arm("reset-after=3", "/siraya/");
  try {
    const stream = await gateway.chat.completions.create({
      model: "siraya/claude-3-5-sonnet@20240620", messages: messages("count to 20"), stream: true,
    });
    for await (const _ of stream) { /* drain */ }
    throw new Error("ended quietly");
  } catch (e) {
    assert(e instanceof StreamInterruptedError || (e instanceof APIError && e.inStream === true),
      `${e.name}: ${e.message}`);
  } finally {
    await disarm();
  }
});

window.__results = results;

// Runs in the browser page: the built package imported as a user would.
import init, {
  Switchboard, APIError, AuthenticationError, StreamInterruptedError, RateLimitError,
} from "/pkg/switchboard_client.js";

const SIM = new URL(location.href).searchParams.get("sim");
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

await init();
const siraya = direct("siraya", "/siraya/v1", "sk-sim-siraya");

await check("chat non-stream", async () => {
  const r = await siraya.chat.completions.create({ model: "m", messages: messages("count to 3") });
  assert(r.choices[0].message.content === "1 2 3", JSON.stringify(r));
});

await check("for await over a stream, then finalCompletion", async () => {
  const stream = await siraya.chat.completions.create({
    model: "m", messages: messages("count to 4"), stream: true,
  });
  const parts = [];
  for await (const chunk of stream) {
    const t = chunk.choices[0]?.delta?.content;
    if (t) parts.push(t);
  }
  assert(JSON.stringify(parts) === JSON.stringify(["1", " 2", " 3", " 4"]), JSON.stringify(parts));
  const done = await stream.finalCompletion();
  assert(done.choices[0].message.content === "1 2 3 4", JSON.stringify(done));
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

window.__results = results;

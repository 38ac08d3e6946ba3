// The fault matrix's browser side: the built client package (crates/client/pkg) imported
// as a user would, with `window.runCell(spec)` making one call and reporting what the
// caller saw. Driven by xtask/faults/run.mjs through playwright-core.
import init, { Switchboard, SwitchboardError } from "/pkg/switchboard_client.js";

await init();

/// Most stream events kept per cell (an endless stream is counted, not kept).
const KEEP_EVENTS = 200;

window.runCell = async (spec) => {
  const limits = {
    timeout: spec.timeoutMs, maxRetries: spec.maxRetries,
    idleTimeout: spec.idleTimeoutMs, streamTimeout: spec.streamTimeoutMs,
  };
  const client = spec.direct
    ? new Switchboard({
      provider: "secry", baseURL: spec.base, apiKey: spec.key, dangerouslyAllowBrowser: true,
      ...limits,
    })
    : new Switchboard({ baseURL: spec.base, apiKey: spec.key, ...limits });
  const abort = new AbortController();
  const seen = { content: "", events: [], eventCount: 0 };
  const call = async () => {
    const params = {
      model: spec.model, stream: spec.stream,
      messages: [{ role: "user", content: spec.prompt }],
    };
    const r = await client.chat.completions.create(params, { signal: abort.signal });
    if (!spec.stream) {
      seen.events.push(JSON.stringify(r));
      seen.content = r.choices?.[0]?.message?.content ?? "";
      return;
    }
    for await (const chunk of r) {
      seen.eventCount++;
      if (seen.events.length < KEEP_EVENTS) seen.events.push(JSON.stringify(chunk));
      seen.content += chunk.choices?.[0]?.delta?.content ?? "";
    }
  };
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve("hang"), spec.deadlineMs);
  });
  const outcome = await Promise.race([
    call().then(() => ({ outcome: "ok" }), (e) => ({
      outcome: "error",
      error: {
        name: e?.name ?? typeof e,
        status: e?.status ?? null,
        code: e?.code ?? null,
        message: String(e?.message ?? e),
        typed: e instanceof SwitchboardError && e.name !== "Error",
      },
    })),
    deadline,
  ]);
  clearTimeout(timer);
  if (outcome === "hang") {
    abort.abort();
    return { outcome: "hang", ...seen };
  }
  return { ...outcome, ...seen };
};

window.ready = true;

// The browser bench page: the same recorded bytes, cut in the same 1–4 kB pieces, go
// through (a) the wasm client, `sb.chat.completions.create({stream: true})` with an
// injected `fetch` answering a `Response` over a `ReadableStream` of the pieces (the path
// a user's stream takes), and (b) the JS baseline, eventsource-parser + `JSON.parse` per
// event with the same cheap normalization, read from the same kind of `Response`. Both
// are consumed by the same `for await` loop. Rounds are interleaved, best of N after a
// warm-up, bounded in time. Results go to `window.__bench` for run.mjs.
import init, { Switchboard } from "switchboard-client";
import { createParser } from "eventsource-parser";
import { SHAPES, pieces } from "./payload.mjs";

const params = new URLSearchParams(location.search);
const ROUNDS = Number(params.get("rounds") || 7);
const WARMUP = Number(params.get("warmup") || 2);
const BUDGET_MS = Number(params.get("budget") || 20000);

/** A 200 SSE `Response` whose body delivers `parts` one read at a time. */
function response(parts) {
  let i = 0;
  const body = new ReadableStream({
    pull(c) {
      if (i < parts.length) c.enqueue(parts[i++]);
      else c.close();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
}

/** What a page does with a stream: counts chunks, reads each delta's content. */
async function consume(chunks, keep) {
  let n = 0;
  let chars = 0;
  let content = "";
  let finish = null;
  for await (const chunk of chunks) {
    n++;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const t = choice.delta?.content;
    if (t) {
      chars += t.length;
      if (keep) content += t;
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return { n, chars, content, finish };
}

const OPENAI_FINISH = new Set(["stop", "length", "tool_calls", "content_filter", "function_call"]);
const FINISH_MAP = { end_turn: "stop", stop_sequence: "stop", max_tokens: "length", tool_use: "tool_calls" };

/** The JS baseline: eventsource-parser over the decoded body, `JSON.parse` per event,
 * the finish reason normalized as the core does, chunks yielded one by one. */
async function* jsChunks(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let queue = [];
  const parser = createParser({
    onEvent(e) {
      if (e.data === "[DONE]") return;
      const chunk = JSON.parse(e.data);
      const choice = chunk.choices?.[0];
      const reason = choice?.finish_reason;
      if (reason && !OPENAI_FINISH.has(reason)) {
        choice.native_finish_reason = reason;
        choice.finish_reason = FINISH_MAP[reason.toLowerCase()] ?? "stop";
      }
      queue.push(chunk);
    },
  });
  for (;;) {
    const r = await reader.read();
    parser.feed(r.done ? decoder.decode() : decoder.decode(r.value, { stream: true }));
    const ready = queue;
    queue = [];
    yield* ready;
    if (r.done) return;
  }
}

/** A client whose `fetch` answers every request with `parts`. */
function client(shape, parts) {
  const fetch = () => Promise.resolve(response(parts));
  const common = { baseURL: "http://bench.invalid/v1", apiKey: "bench", maxRetries: 0, fetch };
  return shape.provider
    ? new Switchboard({ ...common, provider: shape.provider, dangerouslyAllowBrowser: true })
    : new Switchboard(common);
}

function request(shape) {
  return {
    model: shape.model,
    messages: [{ role: "user", content: "Hi" }],
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** The variants timed per shape; the first two are the headline pair. */
function variants(shape, parts) {
  const sb = client(shape, parts);
  return [
    {
      name: "wasm client (for await)",
      run: async (keep) => consume(await sb.chat.completions.create(request(shape)), keep),
    },
    {
      name: "JS baseline (eventsource-parser + JSON.parse)",
      run: (keep) => consume(jsChunks(response(parts)), keep),
    },
  ];
}

async function measure(shape) {
  const bytes = new TextEncoder().encode(shape.build());
  const parts = pieces(bytes);
  const vs = variants(shape, parts);
  // Same chunks, same content, same finish, before any timing.
  const seen = [];
  for (const v of vs) seen.push(await v.run(true));
  for (const [i, s] of seen.entries()) {
    const w = seen[0];
    if (s.n !== w.n || s.content !== w.content || s.finish !== w.finish) {
      throw new Error(`${shape.name}: ${vs[i].name} gave ${s.n} chunks / ${s.content.length} chars / ${s.finish}, `
        + `${vs[0].name} ${w.n} / ${w.content.length} / ${w.finish}`);
    }
  }
  for (let r = 0; r < WARMUP; r++) for (const v of vs) await v.run(false);
  const best = vs.map(() => Infinity);
  const start = performance.now();
  let rounds = 0;
  while (rounds < ROUNDS && (rounds === 0 || performance.now() - start < BUDGET_MS)) {
    for (const [i, v] of vs.entries()) {
      const t = performance.now();
      const got = await v.run(false);
      best[i] = Math.min(best[i], performance.now() - t);
      if (got.n !== seen[0].n) throw new Error(`${shape.name}: ${v.name} gave ${got.n} chunks`);
    }
    rounds++;
  }
  return {
    shape: shape.name,
    about: shape.about,
    bytes: bytes.length,
    pieces: parts.length,
    chunks: seen[0].n,
    rounds,
    variants: vs.map((v, i) => ({ name: v.name, ms: best[i] })),
  };
}

try {
  await init();
  const results = [];
  for (const shape of SHAPES) results.push(await measure(shape));
  window.__bench = { ok: true, results };
} catch (e) {
  window.__bench = { ok: false, error: String(e && e.stack ? e.stack : e) };
}

// The browser bench page: the same recorded bytes, cut in the same 1–4 kB pieces, go
// through (a) the wasm client, `sb.chat.completions.create({stream: true})` with an
// injected `fetch` answering a `Response` over a `ReadableStream` of the pieces (the path
// a user's stream takes), and (b) the JS baseline, eventsource-parser + `JSON.parse` per
// event with the same cheap normalization, read from the same kind of `Response`. Both
// are consumed by the same `for await` loop; two more variants split the cost (see
// `variants`). Rounds are interleaved, best of N after a warm-up, bounded in time.
// Results go to `window.__bench` for run.mjs.
import init, { Switchboard } from "switchboard-client";
import { createParser } from "eventsource-parser";
import { SHAPES, pieces } from "./payload.mjs";

const params = new URLSearchParams(location.search);
const ROUNDS = Number(params.get("rounds") || 7);
const WARMUP = Number(params.get("warmup") || 2);
const BUDGET_MS = Number(params.get("budget") || 20000);
// Optional filters (the profile run): variant numbers (`variants`, comma-separated) and
// one stream (`shape`).
const ONLY = params.get("variants")?.split(",").map(Number) ?? null;
const SHAPE = params.get("shape");

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

/** A tally of chunks: count, content length (and text when `keep`), last finish. */
function tally(keep) {
  return { n: 0, chars: 0, content: "", finish: null, keep };
}

/** What a page does with each chunk: counts it, reads its delta's content. */
function see(t, chunk) {
  t.n++;
  const choice = chunk.choices[0];
  if (!choice) return;
  const text = choice.delta?.content;
  if (text) {
    t.chars += text.length;
    if (t.keep) t.content += text;
  }
  if (choice.finish_reason) t.finish = choice.finish_reason;
}

/** What a page does with a stream: `see` for every chunk, in a `for await` loop. */
async function consume(chunks, keep) {
  const t = tally(keep);
  for await (const chunk of chunks) see(t, chunk);
  return t;
}

const OPENAI_FINISH = new Set(["stop", "length", "tool_calls", "content_filter", "function_call"]);
const FINISH_MAP = { end_turn: "stop", stop_sequence: "stop", max_tokens: "length", tool_use: "tool_calls" };

/** `chunk` with a provider's own finish reason mapped to OpenAI's (kept as
 * `native_finish_reason`), as the core does. */
function normalized(chunk) {
  const choice = chunk.choices?.[0];
  const reason = choice?.finish_reason;
  if (reason && !OPENAI_FINISH.has(reason)) {
    choice.native_finish_reason = reason;
    choice.finish_reason = FINISH_MAP[reason.toLowerCase()] ?? "stop";
  }
  return chunk;
}

/** The JS baseline: eventsource-parser over the decoded body, `JSON.parse` per event,
 * the finish reason normalized as the core does, chunks yielded one by one. */
async function* jsChunks(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let queue = [];
  const parser = createParser({
    onEvent(e) {
      if (e.data !== "[DONE]") queue.push(normalized(JSON.parse(e.data)));
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

/** Each event's data, cut from the whole text (for the `JSON.parse` alone row). */
function payloads(text) {
  return text.split(/\r?\n\r?\n/)
    .map((e) => e.split(/\r?\n/).find((l) => l.startsWith("data:")))
    .filter((l) => l !== undefined)
    .map((l) => l.slice(5).trimStart())
    .filter((d) => d !== "[DONE]");
}

/** The variants timed per shape: the headline pair, then two that split the cost:
 * `finalCompletion()` (the chunks never leave wasm one by one through the iterator)
 * and `JSON.parse` of the events alone (no framing, no stream; what any path that
 * hands out JS objects pays at least). */
function variants(shape, parts, text) {
  const sb = client(shape, parts);
  const data = payloads(text);
  return [
    {
      name: "wasm client (for await)",
      run: async (keep) => consume(await sb.chat.completions.create(request(shape)), keep),
    },
    {
      name: "JS baseline (eventsource-parser + JSON.parse)",
      run: (keep) => consume(jsChunks(response(parts)), keep),
    },
    {
      name: "wasm client, finalCompletion() only",
      run: async (keep) => {
        const stream = await sb.chat.completions.create(request(shape));
        const done = (await stream.finalCompletion()).choices[0];
        const content = done.message.content ?? "";
        return { n: null, chars: content.length, content: keep ? content : "", finish: done.finish_reason };
      },
    },
    {
      name: "JSON.parse of the events alone",
      run: async (keep) => {
        const t = tally(keep);
        for (const d of data) see(t, normalized(JSON.parse(d)));
        return t;
      },
    },
  ];
}

async function measure(shape) {
  const text = shape.build();
  const bytes = new TextEncoder().encode(text);
  const parts = pieces(bytes);
  const vs = variants(shape, parts, text).filter((_, i) => ONLY === null || ONLY.includes(i));
  // Same chunks, same content, same finish, before any timing.
  const seen = [];
  for (const v of vs) seen.push(await v.run(true));
  for (const [i, s] of seen.entries()) {
    const w = seen[0];
    if ((s.n !== null && s.n !== w.n) || s.content !== w.content || s.finish !== w.finish) {
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
      if (got.n !== null && got.n !== seen[0].n) throw new Error(`${shape.name}: ${v.name} gave ${got.n} chunks`);
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
  for (const shape of SHAPES.filter((s) => SHAPE === null || s.name === SHAPE)) {
    results.push(await measure(shape));
  }
  window.__bench = { ok: true, results };
} catch (e) {
  window.__bench = { ok: false, error: String(e && e.stack ? e.stack : e) };
}

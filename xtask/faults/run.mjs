// The fault matrix driver (`cargo xtask faults` starts the simulator and the gateway and
// runs this): every fault × {non-stream, stream} × {browser client → simulator, browser
// client → gateway, official OpenAI SDK (node) → gateway}. Each cell arms the fault in the
// simulator (`POST /__sim/faults`), makes one call, and reads the simulator's request log.
// Writes the markdown section to FAULTS_OUT, everything seen through the gateway to
// SWITCHBOARD_CAPTURE_DIR (for the key canary scan), and prints a `TOTALS` line.
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, serve } from "../js/chromium.mjs";
import OpenAI from "openai";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set (run through cargo xtask faults)`);
    process.exit(2);
  }
  return v;
};
const SIM = env("FAULTS_SIM_URL");
const GW = env("FAULTS_GATEWAY_URL");
const TOKEN = env("FAULTS_GATEWAY_TOKEN");
const SIM_KEY = env("FAULTS_SIM_KEY");
const OUT = env("FAULTS_OUT");
const WRANGLER_LOG = process.env.FAULTS_WRANGLER_LOG;
const CAPTURE = process.env.SWITCHBOARD_CAPTURE_DIR;
const ONLY = process.env.FAULTS_ONLY; // a substring of fault ids, to run a few rows

const PROMPT = "count to 5";
const EXPECTED = "1 2 3 4 5";
// Per-attempt client timeout; the gateway's own limits are shorter (see faults.rs).
const TIMEOUT_MS = 3000;
const MAX_RETRIES = 2;
// The browser client's body bounds (its defaults, 30 s and 300 s, outlast the deadline);
// longer than the gateway's, so through the gateway its own limits answer first.
const IDLE_TIMEOUT_MS = 2000;
const STREAM_TIMEOUT_MS = 5000;
// A cell still running after this is a hang (FAIL).
const DEADLINE_MS = 12000;
const KEEP_EVENTS = 200;

// [id, description, simulator fault, how many upstream requests it hits].
const ONCE = 1;
const ALWAYS = 1000;
const FAULTS = [
  ["none", "no fault (baseline)", null, 0],
  ["latency", "latency 300 ms", "latency=300", ONCE],
  ["reset", "reset before the first byte", "reset", ONCE],
  ["reset-always", "reset before the first byte, every attempt", "reset", ALWAYS],
  ["reset-after", "reset after the first byte (3 events / 3 bytes)", "reset-after=3", ONCE],
  ["one-byte", "1-byte slices", "one-byte", ONCE],
  ["garbage", "garbage bytes (with invalid UTF-8)", "garbage", ONCE],
  ["bad-utf8", "invalid UTF-8 inside the content", "bad-utf8", ONCE],
  ["truncate", "truncated JSON", "truncate", ONCE],
  ["hang", "hung upstream (8 s, no bytes)", "hang=8000", ONCE],
  ["429-seconds", "429, Retry-After: 1", "retry-after=1", ONCE],
  ["429-date", "429, Retry-After as an HTTP date (+2 s)", "retry-after-date=2", ONCE],
  ["500", "500", "500", ONCE],
  ["502", "502", "502", ONCE],
  ["503", "503", "503", ONCE],
  ["503-always", "503 on every attempt", "503", ALWAYS],
  ["html", "HTML error page from a proxy (502)", "html", ONCE],
  ["no-done", "stream without [DONE] (plain: no effect)", "no-done", ONCE],
  ["error-event", "in-stream error event (plain: no effect)", "error-mid-stream=2", ONCE],
  ["oversize", "oversized body (9 MiB of padding)", "oversize=9437184", ONCE],
  ["endless", "endless body", "endless", ONCE],
].filter(([id]) => !ONLY || ONLY.split(",").some((o) => id.includes(o)));

// The callers. Each talks to its own OpenAI-shaped provider of the simulator (same
// deterministic replies), so the three run side by side without sharing armed faults.
const PATHS = [
  { id: "browser", name: "browser client → simulator", prefix: "/secry", chat: "/secry/v1/chat/completions", model: "gemma-3-27b-it" },
  { id: "browser-gw", name: "browser client → gateway", prefix: "/siraya", chat: "/siraya/v1/chat/completions", model: "siraya/some-model" },
  { id: "sdk-gw", name: "OpenAI SDK (node) → gateway", prefix: "/airforce", chat: "/airforce/v1/chat/completions", model: "airforce/openchat-3.5-0106" },
];

async function sim(method, path, body) {
  const r = await fetch(SIM + path, {
    method, headers: { "content-type": "application/json" },
    body: body && JSON.stringify(body), signal: AbortSignal.timeout(5000),
  });
  if (!r.ok) throw new Error(`simulator ${method} ${path}: ${r.status}`);
  return r.status === 204 ? null : r.json();
}

/// The gateway's log size now, so a cell's panics can be found in what it added.
function logSize() {
  try {
    return WRANGLER_LOG ? statSync(WRANGLER_LOG).size : 0;
  } catch {
    return 0;
  }
}

function logSince(offset) {
  if (!WRANGLER_LOG) return "";
  try {
    return readFileSync(WRANGLER_LOG).subarray(offset).toString("utf8");
  } catch {
    return "";
  }
}

const PANIC = /panicked|RuntimeError: unreachable/;

async function sdkCell(path, stream) {
  const client = new OpenAI({
    baseURL: `${GW}/v1`, apiKey: TOKEN, timeout: TIMEOUT_MS, maxRetries: MAX_RETRIES,
  });
  const abort = new AbortController();
  const seen = { content: "", events: [], eventCount: 0, headers: {} };
  const call = async () => {
    const params = { model: path.model, stream, messages: [{ role: "user", content: PROMPT }] };
    const { data, response } = await client.chat.completions
      .create(params, { signal: abort.signal }).withResponse();
    seen.headers = Object.fromEntries(response.headers);
    if (!stream) {
      seen.events.push(JSON.stringify(data));
      seen.content = data.choices?.[0]?.message?.content ?? "";
      return;
    }
    for await (const chunk of data) {
      seen.eventCount++;
      if (seen.events.length < KEEP_EVENTS) seen.events.push(JSON.stringify(chunk));
      seen.content += chunk.choices?.[0]?.delta?.content ?? "";
    }
  };
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve("hang"), DEADLINE_MS);
  });
  const outcome = await Promise.race([
    call().then(() => ({ outcome: "ok" }), (e) => ({
      outcome: "error",
      error: {
        name: e?.constructor?.name ?? typeof e,
        status: e?.status ?? null,
        code: e?.code ?? null,
        message: String(e?.message ?? e),
        typed: e instanceof OpenAI.APIError,
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
}

async function browserCell(page, path, stream) {
  const direct = path.id === "browser";
  const spec = direct
    ? { direct, base: `${SIM}/secry/v1`, key: SIM_KEY, model: path.model }
    : { direct, base: `${GW}/v1`, key: TOKEN, model: path.model };
  Object.assign(spec, {
    stream, prompt: PROMPT, timeoutMs: TIMEOUT_MS, maxRetries: MAX_RETRIES, deadlineMs: DEADLINE_MS,
    idleTimeoutMs: IDLE_TIMEOUT_MS, streamTimeoutMs: STREAM_TIMEOUT_MS,
  });
  return page.evaluate((s) => window.runCell(s), spec);
}

/// The cell's text and whether it is ok, typed, a FAIL, a panic or a silent truncation.
function judge(r, attempts) {
  if (r.outcome === "hang") {
    const why = r.eventCount > 0 ? `still streaming after ${DEADLINE_MS / 1000} s (${r.eventCount} events)`
      : `no answer within ${DEADLINE_MS / 1000} s`;
    return { text: `FAIL ${why}`, kind: "fail" };
  }
  if (r.outcome === "ok") {
    if (r.content === EXPECTED) {
      return { text: attempts > 1 ? "ok (retried)" : "ok", kind: "ok" };
    }
    const cut = EXPECTED.startsWith(r.content);
    return {
      text: `FAIL ${cut ? "silent truncation" : "garbled content"}: ${JSON.stringify(r.content.slice(0, 40))}`,
      kind: "fail",
      truncation: true,
    };
  }
  const e = r.error;
  const what = [e.name, e.status ?? e.code].filter((x) => x !== null && x !== undefined).join(" ");
  if (!e.typed) return { text: `FAIL untyped error ${what}: ${e.message.slice(0, 60)}`, kind: "fail" };
  return { text: `typed error ${what}`, kind: "typed" };
}

function capture(name, data) {
  if (!CAPTURE) return;
  mkdirSync(CAPTURE, { recursive: true });
  writeFileSync(join(CAPTURE, `${name}.json`), JSON.stringify(data, null, 1));
}

const pkg = join(root, "crates", "client", "pkg");
const { server, origin } = await serve(
  (path) => path === "/page.mjs" ? join(here, "page.mjs")
    : path.startsWith("/pkg/") && !path.includes("..") ? join(pkg, path.slice(5)) : null,
  { "/": '<!doctype html><script type="module" src="/page.mjs"></script>' },
);
const browser = await chromium.launch(CHROMIUM);
const rows = [];
const totals = { cells: 0, ok: 0, typed: 0, fail: 0, panics: 0, truncations: 0 };
const fails = [];

/// The highest request-log sequence number so far.
async function lastSeq() {
  const log = await sim("GET", "/__sim/requests");
  return log.length ? log.at(-1).seq : -1;
}

/// Waits (at most 30 s) until the gateway answers `/__ready` within a second, so work
/// a row left behind (say, an oversized body still being read) does not slow the next.
async function settle() {
  const until = Date.now() + 30000;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${GW}/__ready`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return;
    } catch {
      // still busy
    }
  }
}

/// One caller's two cells (plain, stream) for one fault.
async function runPath(page, pageErrors, path, fault, times) {
  const out = [];
  for (const stream of [false, true]) {
    if (fault && times === ONCE) {
      await sim("POST", "/__sim/faults", { fault, times, path_prefix: path.prefix });
    }
    const since = await lastSeq();
    const errorsBefore = pageErrors.length;
    const started = Date.now();
    const r = path.id === "sdk-gw" ? await sdkCell(path, stream) : await browserCell(page, path, stream);
    const ms = Date.now() - started;
    const log = await sim("GET", "/__sim/requests");
    const attempts = log.filter((e) => e.seq > since && e.path === path.chat).length;
    const verdict = judge(r, attempts);
    if (pageErrors.length > errorsBefore) {
      verdict.text = `FAIL page error: ${pageErrors.at(-1).slice(0, 60)}`;
      verdict.kind = "fail";
    }
    out.push({ stream, r, attempts, ms, verdict });
  }
  return out;
}

try {
  const open = async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    try {
      await page.waitForFunction(() => window.ready, null, { timeout: 60000 });
    } catch (e) {
      throw new Error(`the page did not load the client package (${e.message}): ${errors.join("; ")}`);
    }
    return { page, errors };
  };
  const pages = [await open(), await open()];
  for (const [id, label, fault, times] of FAULTS) {
    await settle();
    await sim("DELETE", "/__sim/faults");
    await sim("DELETE", "/__sim/requests");
    if (fault && times === ALWAYS) {
      for (const path of PATHS) {
        await sim("POST", "/__sim/faults", { fault, times, path_prefix: path.prefix });
      }
    }
    const before = logSize();
    const results = await Promise.all(PATHS.map((path, i) => {
      const { page, errors } = pages[Math.min(i, 1)];
      return runPath(page, errors, path, fault, times);
    }));
    // A panic in the gateway's output while this row ran fails the row's gateway cells.
    const panicked = PANIC.test(logSince(before));
    const cells = [];
    PATHS.forEach((path, i) => {
      for (const { stream, r, attempts, ms, verdict } of results[i]) {
        if (panicked && path.id !== "browser") {
          Object.assign(verdict, { text: "FAIL gateway panicked", kind: "fail", panic: true });
        }
        totals.cells++;
        totals[verdict.kind]++;
        if (verdict.panic) totals.panics++;
        if (verdict.truncation) totals.truncations++;
        const mode = stream ? "stream" : "plain";
        if (verdict.kind === "fail") fails.push(`${id} / ${path.id} / ${mode}: ${verdict.text}`);
        console.log(`${verdict.text.padEnd(44)} ${id} / ${path.id} / ${mode} (${attempts} upstream, ${ms} ms)`);
        if (path.id !== "browser") capture(`faults-${id}-${path.id}-${mode}`, r);
        cells.push(verdict.text);
      }
    });
    rows.push([label, ...cells]);
  }
} finally {
  await browser.close();
  server.close();
}

const head = ["fault", ...PATHS.flatMap(({ name }) => [`${name}, plain`, `${name}, stream`])];
const line = (cells) => `| ${cells.join(" | ")} |`;
const md = [
  line(head),
  line(head.map(() => "---")),
  ...rows.map(line),
  "",
  `Totals: ${totals.cells} cells, ${totals.ok} ok, ${totals.typed} typed errors, ${totals.fail} FAIL, ` +
    `${totals.panics} panics, ${totals.truncations} silent truncations.`,
];
if (fails.length) md.push("", "FAIL cells:", "", ...fails.map((f) => `- ${f}`));
writeFileSync(OUT, md.join("\n") + "\n");
if (CAPTURE) appendFileSync(join(CAPTURE, "faults-summary.txt"), md.join("\n") + "\n");
console.log(`TOTALS cells=${totals.cells} ok=${totals.ok} typed=${totals.typed} fail=${totals.fail} ` +
  `panics=${totals.panics} truncations=${totals.truncations}`);

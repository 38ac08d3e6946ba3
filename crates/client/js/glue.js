// JavaScript side of switchboard-client: error classes, abortable timers, the fetch call
// and the async-iterator / ReadableStream adapters. Everything else is Rust.

/** Base class of every error this package throws. */
export class SwitchboardError extends Error {}

/** An error answer (or an error inside a stream) from a provider or the gateway. */
export class APIError extends SwitchboardError {
  constructor(message, props) {
    super(message);
    Object.assign(this, props);
  }
}
/** 400 or 422: the request was refused as malformed. */
export class BadRequestError extends APIError {}
/** 401: the key was refused. */
export class AuthenticationError extends APIError {}
/** 403: the key may not do this. */
export class PermissionDeniedError extends APIError {}
/** 404: no such model, file or route. */
export class NotFoundError extends APIError {}
/** 409: conflict. */
export class ConflictError extends APIError {}
/** 429: rate limited; see `retryAfter`. */
export class RateLimitError extends APIError {}
/** 5xx: the server failed. */
export class InternalServerError extends APIError {}
/** The server could not be reached, or the connection broke before an answer. */
export class APIConnectionError extends APIError {}
/** No answer within `timeout`. */
export class APIConnectionTimeoutError extends APIConnectionError {}
/** The caller's AbortSignal fired. */
export class APIUserAbortError extends APIError {}
/** A stream was cut before its end (`[DONE]` or a finish reason). */
export class StreamInterruptedError extends APIError {}

const CLASSES = {
  SwitchboardError, APIError, BadRequestError, AuthenticationError, PermissionDeniedError,
  NotFoundError, ConflictError, RateLimitError, InternalServerError, APIConnectionError,
  APIConnectionTimeoutError, APIUserAbortError, StreamInterruptedError,
};
for (const [name, C] of Object.entries(CLASSES)) {
  Object.defineProperty(C.prototype, "name", { value: name, configurable: true, writable: true });
}

export function errorClass(name) {
  return CLASSES[name];
}

export function makeError(name, message, props) {
  const C = CLASSES[name] || APIError;
  return new C(message, props || {});
}

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** One HTTP attempt: its own AbortController, tied to the caller's signal and a timeout. */
export class Attempt {
  constructor(signal, timeoutMs) {
    this.ctl = new AbortController();
    this.user = signal || null;
    this.timedOut = false;
    this.timeoutMs = timeoutMs;
    this.onAbort = () => this.ctl.abort(this.user.reason);
    if (this.user) {
      if (this.user.aborted) this.ctl.abort(this.user.reason);
      else this.user.addEventListener("abort", this.onAbort, { once: true });
    }
    this.timer = timeoutMs > 0
      ? setTimeout(() => { this.timedOut = true; this.ctl.abort(); }, timeoutMs)
      : undefined;
  }
  get signal() { return this.ctl.signal; }
  get userAborted() { return !!(this.user && this.user.aborted); }
  clearTimer() { clearTimeout(this.timer); }
  abort() { this.ctl.abort(); }
  /**
   * Bounds the body from now on: `idleMs` of silence while a read waits, `totalMs` in
   * all (0 = none). Crossing one aborts the request and cancels the reader; `expired`
   * then names the bound ("stream_idle_timeout" or "stream_timeout").
   */
  bound(idleMs, totalMs) {
    this.idleMs = idleMs;
    this.expired = null;
    if (totalMs > 0) this.total = setTimeout(() => this.expire("stream_timeout", totalMs), totalMs);
  }
  expire(code, ms) {
    if (this.expired) return;
    this.expired = code;
    this.expiredAfter = ms;
    this.ctl.abort();
    if (this.reader) this.reader.cancel().catch(() => {});
  }
  /**
   * `reader.read()` under the idle bound; the caller calls `settled()` when it has the
   * result (cheaper than chaining it here, which cost a promise and two microtask turns
   * per read). One timer serves every read (a timer set and cleared per read cost more
   * than the read itself): it notes when the waiting read began, and the timer, when it
   * fires, expires the body only if that read has waited `idleMs`, else re-arms for the
   * rest; with no read waiting it lapses until the next.
   */
  read(reader) {
    this.reader = reader;
    if (this.idleMs > 0) {
      this.waitingSince = performance.now();
      if (this.idle === undefined) this.armIdle(this.idleMs);
    }
    return reader.read();
  }
  /** The read `read()` started has settled. */
  settled() { this.waitingSince = -1; }
  armIdle(ms) {
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (!(this.waitingSince >= 0) || this.expired) return;
      const left = this.waitingSince + this.idleMs - performance.now();
      if (left <= 0) this.expire("stream_idle_timeout", this.idleMs);
      else this.armIdle(left);
    }, ms);
  }
  release() {
    clearTimeout(this.timer);
    clearTimeout(this.total);
    clearTimeout(this.idle);
    this.idle = undefined;
    this.reader = null;
    if (this.user) this.user.removeEventListener("abort", this.onAbort);
  }
}

export function doFetch(f, url, method, headers, body, signal) {
  const init = { method, headers, signal };
  if (body !== undefined) init.body = body;
  return f ? f(url, init) : fetch(url, init);
}

export function errorText(e) {
  if (e && typeof e.message === "string") return e.message;
  return String(e);
}

/** Where a Stream keeps the batch of chunks being handed out. */
const CURSOR = Symbol("switchboard.cursor");

/** A stream's cursor: the batch being handed out and what `buildBatch` keeps. */
export function newCursor() {
  return { batch: [], i: 0, pending: null, head: null, keys: [] };
}

function cursor(s) {
  return s[CURSOR] || (s[CURSOR] = newCursor());
}

/**
 * The chunks of one batch: `text` from `pull()`, its records `ops[from..to]` (layout
 * in src/batch.rs): plain chunks built from their strings, others `JSON.parse`d. `cur`
 * (from `newCursor()`) keeps the head (id, object, created, model, fingerprint) and the table of delta keys
 * from batch to batch. Keys come in the order `serde_json` writes them, so each object
 * is what `JSON.parse` of the chunk's JSON gives.
 */
export function buildBatch(text, ops, from, to, cur) {
  const out = [];
  let at = 0;
  let i = from;
  let head = cur.head;
  const keys = cur.keys;
  const str = (len) => {
    if (len < 0) return undefined;
    const s = text.slice(at, at + len);
    at += len;
    return s;
  };
  while (i < to) {
    if (ops[i++] === 1) {
      out.push(JSON.parse(str(ops[i++])));
      continue;
    }
    if (ops[i++] === 1) {
      const id = str(ops[i++]);
      const object = str(ops[i++]);
      const created = ops[i++];
      const model = str(ops[i++]);
      head = cur.head = { id, object, created, model, fingerprint: str(ops[i++]) };
    }
    const index = ops[i++];
    const role = str(ops[i++]);
    const content = str(ops[i++]);
    const finish = str(ops[i++]);
    const delta = {};
    if (role !== undefined) delta.role = role;
    if (content !== undefined) delta.content = content;
    for (let n = ops[i++]; n > 0; n--) {
      const k = ops[i++];
      if (k === keys.length) keys.push(str(ops[i++]));
      delta[keys[k]] = str(ops[i++]);
    }
    const chunk = {
      id: head.id,
      object: head.object,
      created: head.created,
      model: head.model,
      choices: [{ index, delta, finish_reason: finish === undefined ? null : finish }],
    };
    if (head.fingerprint !== undefined) chunk.system_fingerprint = head.fingerprint;
    out.push(chunk);
  }
  return out;
}

/** The wasm memory the batches' ops live in, and a view of it as `f64`s. */
let memory = null;
let f64 = null;

/** The chunks of the batch `s.pull(true)` just gave as `text`. */
function batchOf(s, text, cur) {
  // Memory growth detaches the old buffer: make the view anew then.
  if (f64 === null || f64.buffer !== memory.buffer) f64 = new Float64Array(memory.buffer);
  const from = s.opsAt();
  return buildBatch(text, f64, from, from + s.opsLen(), cur);
}

/**
 * The next batch of stream `s` (src/stream.rs): what `s.pull(encode)` has decoded,
 * reading the body (`s.read()`, then `s.fed(result)` or `s.failed(error)`) while it
 * needs bytes. The batch's text when `encode` (its ops at `s.opsAt()`), `true` for
 * chunks only counted, `undefined` at the end; rejects with the stream's error.
 */
async function nextBatch(s, encode) {
  for (;;) {
    const batch = s.pull(encode);
    if (batch !== null) return batch;
    let read;
    try {
      read = await s.read();
    } catch (e) {
      s.failed(e);
      continue;
    }
    s.fed(read);
  }
}

/** `stream.finalCompletion()`: drains the stream, then its accumulated completion. */
export async function finalCompletion(s) {
  while ((await nextBatch(s, false)) !== undefined);
  return s.completion();
}

/**
 * `stream.next()`: the next chunk of the current batch, else of the next one
 * (`nextBatch`: every chunk of one network read, built by `buildBatch`).
 */
function nextChunk(s) {
  const c = cursor(s);
  if (c.i < c.batch.length) return Promise.resolve({ value: c.batch[c.i++], done: false });
  if (!c.pending) {
    c.pending = nextBatch(s, true).then(
      (batch) => {
        c.pending = null;
        if (batch === undefined) return true;
        c.batch = batchOf(s, batch, c);
        c.i = 0;
        return false;
      },
      (e) => {
        c.pending = null;
        throw e;
      },
    );
  }
  return c.pending.then((ended) => (ended ? { value: undefined, done: true } : nextChunk(s)));
}

/**
 * Adds `next()`, `cancel()`, `toReadableStream()` and `[Symbol.asyncIterator]` to the
 * Stream prototype (one cursor per stream object, so they share where iteration
 * stands); `wasmMemory` holds the batches' ops.
 */
export function installIterator(proto, wasmMemory) {
  memory = wasmMemory;
  if (proto[Symbol.asyncIterator]) return;
  proto.next = function () { return nextChunk(this); };
  proto.toReadableStream = function () { return toReadable(this); };
  proto.cancel = function () {
    const c = cursor(this);
    c.batch = [];
    c.i = 0;
    this.cancelRead();
  };
  proto[Symbol.asyncIterator] = function () {
    const s = this;
    return {
      next: () => nextChunk(s),
      return: async (value) => { s.cancel(); return { done: true, value }; },
      [Symbol.asyncIterator]() { return this; },
    };
  };
}

function toReadable(s) {
  const enc = new TextEncoder();
  return new ReadableStream({
    async pull(c) {
      try {
        const r = await s.next();
        if (r.done) c.close();
        else c.enqueue(enc.encode(JSON.stringify(r.value) + "\n"));
      } catch (e) {
        c.error(e);
      }
    },
    cancel() { s.cancel(); },
  });
}

export function makeResponse(bytes, type) {
  return new Response(bytes.slice(), { headers: { "content-type": type } });
}

export function uploadForm(purpose, file, filename) {
  const form = new FormData();
  form.append("purpose", purpose);
  if (typeof filename === "string") form.append("file", file, filename);
  else form.append("file", file);
  return form;
}

export function cancelReader(reader) {
  reader.cancel().catch(() => {});
}

// Recorded provider streams for the browser bench, scaled to ~5 MB: the shapes of the
// core's SSE fixtures (crates/core/tests/fixtures/*/*/stream.sse) with content events
// repeated and their text varied the way crates/core/benches/stream_normalize.rs builds
// its capture (same words, same tool-call fragment every 97th event), so MB/s compare.

const CHUNKS = 20000;

const WORDS = [
  "The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog",
  ".\\n", " caf\u00e9", ' \\"quoted\\"', " \u{1f600}",
];

/** The text of content event `i` (JSON-escaped, as it appears in the payload). */
function text(i) {
  let t = "";
  for (let k = 0; k <= i % 4; k++) t += WORDS[(i + k) % WORDS.length];
  return t;
}

/**
 * The streams: `name`, how the client is set up (`provider` for direct mode, none for
 * the gateway), the model asked for, the SSE text, and the finish reason the JS
 * baseline maps the provider's own one to (as the core does).
 */
export const SHAPES = [
  {
    // OpenAI's shape as the gateway sends it (fixtures: openai/, secry/).
    name: "openai",
    about: "OpenAI SSE through the gateway (`data: ` + compact JSON, LF)",
    provider: null,
    model: "secry/gemma-3-27b-it",
    build() {
      const head = '{"id":"chatcmpl-9f2c1b","object":"chat.completion.chunk","created":1743381000,"model":"meta-llama/Llama-3.3-70B-Instruct","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,';
      const tail = ',"logprobs":null,"finish_reason":null}]}';
      const out = [`data: ${head}"delta":{"role":"assistant","content":""}${tail}\n\n`];
      for (let i = 0; i < CHUNKS; i++) {
        const delta = i % 97 === 5
          ? '{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\": \\"Ban"}}]}'
          : `{"content":"${text(i)}"}`;
        out.push(`data: ${head}"delta":${delta}${tail}\n\n`);
      }
      out.push(`data: ${head}"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n`);
      out.push('data: {"id":"chatcmpl-9f2c1b","object":"chat.completion.chunk","created":1743381000,"model":"m","choices":[],"usage":{"prompt_tokens":25,"completion_tokens":20000,"total_tokens":20025}}\n\n');
      out.push("data: [DONE]\n\n");
      return out.join("");
    },
  },
  {
    // siraya/stream_usage_chunk: `event:`/`id:` lines, reasoning_content, its own
    // finish reason (`end_turn`, normalized to `stop` + native_finish_reason).
    name: "siraya",
    about: "siraya direct (`event:`/`id:` lines, reasoning_content, `end_turn` finish)",
    provider: "siraya",
    model: "m",
    build() {
      const head = '{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1743381000, "model": "m", "choices": [{"index": 0, "delta": ';
      const out = [`event: message\nid: 0\ndata: ${head}{"role": "assistant", "content": ""}, "finish_reason": null}]}\n\n`];
      for (let i = 0; i < CHUNKS; i++) {
        const delta = i % 7 === 3
          ? `{"content": "${text(i)}", "reasoning_content": "${text(i + 1)}"}`
          : `{"content": "${text(i)}"}`;
        out.push(`event: message\nid: ${i + 1}\ndata: ${head}${delta}, "finish_reason": null}]}\n\n`);
      }
      out.push(`data: ${head}{}, "finish_reason": "end_turn"}]}\n\n`);
      out.push('data: {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1743381000, "model": "m", "choices": [], "usage": {"prompt_tokens": 25, "completion_tokens": 20000, "total_tokens": 20025}}\n\n');
      out.push("data: [DONE]\n\n");
      return out.join("");
    },
  },
  {
    // secry/stream_crlf: CRLF line ends and `: keep-alive` comments between events.
    name: "secry-crlf",
    about: "secry direct (CRLF line ends, a `: keep-alive` comment every 50 events)",
    provider: "secry",
    model: "gemma-3-27b-it",
    build() {
      const head = '{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1743381000, "model": "m", "choices": [{"index": 0, "delta": ';
      const out = [`: keep-alive\r\n\r\ndata: ${head}{"role": "assistant", "content": ""}, "finish_reason": null}]}\r\n\r\n`];
      for (let i = 0; i < CHUNKS; i++) {
        if (i % 50 === 49) out.push(": keep-alive\r\n\r\n");
        out.push(`data: ${head}{"content": "${text(i)}"}, "finish_reason": null}]}\r\n\r\n`);
      }
      out.push(`data: ${head}{}, "finish_reason": "stop"}]}\r\n\r\n`);
      out.push('data: {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1743381000, "model": "m", "choices": [], "usage": {"prompt_tokens": 25, "completion_tokens": 20000, "total_tokens": 20025}}\r\n\r\n');
      out.push("data: [DONE]\r\n\r\n");
      return out.join("");
    },
  },
];

/**
 * `bytes` cut into 1–4 kB pieces as a network would deliver them, the sizes from a
 * fixed-seed generator so every run and both paths get the same cuts.
 */
export function pieces(bytes) {
  const out = [];
  let seed = 0x2545f491;
  for (let at = 0; at < bytes.length;) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const size = 1024 + (seed >>> 8) % 3073;
    out.push(bytes.subarray(at, Math.min(at + size, bytes.length)));
    at += size;
  }
  return out;
}

// The official `openai` npm SDK, unchanged, against the gateway (node:test).
// Run by tests/e2e.rs with GATEWAY_URL, GATEWAY_TOKEN and CHAT_MODEL set; the gateway
// in front of the simulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";

const client = new OpenAI({
  baseURL: `${process.env.GATEWAY_URL}/v1`,
  apiKey: process.env.GATEWAY_TOKEN,
  maxRetries: 0,
  timeout: 20_000,
});
const model = process.env.CHAT_MODEL;

test("chat", async () => {
  const c = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "hello sdk" }],
  });
  assert.equal(c.object, "chat.completion");
  assert.equal(c.choices[0].message.content, "hello sdk");
});

test("stream", async () => {
  const stream = await client.chat.completions.create({
    model,
    stream: true,
    messages: [{ role: "user", content: "count to 5" }],
  });
  let text = "";
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  assert.ok(chunks >= 2, `${chunks} chunk(s)`);
  assert.equal(text, "1 2 3 4 5");
});

test("models", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes(model), ids.join(", "));
});

test("images", async () => {
  const r = await client.images.generate({
    model: "airforce/flux",
    prompt: "a red fox",
    response_format: "b64_json",
  });
  assert.ok(r.data[0].b64_json.startsWith("iVBORw0KGgo"));
});

test("speech", async () => {
  const r = await client.audio.speech.create({
    model: "airforce/tts-1",
    voice: "nova",
    input: "hello",
  });
  const bytes = new Uint8Array(await r.arrayBuffer());
  assert.ok(bytes.length > 100 && bytes[0] === 0xff, `${bytes.length} bytes`);
});

test("files", async () => {
  const f = await client.files.create({
    file: await toFile(Buffer.from("sdk file"), "a.txt"),
    purpose: "assistants",
  });
  assert.ok(f.id.startsWith("file-"), f.id);
  const content = await client.files.content(f.id);
  assert.equal(await content.text(), "sdk file");
  const gone = await client.files.delete(f.id);
  assert.equal(gone.deleted, true);
});

// The package's declarations in use, the way the README shows it: checked by
// `tsc --noEmit -p crates/client/tests/ts` in `cargo xtask client-tests` (never run).
// A wrong type anywhere below (a result, a field, a parameter) fails that step.
import init, {
  APIConnectionError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  RateLimitError,
  StreamInterruptedError,
  Switchboard,
} from "switchboard-client";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  FileObject,
  Model,
} from "switchboard-client";

declare const GATEWAY_TOKEN: string;
declare const KEY: string;
declare function render(text: string): void;

export async function gatewayMode(signal: AbortSignal): Promise<string> {
  await init();
  const sb = new Switchboard({ baseURL: "https://gw.example.com/v1", apiKey: GATEWAY_TOKEN });
  const messages: ChatMessage[] = [{ role: "user", content: "Hi" }];

  const r: ChatCompletion = await sb.chat.completions.create({ model: "secry/gemma-3-27b-it", messages });
  const text: string | null | undefined = r.choices[0]?.message.content as string | null | undefined;

  const stream = await sb.chat.completions.create(
    { model: "secry/gemma-3-27b-it", messages, stream: true },
    { signal, timeout: 30_000, maxRetries: 2, idleTimeout: 10_000, streamTimeout: 60_000, headers: { "x-trace": "1" } },
  );
  const first: IteratorResult<ChatCompletionChunk, undefined> = await stream.next();
  if (!first.done) render(first.value.choices[0]?.delta?.content ?? "");
  for await (const chunk of stream) {
    const c: ChatCompletionChunk = chunk;
    render(c.choices[0]?.delta?.content ?? "");
  }
  const done: ChatCompletion = await stream.finalCompletion();
  const calls = done.choices[0]?.message.tool_calls ?? [];
  for (const call of calls) render(`${call.function.name}(${call.function.arguments})`);
  const finish: "stop" | "length" | "tool_calls" | "content_filter" | "error" | null | undefined =
    done.choices[0]?.finish_reason;

  const piped: ReadableStream = (
    await sb.chat.completions.create({ model: "siraya/claude-3-5-sonnet@20240620", messages, stream: true })
  ).toReadableStream();
  void piped;
  const dropped = await sb.chat.completions.create({ model: "secry/gemma-3-27b-it", messages, stream: true });
  dropped.cancel();
  return `${text ?? ""} ${finish ?? ""}`;
}

export async function directMode(): Promise<void> {
  const direct = new Switchboard({ provider: "siraya", apiKey: KEY, dangerouslyAllowBrowser: true });
  const own = new Switchboard({
    provider: "gemini-proxy",
    baseURL: "https://my-proxy.example.com/api/v1",
    apiKey: KEY,
    dangerouslyAllowBrowser: true,
    maxRetries: 0,
    idleTimeout: 5_000,
    streamTimeout: 0,
    fetch: (input, init) => fetch(input, init),
  });
  const provider: string | undefined = direct.provider;
  const base: string = own.baseURL;
  render(`${provider} ${base}`);

  const models: Model[] = (await direct.models.list()).data;
  render(models.map((m) => m.id).join(", "));

  const image = await own.images.generate({ model: "secry/flux-1-schnell", prompt: "a red fox", size: "256x256" });
  render(image.data[0]?.b64_json ?? image.data[0]?.url ?? "");

  const speech: Response = await direct.audio.speech.create({ model: "airforce/tts", input: "hi", voice: "alloy" });
  const audio: Blob = await speech.blob();
  render(audio.type);

  const file: FileObject = await direct.files.create({ file: new Blob(["hello"]), purpose: "batch", filename: "a.txt" });
  const again: FileObject = await direct.files.retrieve(file.id);
  const listed: FileObject[] = (await direct.files.list()).data;
  const bytes: ArrayBuffer = await (await direct.files.content(again.id)).arrayBuffer();
  const deleted: boolean = (await direct.files.del(file.id)).deleted;
  render(`${listed.length} ${bytes.byteLength} ${deleted}`);

  const answer = await direct.airforce.ask("what is rust");
  render((await answer.finalCompletion()).choices[0]?.message.content as string);
  const description: string = await direct.airforce.vision("https://example.com/cat.png");
  const created = await direct.airforce.sunoCreate({ prompt: "a song", style: "pop" });
  const clip = await direct.airforce.sunoPoll(created.clips[0] ?? "");
  render(`${description} ${clip.status} ${clip.audio_url ?? ""}`);
}

export async function errors(sb: Switchboard): Promise<string> {
  try {
    await sb.chat.completions.create({ model: "secry/gemma-3-27b-it", messages: [{ role: "user", content: "Hi" }] });
    return "ok";
  } catch (e) {
    if (e instanceof RateLimitError) {
      const wait: number | undefined = e.retryAfter;
      return `retry in ${wait ?? "?"} s (request ${e.requestId ?? "?"})`;
    }
    if (e instanceof AuthenticationError) {
      const status: number | undefined = e.status;
      return `bad token (${status}, ${e.code ?? ""}, ${e.provider ?? "gateway"})`;
    }
    if (e instanceof StreamInterruptedError) return `cut: ${e.message}`;
    // The statics are the classes themselves, not `any`.
    if (e instanceof Switchboard.APIConnectionTimeoutError) return `timeout: ${e.code ?? ""}`;
    const Cls: typeof AuthenticationError = Switchboard.AuthenticationError;
    // @ts-expect-error: a class is not a string (passes only while the static is typed).
    const notAString: string = Switchboard.RateLimitError;
    void Cls;
    void notAString;
    if (e instanceof APIUserAbortError) return "stopped";
    if (e instanceof APIConnectionError) return `network: ${e.message}`;
    if (e instanceof APIError) {
      const fields = [e.status, e.code, e.type, e.param, e.body, e.inStream];
      return `${e.name}: ${fields.join(" ")}`;
    }
    throw e;
  }
}

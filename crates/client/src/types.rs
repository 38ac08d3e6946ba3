//! TypeScript declarations for the request and response shapes (the values cross the
//! boundary as plain JSON objects), merged into the package's `.d.ts`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export type Role = "system" | "developer" | "user" | "assistant" | "tool";
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } };
export interface ToolCall { id: string; type: "function"; function: { name: string; arguments: string } }
export interface ChatMessage {
  role: Role;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [extra: string]: unknown;
}
export interface Tool { type: "function"; function: { name: string; description?: string; parameters?: object; strict?: boolean } }
export type ToolChoice = "none" | "auto" | "required" | { type: "function"; function: { name: string } };
export interface ChatCompletionCreateParams {
  /** Gateway mode: `provider/model` or an alias; direct mode: the provider's model id. */
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  n?: number;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?: { type: string; json_schema?: object };
  tools?: Tool[];
  tool_choice?: ToolChoice;
  [extra: string]: unknown;
}
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";
export interface Usage { prompt_tokens: number; completion_tokens: number; total_tokens: number; [extra: string]: unknown }
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: { index: number; message: ChatMessage; finish_reason: FinishReason | null; native_finish_reason?: string; logprobs?: unknown }[];
  usage?: Usage;
  system_fingerprint?: string;
  [extra: string]: unknown;
}
export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: Role; content?: string | null; tool_calls?: { index: number; id?: string; type?: "function"; function?: { name?: string; arguments?: string } }[] };
    finish_reason: FinishReason | null;
    native_finish_reason?: string;
  }[];
  usage?: Usage | null;
  [extra: string]: unknown;
}
export interface Stream extends AsyncIterable<ChatCompletionChunk> {
  /** The next chunk; rejects with the stream's error (never ends quietly when cut). */
  next(): Promise<IteratorResult<ChatCompletionChunk, undefined>>;
  /** Stops reading and aborts the request. */
  cancel(): void;
  /** A `ReadableStream` of newline-delimited JSON chunks (as openai-node's), from where
   * iteration stands. */
  toReadableStream(): ReadableStream;
}
export interface RequestOptions {
  signal?: AbortSignal;
  /** Per-attempt timeout in ms. */
  timeout?: number;
  maxRetries?: number;
  /** Most ms of silence between two body pieces (default 30000; 0 = none). */
  idleTimeout?: number;
  /** Most ms for the whole body from the response head (default 300000; 0 = none). */
  streamTimeout?: number;
  headers?: Record<string, string>;
}
export interface ClientOptions {
  /** Gateway URL (gateway mode), or an override of the provider's base URL (direct mode). */
  baseURL?: string;
  apiKey?: string;
  /** Direct mode: a provider id (secry, secton, airforce, siraya, gemini-proxy, ...). */
  provider?: string;
  /** Required in direct mode: the key is visible to the page's users. */
  dangerouslyAllowBrowser?: boolean;
  maxRetries?: number;
  timeout?: number;
  /** Default `idleTimeout` of every call, in ms (30000; 0 = none). */
  idleTimeout?: number;
  /** Default `streamTimeout` of every call, in ms (300000; 0 = none). */
  streamTimeout?: number;
  fetch?: typeof fetch;
  defaultHeaders?: Record<string, string>;
}
export interface Model { id: string; object: "model"; created?: number; owned_by: string; [extra: string]: unknown }
export interface ModelList { object: "list"; data: Model[] }
export interface ImageGenerateParams { model: string; prompt: string; n?: number; size?: string; response_format?: "b64_json" | "url"; [extra: string]: unknown }
export interface ImagesResponse { created: number; data: { b64_json?: string; url?: string; revised_prompt?: string }[] }
export interface SpeechCreateParams { model: string; input: string; voice?: string; response_format?: "mp3" }
export interface FileObject { id: string; object: "file"; bytes: number; created_at: number; filename: string; purpose: string }
export interface FileCreateParams { file: Blob; purpose: string; filename?: string }
export interface FileObjectList { object: "list"; data: FileObject[]; [extra: string]: unknown }
export interface FileDeleted { id: string; object: "file"; deleted: boolean }
export interface ChatCompletionCreateParamsStreaming extends ChatCompletionCreateParams { stream: true }
export interface ChatCompletionCreateParamsNonStreaming extends ChatCompletionCreateParams { stream?: false }
export interface SunoCreateParams { prompt: string; model?: string; style?: string; instrumental?: boolean | "true" | "false"; custom?: boolean | "true" | "false" }
export interface SunoCreated { status: string; clips: string[]; [extra: string]: unknown }
export interface SunoClip { status: string; audio_url?: string; image_url?: string; [extra: string]: unknown }
// Merged into the generated class, whose `create` has no declaration of its own.
export interface Completions {
  /** Creates a chat completion: a `Stream` when `params.stream` is true. */
  create(params: ChatCompletionCreateParamsStreaming, options?: RequestOptions): Promise<Stream>;
  create(params: ChatCompletionCreateParamsNonStreaming, options?: RequestOptions): Promise<ChatCompletion>;
  create(params: ChatCompletionCreateParams, options?: RequestOptions): Promise<ChatCompletion | Stream>;
}
"#;

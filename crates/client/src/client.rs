//! `Switchboard`, `sb.chat.completions` and `sb.models`.

use std::rc::Rc;

use js_sys::{Function, Promise};
use switchboard_core::Error;
use switchboard_core::decode::{decode_chat, decode_models, documented_models};
use switchboard_core::encode::{encode_chat, validate};
use switchboard_core::http::{HttpRequest, ResponseKind};
use switchboard_core::limits::Limits;
use switchboard_core::provider::{ModelsSource, ProviderId};
use switchboard_core::route::Target;
use switchboard_core::stream::{StreamContext, StreamDecoder};
use switchboard_core::types::{ChatCompletion, ChatRequest, ModelList};
use wasm_bindgen::prelude::*;

use crate::endpoints::{Airforce, Audio, Files, Images, promise};
use crate::errors::{self, Fail};
use crate::js;
use crate::net::{CallOptions, Client, Route, header_pairs, number, read_all};
use crate::stream::Stream;

/// The client. `new Switchboard({ baseURL, apiKey, provider?, dangerouslyAllowBrowser?,
/// maxRetries?, timeout?, idleTimeout?, streamTimeout?, fetch?, defaultHeaders? })`.
#[wasm_bindgen]
pub struct Switchboard {
    client: Rc<Client>,
}

/// `sb.chat`.
#[wasm_bindgen]
pub struct Chat {
    client: Rc<Client>,
}

/// `sb.chat.completions`.
#[wasm_bindgen]
pub struct Completions {
    client: Rc<Client>,
}

/// `sb.models`.
#[wasm_bindgen]
pub struct Models {
    client: Rc<Client>,
}

fn string_opt(opts: &JsValue, key: &str) -> Option<String> {
    js::get(opts, key).as_string().filter(|s| !s.is_empty())
}

/// One static getter per error class, typed in the `.d.ts` as the class (`typeof X`,
/// declared beside it by `cargo xtask build`).
macro_rules! error_getters {
    ($($fn_name:ident => $class:literal: $ty:literal),* $(,)?) => {
        #[wasm_bindgen]
        impl Switchboard {
            $(
                #[doc = concat!("The `", $class, "` class, for `instanceof` checks.")]
                #[wasm_bindgen(getter = $class, unchecked_return_type = $ty)]
                pub fn $fn_name() -> JsValue {
                    js::error_class($class)
                }
            )*
        }
    };
}

error_getters! {
    switchboard_error => "SwitchboardError": "typeof SwitchboardError",
    api_error => "APIError": "typeof APIError",
    bad_request_error => "BadRequestError": "typeof BadRequestError",
    authentication_error => "AuthenticationError": "typeof AuthenticationError",
    permission_denied_error => "PermissionDeniedError": "typeof PermissionDeniedError",
    not_found_error => "NotFoundError": "typeof NotFoundError",
    conflict_error => "ConflictError": "typeof ConflictError",
    rate_limit_error => "RateLimitError": "typeof RateLimitError",
    internal_server_error => "InternalServerError": "typeof InternalServerError",
    api_connection_error => "APIConnectionError": "typeof APIConnectionError",
    api_connection_timeout_error => "APIConnectionTimeoutError": "typeof APIConnectionTimeoutError",
    api_user_abort_error => "APIUserAbortError": "typeof APIUserAbortError",
    stream_interrupted_error => "StreamInterruptedError": "typeof StreamInterruptedError",
}

#[wasm_bindgen]
impl Switchboard {
    /// Gateway mode with `baseURL` alone; direct mode with `provider` (and
    /// `dangerouslyAllowBrowser: true`), `baseURL` then overriding the provider's.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<Switchboard, JsValue> {
        let base = string_opt(&options, "baseURL");
        let route = match string_opt(&options, "provider") {
            None => Route::Gateway,
            Some(name) => {
                let provider = ProviderId::parse(&name).ok_or_else(|| {
                    let known: Vec<&str> = ProviderId::ALL.iter().map(|p| p.as_str()).collect();
                    errors::config(format!(
                        "unknown provider '{name}': use one of {}",
                        known.join(", ")
                    ))
                })?;
                if !js::get(&options, "dangerouslyAllowBrowser").is_truthy() {
                    return Err(errors::config(
                        "direct mode puts the provider key in the page: pass dangerouslyAllowBrowser: true, or use a gateway (baseURL only)",
                    ));
                }
                Route::Direct(provider)
            }
        };
        let base_url = match (&route, base) {
            (_, Some(base)) => base,
            (Route::Direct(p), None) => match p.spec().base_url {
                Some(url) => url.to_owned(),
                None => {
                    return Err(errors::config(format!(
                        "provider '{p}' has no public base URL: pass baseURL"
                    )));
                }
            },
            (Route::Gateway, None) => {
                return Err(errors::config(
                    "pass baseURL (gateway mode) or provider (direct mode)",
                ));
            }
        };
        let fetch = js::get(&options, "fetch");
        let client = Client {
            route,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: string_opt(&options, "apiKey").unwrap_or_default(),
            max_retries: number(&js::get(&options, "maxRetries")).map_or(2, |n| n as u32),
            timeout_ms: number(&js::get(&options, "timeout")).unwrap_or(600_000.0),
            idle_timeout_ms: number(&js::get(&options, "idleTimeout")).unwrap_or(30_000.0),
            stream_timeout_ms: number(&js::get(&options, "streamTimeout")).unwrap_or(300_000.0),
            fetch: fetch
                .is_function()
                .then(|| fetch.unchecked_into::<Function>()),
            headers: header_pairs(&js::get(&options, "defaultHeaders")),
        };
        Ok(Switchboard {
            client: Rc::new(client),
        })
    }

    /// `sb.chat`.
    #[wasm_bindgen(getter)]
    pub fn chat(&self) -> Chat {
        Chat {
            client: self.client.clone(),
        }
    }

    /// `sb.models`.
    #[wasm_bindgen(getter)]
    pub fn models(&self) -> Models {
        Models {
            client: self.client.clone(),
        }
    }

    /// `sb.images`.
    #[wasm_bindgen(getter)]
    pub fn images(&self) -> Images {
        Images {
            client: self.client.clone(),
        }
    }

    /// `sb.audio`.
    #[wasm_bindgen(getter)]
    pub fn audio(&self) -> Audio {
        Audio {
            client: self.client.clone(),
        }
    }

    /// `sb.files`.
    #[wasm_bindgen(getter)]
    pub fn files(&self) -> Files {
        Files {
            client: self.client.clone(),
        }
    }

    /// `sb.airforce`: airforce's own endpoints.
    #[wasm_bindgen(getter)]
    pub fn airforce(&self) -> Airforce {
        Airforce {
            client: self.client.clone(),
        }
    }

    /// The base URL requests go to.
    #[wasm_bindgen(getter, js_name = baseURL)]
    pub fn base_url(&self) -> String {
        self.client.base_url.clone()
    }

    /// The provider in direct mode, `undefined` through a gateway.
    #[wasm_bindgen(getter)]
    pub fn provider(&self) -> Option<String> {
        self.client.provider().map(|p| p.as_str().to_owned())
    }
}

#[wasm_bindgen]
impl Chat {
    /// `sb.chat.completions`.
    #[wasm_bindgen(getter)]
    pub fn completions(&self) -> Completions {
        Completions {
            client: self.client.clone(),
        }
    }
}

/// The model id to send in direct mode: `provider/` stripped when it names this provider.
fn direct_model(provider: ProviderId, model: &str) -> String {
    match model.split_once('/') {
        Some((p, rest)) if ProviderId::parse(p) == Some(provider) => rest.to_owned(),
        _ => model.to_owned(),
    }
}

async fn create(client: Rc<Client>, params: JsValue, options: JsValue) -> Result<JsValue, Fail> {
    let json = js_sys::JSON::stringify(&params)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Error::invalid("params must be a JSON object", None))?;
    // from_slice, not from_str: the core decodes answers from bytes, so the message types
    // then have one compiled deserializer instead of one per input kind.
    let req: ChatRequest = serde_json::from_slice(json.as_bytes())
        .map_err(|e| Error::invalid(format!("invalid chat request: {e}"), None))?;
    let opts = CallOptions::from_js(&options);
    let stream = req.is_stream();
    let (http, decode_as) = match client.route {
        Route::Direct(provider) => {
            let target = Target {
                provider,
                model: direct_model(provider, &req.model),
            };
            (encode_chat(&target, &req, &Limits::DEFAULT)?, provider)
        }
        Route::Gateway => {
            validate(&req, &Limits::DEFAULT)?;
            let kind = if stream {
                ResponseKind::Sse
            } else {
                ResponseKind::Json
            };
            let http = HttpRequest::post_json("/chat/completions".into(), json.into_bytes(), kind);
            // The gateway answers in OpenAI's shape, which is SECRY's dialect.
            (http, ProviderId::Secry)
        }
    };
    let answer = client.send(&http, &opts).await?;
    if stream {
        answer.attempt.clear_timer();
        let ctx = StreamContext {
            model: req.model.clone(),
            now: js::now_secs(),
            include_usage: req
                .stream_options
                .as_ref()
                .and_then(|o| o.include_usage)
                .unwrap_or(false),
        };
        let decoder =
            StreamDecoder::new(decode_as, http.response, &answer.head, ctx, Limits::DEFAULT);
        let reader = answer
            .response
            .body()
            .map(|b| b.get_reader().unchecked_into());
        return Ok(Stream::start(reader, answer.attempt, decoder));
    }
    let body = read_all(&answer.response, &answer.attempt).await?;
    let completion: ChatCompletion = match client.route {
        Route::Direct(p) => decode_chat(p, &answer.head, &body)?,
        Route::Gateway => serde_json::from_slice(&body).map_err(|e| Error::BadResponse {
            message: format!("the gateway's answer is not a chat completion: {e}"),
            provider: None,
        })?,
    };
    Ok(js::to_js(&completion))
}

#[wasm_bindgen]
impl Completions {
    /// Creates a chat completion: resolves with the completion, or with a `Stream`
    /// when `params.stream` is true. `options`: `{ signal, timeout, maxRetries,
    /// idleTimeout, streamTimeout, headers }`.
    /// Declared in `types.rs` (one overload per `stream` value).
    #[wasm_bindgen(skip_typescript)]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ChatCompletionCreateParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        promise(create(client, params, options))
    }
}

async fn list(client: Rc<Client>, options: JsValue) -> Result<JsValue, Fail> {
    let opts = CallOptions::from_js(&options);
    let (path, provider) = match client.route {
        Route::Gateway => ("/models", ProviderId::Secry),
        Route::Direct(p) => match p.spec().models {
            ModelsSource::Listed { path, .. } => (path, p),
            ModelsSource::Static(_) => return Ok(js::to_js(&documented_models(p))),
        },
    };
    let http = HttpRequest::get(path.into(), ResponseKind::Json);
    let answer = match client.send(&http, &opts).await {
        Ok(answer) => answer,
        // A provider without a models endpoint (404) lists the models its document names.
        Err(Fail::Core(e))
            if matches!(client.route, Route::Direct(_))
                && e.status() == 404
                && !documented_models(provider).data.is_empty() =>
        {
            return Ok(js::to_js(&documented_models(provider)));
        }
        Err(e) => return Err(e),
    };
    let body = read_all(&answer.response, &answer.attempt).await?;
    let list: ModelList = decode_models(provider, &answer.head, &body)?;
    Ok(js::to_js(&list))
}

#[wasm_bindgen]
impl Models {
    /// Lists models: the gateway's `provider/model` list, or the provider's own.
    #[wasm_bindgen(unchecked_return_type = "Promise<ModelList>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        promise(list(client, options))
    }
}

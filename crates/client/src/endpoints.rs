//! `sb.images`, `sb.audio.speech`, `sb.files` and `sb.airforce`.

use std::pin::Pin;
use std::rc::Rc;

use js_sys::Promise;
use serde::Serialize;
use serde::de::DeserializeOwned;
use switchboard_core::Error;
use switchboard_core::endpoints::airforce::{
    SunoRequest, encode_ask, encode_suno_create, encode_suno_poll, encode_vision,
};
use switchboard_core::endpoints::files::{FileOp, encode_file_op};
use switchboard_core::endpoints::images::{decode_image, encode_image};
use switchboard_core::endpoints::speech::{decode_speech, encode_speech};
use switchboard_core::http::{HttpRequest, ResponseHead, ResponseKind};
use switchboard_core::limits::Limits;
use switchboard_core::provider::ProviderId;
use switchboard_core::route::Target;
use switchboard_core::stream::{StreamContext, StreamDecoder};
use switchboard_core::types::{
    FileDeleted, FileList, FileObject, ImageRequest, ImageResponse, SpeechRequest,
};
use wasm_bindgen::prelude::*;

use crate::errors::{self, Fail};
use crate::js;
use crate::net::{CallOptions, Client, Route, read_all};
use crate::stream::Stream;

/// Parses a JS params object into a core request type.
pub fn params<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<(T, String), Fail> {
    let json = params_json(value, what)?;
    // from_slice like the core's decoders (one compiled deserializer per type).
    let parsed = serde_json::from_slice(json.as_bytes()).map_err(|e| invalid_params(what, &e))?;
    Ok((parsed, json))
}

/// The params' JSON text (the part of [`params`] compiled once, not per type).
fn params_json(value: &JsValue, what: &str) -> Result<String, Error> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Error::invalid(format!("{what} params must be a JSON object"), None))
}

fn invalid_params(what: &str, e: &serde_json::Error) -> Error {
    Error::invalid(format!("invalid {what} request: {e}"), None)
}

/// Sends and reads the whole body; error statuses were already turned into errors.
async fn fetch_all(
    client: &Client,
    http: &HttpRequest,
    body: Option<&JsValue>,
    options: &JsValue,
) -> Result<(ResponseHead, Vec<u8>), Fail> {
    let opts = CallOptions::from_js(options);
    let answer = client.send_body(http, body, &opts).await?;
    let bytes = read_all(&answer.response, &answer.attempt).await?;
    Ok((answer.head, bytes))
}

fn parse_json<T: DeserializeOwned>(body: &[u8], provider: Option<ProviderId>) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| not_expected_json(&e, provider))
}

fn not_expected_json(e: &serde_json::Error, provider: Option<ProviderId>) -> Error {
    Error::BadResponse {
        message: format!("the answer is not the expected JSON: {e}"),
        provider: provider.map(|p| p.as_str().to_owned()),
    }
}

async fn json_call<T: DeserializeOwned + Serialize>(
    client: &Client,
    http: &HttpRequest,
    options: &JsValue,
) -> Result<JsValue, Fail> {
    let (_, body) = fetch_all(client, http, None, options).await?;
    let value: T = parse_json(&body, client.provider())?;
    Ok(js::to_js(&value))
}

/// A promise settled by `future`, failures as their JS error classes. The future is
/// boxed first, so the wrapper is compiled once rather than once per call site.
pub(crate) fn promise(future: impl Future<Output = Result<JsValue, Fail>> + 'static) -> Promise {
    promise_boxed(Box::pin(future))
}

fn promise_boxed(future: Pin<Box<dyn Future<Output = Result<JsValue, Fail>>>>) -> Promise {
    js::spawn(async move { future.await.map_err(errors::to_js) })
}

/// The target of a direct-mode request: `provider/` stripped from the model.
fn target(provider: ProviderId, model: &str) -> Target {
    let model = match model.split_once('/') {
        Some((p, rest)) if ProviderId::parse(p) == Some(provider) => rest,
        _ => model,
    };
    Target {
        provider,
        model: model.to_owned(),
    }
}

/// A JSON POST of the caller's own params (gateway mode).
fn passthrough(path: &str, json: String, kind: ResponseKind) -> HttpRequest {
    let mut http = HttpRequest::post_json(path.into(), json.into_bytes(), kind);
    http.response = kind;
    http
}

/// `sb.images`.
#[wasm_bindgen]
pub struct Images {
    pub(crate) client: Rc<Client>,
}

#[wasm_bindgen]
impl Images {
    /// `images.generate({ model, prompt, size?, response_format?, ... })`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ImagesResponse>")]
    pub fn generate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageGenerateParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        promise(async move {
            let (req, json): (ImageRequest, String) = self::params(&params, "image")?;
            match client.route {
                Route::Direct(p) => {
                    let http = encode_image(&target(p, &req.model), &req)?;
                    let (head, body) = fetch_all(&client, &http, None, &options).await?;
                    Ok(js::to_js(&decode_image(p, &head, &body)?))
                }
                Route::Gateway => {
                    let http = passthrough("/images/generations", json, ResponseKind::Json);
                    json_call::<ImageResponse>(&client, &http, &options).await
                }
            }
        })
    }
}

/// `sb.audio`.
#[wasm_bindgen]
pub struct Audio {
    pub(crate) client: Rc<Client>,
}

/// `sb.audio.speech`.
#[wasm_bindgen]
pub struct Speech {
    client: Rc<Client>,
}

#[wasm_bindgen]
impl Audio {
    /// `sb.audio.speech`.
    #[wasm_bindgen(getter)]
    pub fn speech(&self) -> Speech {
        Speech {
            client: self.client.clone(),
        }
    }
}

#[wasm_bindgen]
impl Speech {
    /// `audio.speech.create({ model, input, voice })`: resolves with a `Response` of audio
    /// (`await r.blob()`, `await r.arrayBuffer()`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SpeechCreateParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        promise(async move {
            let (req, json): (SpeechRequest, String) = self::params(&params, "speech")?;
            let (http, provider) = match client.route {
                Route::Direct(p) => (encode_speech(p, &req)?, Some(p)),
                Route::Gateway => (
                    passthrough("/audio/speech", json, ResponseKind::Binary),
                    None,
                ),
            };
            let (head, body) = fetch_all(&client, &http, None, &options).await?;
            if let Some(p) = provider {
                decode_speech(p, &head, &body)?;
            }
            let kind = head.content_type.as_deref().unwrap_or("audio/mpeg");
            Ok(js::make_response(&body, kind))
        })
    }
}

/// `sb.files` (SECRY, or through the gateway).
#[wasm_bindgen]
pub struct Files {
    pub(crate) client: Rc<Client>,
}

impl Files {
    fn op(&self, op: FileOp<'_>) -> Result<HttpRequest, Error> {
        match self.client.route {
            Route::Direct(p) => encode_file_op(p, op),
            // The gateway serves the same paths; SECRY's spec names them.
            Route::Gateway => encode_file_op(ProviderId::Secry, op),
        }
    }
}

#[wasm_bindgen]
impl Files {
    /// `files.create({ file, purpose, filename? })` with a `File` or `Blob`.
    #[wasm_bindgen(unchecked_return_type = "Promise<FileObject>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FileCreateParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let http = self.op(FileOp::Upload);
        promise(async move {
            let file = js::get(&params, "file");
            if file.is_undefined() || file.is_null() {
                return Err(Error::invalid("'file' is required", Some("file")).into());
            }
            let form = js::upload_form(
                &js::get(&params, "purpose"),
                &file,
                &js::get(&params, "filename"),
            );
            let (_, body) = fetch_all(&client, &http?, Some(&form), &options).await?;
            let value: FileObject = parse_json(&body, client.provider())?;
            Ok(js::to_js(&value))
        })
    }

    /// `files.list()`.
    #[wasm_bindgen(unchecked_return_type = "Promise<FileObjectList>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let http = self.op(FileOp::List);
        promise(async move { json_call::<FileList>(&client, &http?, &options).await })
    }

    /// `files.retrieve(id)`.
    #[wasm_bindgen(unchecked_return_type = "Promise<FileObject>")]
    pub fn retrieve(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let http = self.op(FileOp::Retrieve(id));
        promise(async move { json_call::<FileObject>(&client, &http?, &options).await })
    }

    /// `files.content(id)`: resolves with a `Response` of the bytes.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn content(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let http = self.op(FileOp::Content(id));
        promise(async move {
            let (head, body) = fetch_all(&client, &http?, None, &options).await?;
            let kind = head
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            Ok(js::make_response(&body, kind))
        })
    }

    /// `files.del(id)`.
    #[wasm_bindgen(unchecked_return_type = "Promise<FileDeleted>")]
    pub fn del(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let http = self.op(FileOp::Delete(id));
        promise(async move { json_call::<FileDeleted>(&client, &http?, &options).await })
    }
}

/// `sb.airforce`: airforce's own endpoints (direct mode with `provider: "airforce"`,
/// or through the gateway's `/x/airforce/...`).
#[wasm_bindgen]
pub struct Airforce {
    pub(crate) client: Rc<Client>,
}

impl Airforce {
    /// The gateway's own shape for `ask` and `vision`: `POST /x/airforce/<name>` with a
    /// JSON body (see the gateway's `airforce.rs`); `None` in direct mode.
    fn gateway_post(
        &self,
        name: &str,
        body: &serde_json::Value,
        kind: ResponseKind,
    ) -> Option<HttpRequest> {
        matches!(self.client.route, Route::Gateway).then(|| {
            HttpRequest::post_json(
                format!("/x/airforce/{name}"),
                // to_vec, not Display: one compiled JSON writer (a Value always encodes).
                serde_json::to_vec(body).unwrap_or_default(),
                kind,
            )
        })
    }

    /// Points an airforce request at the provider or the gateway.
    fn route(&self, mut http: HttpRequest) -> Result<HttpRequest, Error> {
        match self.client.route {
            Route::Direct(ProviderId::Airforce) => Ok(http),
            Route::Direct(p) => Err(Error::unsupported(p.as_str(), "airforce endpoints")),
            Route::Gateway => {
                let rest = http.path.strip_prefix("/v1").unwrap_or(&http.path);
                http.path = format!("/x/airforce{rest}");
                Ok(http)
            }
        }
    }
}

#[wasm_bindgen]
impl Airforce {
    /// `airforce.ask(prompt)`: a `Stream` of chunks (the web-search answer), whose
    /// `finalCompletion()` holds the whole text.
    #[wasm_bindgen(unchecked_return_type = "Promise<Stream>")]
    pub fn ask(
        &self,
        prompt: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let body = serde_json::json!({ "prompt": prompt });
        let http = encode_ask(prompt).and_then(|h| {
            match self.gateway_post("ask", &body, ResponseKind::Sse) {
                Some(gateway) => Ok(gateway),
                None => self.route(h),
            }
        });
        promise(async move {
            let http = http?;
            let opts = CallOptions::from_js(&options);
            let answer = client.send(&http, &opts).await?;
            answer.attempt.clear_timer();
            let ctx = StreamContext {
                model: String::from("ask"),
                now: js::now_secs(),
                include_usage: false,
            };
            let decoder = StreamDecoder::new(
                ProviderId::Airforce,
                http.response,
                &answer.head,
                ctx,
                Limits::DEFAULT,
            );
            let reader = answer
                .response
                .body()
                .map(|b| b.get_reader().unchecked_into());
            Ok(Stream::start(reader, answer.attempt, decoder))
        })
    }

    /// `airforce.vision(url, model?)`: resolves with the description text.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn vision(
        &self,
        url: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] model: Option<String>,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let body = serde_json::json!({ "url": url, "model": model });
        let gateway = self.gateway_post("vision", &body, ResponseKind::Json);
        let through_gateway = gateway.is_some();
        let http = encode_vision(url, model.as_deref()).and_then(|h| match gateway {
            Some(gateway) => Ok(gateway),
            None => self.route(h),
        });
        promise(async move {
            let (_, body) = fetch_all(&client, &http?, None, &options).await?;
            if !through_gateway {
                return Ok(JsValue::from_str(&String::from_utf8_lossy(&body)));
            }
            // The gateway answers `{"object": "airforce.vision", "text": ...}`.
            let text = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(String::from))
                .ok_or_else(|| Error::BadResponse {
                    message: String::from("the gateway's vision answer has no 'text'"),
                    provider: Some(String::from("airforce")),
                })?;
            Ok(JsValue::from_str(&text))
        })
    }

    /// `airforce.sunoCreate({ prompt, model?, style?, instrumental?, custom? })`:
    /// resolves with `{ status, clips: [id, ...] }`.
    #[wasm_bindgen(js_name = sunoCreate, unchecked_return_type = "Promise<SunoCreated>")]
    pub fn suno_create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SunoCreateParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let parsed = self::params::<SunoRequest>(&params, "suno");
        let http = match parsed {
            Ok((req, _)) => encode_suno_create(&req)
                .and_then(|h| self.route(h))
                .map_err(Fail::from),
            Err(e) => Err(e),
        };
        promise(async move { json_call::<serde_json::Value>(&client, &http?, &options).await })
    }

    /// `airforce.sunoPoll(id)`: resolves with the clip's `{ status, audio_url, ... }`.
    #[wasm_bindgen(js_name = sunoPoll, unchecked_return_type = "Promise<SunoClip>")]
    pub fn suno_poll(
        &self,
        id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let client = self.client.clone();
        let http = encode_suno_poll(id).and_then(|h| self.route(h));
        promise(async move { json_call::<serde_json::Value>(&client, &http?, &options).await })
    }
}

//! The OpenAI error body: `{"error": {"message", "type", "param", "code"}}`.

use super::Extra;
use super::lenient::{StringOrNull, StringOrNumber, lossless};
use alloc::string::String;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An error response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorObject,
}

/// The error inside an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ErrorObject {
    /// Human-readable message.
    pub message: String,
    /// Error class, e.g. `invalid_request_error`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The request field at fault.
    pub param: Option<String>,
    /// Machine-readable code, e.g. `invalid_api_key`.
    pub code: Option<String>,
    /// Fields this version does not model (Switchboard adds `provider`, `retry_after`).
    #[serde(flatten)]
    pub extra: Extra,
}

lossless! {
    ErrorObject {
        message | StringOrNull = Default::default(),
        kind("type") | StringOrNumber = None,
        param | StringOrNumber = None,
        code | StringOrNumber = None,
    }
}

impl ErrorObject {
    /// What decoding the object `map` gives (`None` where that fails: a `message` that
    /// is neither a string nor `null`), without compiling a second deserializer for
    /// [`Value`] input.
    pub(crate) fn of_map(mut map: Extra) -> Option<Self> {
        let message = match map.remove("message") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s,
            Some(_) => return None,
        };
        let mut field = |key| map.remove(key).and_then(StringOrNumber::of_value);
        let (kind, param, code) = (field("type"), field("param"), field("code"));
        Some(ErrorObject {
            message,
            kind,
            param,
            code,
            extra: map,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorObject;
    use serde_json::{Value, json};

    #[test]
    fn of_map_decodes_as_deserialize_does() {
        let cases = [
            json!({}),
            json!({"message": "m", "type": "t", "param": null, "code": "c", "x": [1]}),
            json!({"message": null, "code": 429.0, "type": 1.5, "param": [true, {"b": 1, "a": 2}]}),
            json!({"code": 18446744073709551615u64, "type": -3, "param": false}),
            json!({"code": 1e300, "type": -0.0, "param": 9.0e15, "provider": "p"}),
            json!({"code": {"z": null}, "type": "", "retry_after": 2.5}),
            json!({"message": 1}),
            json!({"message": ["m"], "code": "c"}),
            json!({"message": {"text": "m"}}),
            json!({"message": true}),
        ];
        for case in cases {
            let Value::Object(map) = case.clone() else {
                unreachable!("cases are objects")
            };
            let want = serde_json::from_value::<ErrorObject>(case.clone()).ok();
            assert_eq!(ErrorObject::of_map(map), want, "{case}");
        }
    }
}

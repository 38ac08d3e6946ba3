//! Helpers for lenient, lossless decoding: string enums with an `Unknown` arm, ids that
//! may arrive as numbers or `null`, and [`lossless!`], the one-pass `Deserialize` of a
//! struct that keeps unknown fields.

use alloc::borrow::{Cow, ToOwned};
use alloc::string::{String, ToString};
use core::fmt;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor, value};
use serde_json::Value;

/// Declares a string enum whose unknown values decode to `Unknown(String)` and
/// encode back unchanged.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept verbatim.
            Unknown(alloc::string::String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(s) => s,
                }
            }

            /// Parses the wire spelling; anything else becomes `Unknown`.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => Self::$variant,)+
                    other => Self::Unknown(alloc::string::ToString::to_string(other)),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <alloc::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}
pub(crate) use string_enum;

/// An optional string that some providers send as a number (`"code": 429`) or
/// another JSON value (kept as its JSON text); `null` is `None`.
pub(crate) struct StringOrNumber(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for StringOrNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringOrNumberVisitor).map(StringOrNumber)
    }
}

impl StringOrNumber {
    /// What decoding `v` gives, read off a parsed value (no second deserializer
    /// compiled for [`Value`] input).
    pub(crate) fn of_value(v: Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) if n.is_f64() => n.as_f64().map(float_text),
            other => Some(json_text(&other)),
        }
    }
}

/// `v` as compact JSON, by the writer the crate's encoders use (`Value`'s `Display`
/// would compile a second one into the wasm client). A `Value` always encodes.
fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A float's text: a whole number without `.0`; others as JSON writes them.
fn float_text(v: f64) -> String {
    if (-9.0e15..=9.0e15).contains(&v) && (v as i64) as f64 == v {
        (v as i64).to_string()
    } else {
        json_text(&Value::from(v))
    }
}

struct StringOrNumberVisitor;

impl<'de> Visitor<'de> for StringOrNumberVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(float_text(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(value::SeqAccessDeserializer::new(seq)).map(|v| Some(json_text(&v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(value::MapAccessDeserializer::new(map)).map(|v| Some(json_text(&v)))
    }
}

/// A string that may be `null` (decoded as empty).
pub(crate) struct StringOrNull(pub(crate) String);

impl<'de> Deserialize<'de> for StringOrNull {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(StringOrNull(
            Option::<String>::deserialize(d)?.unwrap_or_default(),
        ))
    }
}

/// A map key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Implements `Deserialize` for a struct whose unknown fields go to its `extra` map,
/// in one pass over the map (no buffering, unlike `#[serde(flatten)]`).
///
/// Each field is `name`, optionally `("wire name")`, optionally `| Wrapper` (a
/// newtype whose `.0` is the value) and `= default` (without one the field is
/// required).
macro_rules! lossless {
    ($ty:ident { $($field:ident $(($key:literal))? $(| $via:ty)? $(= $default:expr)?),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($ty)))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        $(let mut $field = None;)+
                        let mut extra = $crate::types::Extra::new();
                        while let Some(key) = map.next_key::<$crate::types::lenient::Key<'de>>()? {
                            match &*key.0 {
                                $($crate::types::lenient::wire!($field $(, $key)?) => {
                                    if $field.is_some() {
                                        return Err(serde::de::Error::duplicate_field(
                                            $crate::types::lenient::wire!($field $(, $key)?),
                                        ));
                                    }
                                    $field = Some($crate::types::lenient::read!(map $(, $via)?));
                                })+
                                _ => {
                                    extra.insert(key.0.into_owned(), map.next_value()?);
                                }
                            }
                        }
                        Ok($ty {
                            $($field: match $field {
                                Some(v) => v,
                                None => $crate::types::lenient::missing!(
                                    $field $(, $key)? $(; $default)?
                                ),
                            },)+
                            extra,
                        })
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}
pub(crate) use lossless;

/// A field's wire name: its own, or the one given.
macro_rules! wire {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $key:literal) => {
        $key
    };
}
pub(crate) use wire;

/// Reads a map value, through a wrapper newtype if one is given.
macro_rules! read {
    ($map:ident) => {
        $map.next_value()?
    };
    ($map:ident, $via:ty) => {
        $map.next_value::<$via>()?.0
    };
}
pub(crate) use read;

/// A missing field's value: its default, or a `missing field` error.
macro_rules! missing {
    ($field:ident $(, $key:literal)?; $default:expr) => {
        $default
    };
    ($field:ident $(, $key:literal)?) => {
        return Err(serde::de::Error::missing_field(
            $crate::types::lenient::wire!($field $(, $key)?),
        ))
    };
}
pub(crate) use missing;

/// Implements `Deserialize` for an enum that is a string or one other JSON shape
/// (`seq` or `map`), in one pass (no buffering, unlike `#[serde(untagged)]`).
macro_rules! string_or {
    ($ty:ident, $expecting:literal, $text:expr, seq => $other:expr) => {
        $crate::types::lenient::string_or!(
            @impl $ty, $expecting, $text, visit_seq, SeqAccess, SeqAccessDeserializer, $other
        );
    };
    ($ty:ident, $expecting:literal, $text:expr, map => $other:expr) => {
        $crate::types::lenient::string_or!(
            @impl $ty, $expecting, $text, visit_map, MapAccess, MapAccessDeserializer, $other
        );
    };
    (@impl $ty:ident, $expecting:literal, $text:expr, $visit:ident, $access:ident, $de:ident,
        $other:expr) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E>(self, v: &str) -> Result<$ty, E> {
                        Ok(($text)(v))
                    }
                    fn $visit<A: serde::de::$access<'de>>(self, a: A) -> Result<$ty, A::Error> {
                        serde::Deserialize::deserialize(serde::de::value::$de::new(a)).map($other)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}
pub(crate) use string_or;

#[cfg(test)]
mod tests {
    use crate::types::{ChatRequest, ErrorObject, Stop, ToolChoice};
    use alloc::string::ToString;
    use alloc::vec;
    use serde_json::json;

    #[test]
    fn unknown_fields_survive_and_known_ones_are_checked() {
        let text = r#"{"model":"m","messages":[],"x\u0079z":[1,{"a":null}],"stop":["a"]}"#;
        let req: ChatRequest = serde_json::from_str(text).expect("decodes");
        assert_eq!(req.extra.get("xyz"), Some(&json!([1, {"a": null}])));
        assert_eq!(req.stop, Some(Stop::Many(vec!["a".into()])));
        let again = serde_json::to_value(&req).expect("encodes");
        assert_eq!(again["xyz"], json!([1, {"a": null}]));

        let dup = serde_json::from_str::<ChatRequest>(r#"{"messages":[],"model":"a","model":"b"}"#);
        assert!(
            dup.expect_err("duplicate")
                .to_string()
                .contains("duplicate field `model`")
        );
        let missing = serde_json::from_str::<ChatRequest>(r#"{"model":"a"}"#);
        assert!(
            missing
                .expect_err("missing")
                .to_string()
                .contains("missing field `messages`")
        );
        let wrong = serde_json::from_str::<ChatRequest>(r#"{"messages":[],"tool_choice":1}"#);
        assert!(
            wrong
                .expect_err("wrong type")
                .to_string()
                .contains("a mode or a named function")
        );
        let named: ToolChoice =
            serde_json::from_value(json!({"type": "function", "function": {"name": "f"}}))
                .expect("named");
        assert!(matches!(named, ToolChoice::Named(_)));
    }

    #[test]
    fn codes_may_be_numbers_or_other_values() {
        let obj: ErrorObject =
            serde_json::from_str(r#"{"message":null,"code":429.0,"type":1.5,"param":[true]}"#)
                .expect("decodes");
        assert_eq!(obj.message, "");
        assert_eq!(obj.code.as_deref(), Some("429"));
        assert_eq!(obj.kind.as_deref(), Some("1.5"));
        assert_eq!(obj.param.as_deref(), Some("[true]"));
        let big: ErrorObject =
            serde_json::from_str(r#"{"code":18446744073709551615}"#).expect("decodes");
        assert_eq!(big.code.as_deref(), Some("18446744073709551615"));
    }
}

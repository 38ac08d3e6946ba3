//! Model routing: `provider/model` names, aliases, and fallback lists.
//!
//! A model name is `provider/model`, split at the first `/` (the model part may hold
//! more slashes: `secry/meta-llama/Llama-3.3-70B-Instruct`). An alias is a bare name
//! configured to stand for one or more targets, tried in order: the later ones are
//! fallbacks, used when an earlier one fails with a retryable error.

use crate::error::Error;
use crate::provider::ProviderId;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One concrete target: a provider and its own model id (empty for the provider default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The provider.
    pub provider: ProviderId,
    /// The provider's model id.
    pub model: String,
}

impl Target {
    /// Parses `provider/model` (or `provider` alone, for a provider with a default model).
    pub fn parse(name: &str) -> Result<Target, Error> {
        let name = name.trim();
        let (provider, model) = name.split_once('/').unwrap_or((name, ""));
        let provider = ProviderId::parse(provider).ok_or_else(|| Error::NotFound {
            message: format!(
                "model '{name}' is not routable: use 'provider/model' with a provider among secry, secton, airforce, siraya, gemini-proxy, openai, or a configured alias"
            ),
            code: "model_not_found",
        })?;
        check_model_id(model)?;
        if model.is_empty() && provider.spec().default_model.is_none() {
            return Err(Error::invalid(
                format!("model '{name}' names no model; use '{provider}/<model>'"),
                Some("model"),
            ));
        }
        Ok(Target {
            provider,
            model: model.to_string(),
        })
    }

    /// The public name, `provider/model`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.provider, self.model)
    }
}

/// Refuses a model id that could mean more than a name if a provider ever put it in a
/// URL: `?`, `#`, `%`, `\\`, whitespace or control characters, or a `.`/`..` segment.
/// (`/` and `@` stay: `meta-llama/Llama-3.3-70B-Instruct`, `@cf/meta/llama-3`.)
fn check_model_id(model: &str) -> Result<(), Error> {
    let bad_char = model
        .chars()
        .find(|c| matches!(c, '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control());
    let dot_segment = model.split('/').any(|s| s == "." || s == "..");
    if let Some(c) = bad_char {
        return Err(Error::invalid(
            format!("model id '{}' contains {c:?}", model.escape_debug()),
            Some("model"),
        ));
    }
    if dot_segment {
        return Err(Error::invalid(
            format!("model id '{model}' contains a '.' or '..' segment"),
            Some("model"),
        ));
    }
    Ok(())
}

/// Configured aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    aliases: Vec<(String, Vec<Target>)>,
}

/// Most targets one alias may list.
pub const MAX_FALLBACKS: usize = 4;

impl Routes {
    /// Parses alias configuration: `name=provider/model|provider/model, other=...`
    /// (entries separated by `,` or newlines; targets of one alias by `|`).
    pub fn parse(config: &str) -> Result<Routes, Error> {
        let mut aliases: Vec<(String, Vec<Target>)> = Vec::new();
        for entry in config
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (name, targets) = entry
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("alias entry '{entry}' has no '='"), None))?;
            let name = name.trim();
            if name.is_empty() || name.contains('/') {
                return Err(Error::invalid(
                    format!("alias name '{name}' must be non-empty and contain no '/'"),
                    None,
                ));
            }
            let targets = targets
                .split('|')
                .map(Target::parse)
                .collect::<Result<Vec<_>, _>>()?;
            if targets.len() > MAX_FALLBACKS {
                return Err(Error::invalid(
                    format!("alias '{name}' lists more than {MAX_FALLBACKS} targets"),
                    None,
                ));
            }
            aliases.retain(|(n, _)| n != name);
            aliases.push((name.to_string(), targets));
        }
        Ok(Routes { aliases })
    }

    /// The targets a requested model name stands for, in order of preference.
    pub fn resolve(&self, model: &str) -> Result<Vec<Target>, Error> {
        if model.trim().is_empty() {
            return Err(Error::invalid("'model' is required", Some("model")));
        }
        if let Some((_, targets)) = self.aliases.iter().find(|(n, _)| n == model) {
            return Ok(targets.clone());
        }
        Ok(alloc::vec![Target::parse(model)?])
    }

    /// The configured aliases and their targets.
    pub fn aliases(&self) -> impl Iterator<Item = (&str, &[Target])> {
        self.aliases.iter().map(|(n, t)| (n.as_str(), t.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_model_split_at_first_slash() {
        let t = Target::parse("secry/meta-llama/Llama-3.3-70B-Instruct").unwrap();
        assert_eq!(t.provider, ProviderId::Secry);
        assert_eq!(t.model, "meta-llama/Llama-3.3-70B-Instruct");
        assert_eq!(t.name(), "secry/meta-llama/Llama-3.3-70B-Instruct");
        assert_eq!(Target::parse("gemini-proxy").unwrap().model, "");
        assert_eq!(Target::parse("secry").unwrap_err().status(), 400);
        assert_eq!(Target::parse("gpt-4o").unwrap_err().status(), 404);
    }

    #[test]
    fn model_ids_that_could_leave_their_place_are_refused() {
        for name in [
            "secry/../admin",
            "secry/a/./b",
            "secry/x?key=1",
            "secry/x#frag",
            "secry/%2F..%2Fadmin",
            "secry/a\\b",
            "secry/a b",
            "secry/a\nb",
        ] {
            let e = Target::parse(name).unwrap_err();
            assert_eq!(
                (e.status(), e.code()),
                (400, Some("invalid_request")),
                "{name}"
            );
        }
        assert_eq!(
            Target::parse("openai/@cf/meta/llama-3").unwrap().model,
            "@cf/meta/llama-3"
        );
        assert_eq!(Target::parse("secry/a..b").unwrap().model, "a..b");
    }

    #[test]
    fn aliases_with_fallbacks() {
        let r = Routes::parse("fast = siraya/a | secry/b,\nsmart=airforce/gpt-4o").unwrap();
        let t = r.resolve("fast").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].provider, ProviderId::Secry);
        assert_eq!(
            r.resolve("secton/copilot-zero").unwrap()[0].model,
            "copilot-zero"
        );
        assert!(Routes::parse("x").is_err());
        assert!(Routes::parse("a/b=secry/x").is_err());
        assert!(Routes::parse("a=nope/x").is_err());
        assert_eq!(r.resolve("").unwrap_err().status(), 400);
    }
}

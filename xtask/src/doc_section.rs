//! Generated documents in sections: each command rewrites only its own part of a file,
//! between `<!-- MARKER -->` and `<!-- /MARKER -->`, so running one never wipes another's.

use std::fs;

use crate::util::{Result, root, say};

/// `text` with the section `marker` set to `markdown`: replaced in place between its
/// markers when they are there, else appended at the end (after `skeleton` when `text`
/// is empty).
pub fn replace(text: &str, marker: &str, markdown: &str, skeleton: &str) -> String {
    let (open, close) = (format!("<!-- {marker} -->"), format!("<!-- /{marker} -->"));
    let body = format!("{open}\n{}\n{close}", markdown.trim_end());
    let found = text.find(&open).and_then(|start| {
        let end = start + text[start..].find(&close)? + close.len();
        Some((start, end))
    });
    if let Some((start, end)) = found {
        return format!("{}{body}{}", &text[..start], &text[end..]);
    }
    let base = if text.trim().is_empty() {
        skeleton
    } else {
        text
    };
    if base.trim().is_empty() {
        return format!("{body}\n");
    }
    format!("{}\n\n{body}\n", base.trim_end())
}

/// Sets the section `marker` of the repo file `file` to `markdown`, starting the file
/// from `skeleton` when it is missing or empty.
pub fn write(file: &str, marker: &str, markdown: &str, skeleton: &str) -> Result {
    let path = root().join(file);
    let text = fs::read_to_string(&path).unwrap_or_default();
    let text = if text.trim().is_empty() {
        skeleton.to_owned()
    } else {
        text
    };
    fs::write(&path, replace(&text, marker, markdown, skeleton))
        .map_err(|e| format!("{file}: {e}"))?;
    say(&format!("wrote the `{marker}` section of {file}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::replace;

    #[test]
    fn a_section_is_replaced_in_place_and_the_others_are_kept() {
        let text = "# R\n\n<!-- a -->\nold\n<!-- /a -->\n\n<!-- b -->\nB\n<!-- /b -->\n";
        assert_eq!(
            replace(text, "a", "new\n", ""),
            "# R\n\n<!-- a -->\nnew\n<!-- /a -->\n\n<!-- b -->\nB\n<!-- /b -->\n"
        );
        assert_eq!(replace(text, "b", "B", ""), text);
    }

    #[test]
    fn a_missing_section_is_appended_after_the_skeleton() {
        assert_eq!(
            replace("# R\n", "x", "y", "# S\n"),
            "# R\n\n<!-- x -->\ny\n<!-- /x -->\n"
        );
        assert_eq!(
            replace("", "x", "y", "# S\n"),
            "# S\n\n<!-- x -->\ny\n<!-- /x -->\n"
        );
    }
}

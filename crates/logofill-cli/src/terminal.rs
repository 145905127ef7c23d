//! What the CLI prints, made safe for a terminal.
//!
//! Much of what `logofill` shows came from outside: directory records, URLs and errors from
//! fetched sites, SQS message ids, attributes and bodies, archive lines. A string there may
//! carry ANSI escape sequences (recolour, move the cursor, rewrite the title, hide text), a
//! carriage return that overwrites what an operator reads, NUL, C1 controls (U+009B is a CSI
//! on some terminals) or Unicode bidi overrides that reorder a line. So every line the CLI
//! prints goes through [`escape`] (the [`say!`] and [`tell!`] macros), and every JSON document
//! through [`json`], which writes the same characters as JSON `\u` escapes. Escaping whole
//! lines, not chosen arguments, is the decision: a new field added to an output cannot
//! forget it. The CLI's own text has no control characters, so nothing of it changes.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A character a terminal may act on instead of showing: C0 (tab and newline too: every
/// printed line is one line), DEL, C1, the bidi embeddings, overrides, isolates and marks,
/// and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `s` with every [`is_unsafe`] character written as a visible Rust-style escape (`\u{1b}`,
/// `\r`, `\0`); unchanged (and not copied) when there is none.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) {
            match c {
                '\0' => out.push_str("\\0"),
                _ => {
                    let _ = write!(out, "{}", c.escape_default());
                }
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A JSON document (pretty or one line) with every [`is_unsafe`] character as a `\uXXXX`
/// escape. serde_json already escapes C0; DEL, C1 and the bidi controls it writes as they are.
/// Outside strings JSON text is printable ASCII, so the escapes land only inside strings and
/// the document means exactly what it meant.
pub fn json(value: &impl serde::Serialize, pretty: bool) -> serde_json::Result<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)?
    } else {
        serde_json::to_string(value)?
    };
    if !text.chars().any(is_unsafe) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        // serde_json writes '\n' between the lines of a pretty document; inside strings
        // every C0 character is already escaped, so a raw one here is structure.
        if is_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Writes one line to standard output. When the reader has gone (`logofill process | head`),
/// there is no one left to tell: the process ends quietly with status 0 instead of panicking
/// the way `println!` does on a broken pipe.
pub fn line(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("logofill: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// `println!`, escaped: the line is formatted, then passed through [`escape`], then [`line()`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::terminal::line(&$crate::terminal::escape(&format!($($arg)*)))
    };
}

/// `println!` for text that is already safe (a document from [`json`]), through [`line()`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::terminal::line(&format!($($arg)*))
    };
}

/// `eprintln!`, escaped.
macro_rules! tell {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::terminal::escape(&format!($($arg)*)))
    };
}

pub(crate) use {out, say, tell};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let s = "company acme (Acme Ltd) homepage=https://acme.example/ é 東京 ✓";
        assert!(matches!(escape(s), Cow::Borrowed(t) if t == s));
    }

    #[test]
    fn controls_and_bidi_become_visible_escapes() {
        for (raw, shown) in [
            ("\u{1b}[31mred\u{1b}[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("ok\rFAIL", "ok\\rFAIL"),
            ("a\0b", "a\\0b"),
            ("two\nlines\tand tab", "two\\nlines\\tand tab"),
            ("del\u{7f}", "del\\u{7f}"),
            ("csi\u{9b}2J", "csi\\u{9b}2J"),
            ("\u{85}next line", "\\u{85}next line"),
            ("evil\u{202e}gpj.exe", "evil\\u{202e}gpj.exe"),
            ("\u{2066}iso\u{2069}", "\\u{2066}iso\\u{2069}"),
            ("mark\u{200f}", "mark\\u{200f}"),
            ("sep\u{2028}", "sep\\u{2028}"),
            ("title\u{1b}]0;pwned\u{7}", "title\\u{1b}]0;pwned\\u{7}"),
        ] {
            let got = escape(raw);
            assert_eq!(got, shown, "{raw:?}");
            assert!(!got.chars().any(is_unsafe), "{got:?}");
        }
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw_and_keeps_the_value() {
        let value = serde_json::json!({
            "name": "a\u{1b}[2Jb\u{7f}\u{9b}c\u{202e}d\r\0",
            "list": ["\u{2028}"],
        });
        for pretty in [false, true] {
            let text = json(&value, pretty).unwrap();
            assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{text:?}");
            assert!(
                text.contains("\\u009b") && text.contains("\\u202e"),
                "{text}"
            );
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, value, "the same document");
        }
        assert!(!json(&value, false).unwrap().contains('\n'));
    }
}

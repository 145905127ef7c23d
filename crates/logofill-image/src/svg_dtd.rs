//! DTD entities in an SVG, expanded by logofill itself within a byte bound, so that roxmltree
//! never sees a DTD (it is called with `allow_dtd: false`).
//!
//! Why not refuse every DTD: real Adobe Illustrator exports declare a few short entities
//! (`<!ENTITY ns_svg "http://www.w3.org/2000/svg">`) and use them in attributes, and those logos
//! must keep rendering. Why not let roxmltree expand them: its loop detector allows any number
//! of references at the top level and 255 nested ones per reference, so an 8 KB file of
//! entities referring to entities expands into hundreds of megabytes of attribute text.
//!
//! The rule here: an entity value may not contain `&`, `%` or `<` (no references to other
//! entities, no markup), so every reference expands to exactly its value, and the sum of the
//! expanded bytes is checked against `max_svg_entity_bytes` while expanding. The document
//! handed to roxmltree is the source with its DOCTYPE removed and each reference to a declared
//! entity replaced by its value (quotes escaped, so it reads the same in an attribute). This
//! fails closed both ways: a DOCTYPE this scan did not find makes roxmltree refuse the file
//! (`DtdDetected`), and a reference it did not replace is an unknown entity to roxmltree.
//! Comments, CDATA sections and processing instructions are copied as they are.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::ImageError;

/// The source with its DTD removed and its entities expanded; borrowed when it has no DOCTYPE.
pub(crate) fn expand_entities<'a>(
    name: &str,
    text: &'a str,
    max_bytes: u64,
) -> Result<Cow<'a, str>, ImageError> {
    let Some(start) = doctype_start(text) else {
        return Ok(Cow::Borrowed(text));
    };
    let refused = |detail: String| ImageError::SvgEntityRefused {
        name: name.to_string(),
        detail,
    };
    let (end, entities) = parse_doctype(text, start).map_err(refused)?;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    if entities.is_empty() {
        out.push_str(&text[end..]);
        return Ok(Cow::Owned(out));
    }
    let body = &text[end..];
    let bytes = body.as_bytes();
    let mut expanded: u64 = 0;
    let mut i = 0;
    let mut copied = 0;
    // Only `<` and `&` matter, both ASCII: jumping between them keeps `i` on a character
    // boundary (a fuzz-found file with a multi-byte character after a DOCTYPE panicked here
    // when the scan stepped byte by byte).
    while let Some(p) = body[i..].find(['<', '&']) {
        i += p;
        let rest = &body[i..];
        let skip_to = if rest.starts_with("<!--") {
            Some("-->")
        } else if rest.starts_with("<![CDATA[") {
            Some("]]>")
        } else if rest.starts_with("<?") {
            Some("?>")
        } else {
            None
        };
        if let Some(close) = skip_to {
            i += rest
                .find(close)
                .map(|p| p + close.len())
                .unwrap_or(rest.len());
            continue;
        }
        if bytes[i] == b'&' {
            if let Some((entity, len)) = reference_at(rest) {
                if let Some(value) = entities.get(entity) {
                    expanded = expanded.saturating_add(value.len() as u64);
                    if expanded > max_bytes {
                        return Err(ImageError::SvgEntityExpansion {
                            name: name.to_string(),
                            bytes: expanded,
                            limit: max_bytes,
                        });
                    }
                    out.push_str(&body[copied..i]);
                    for c in value.chars() {
                        match c {
                            '"' => out.push_str("&quot;"),
                            '\'' => out.push_str("&apos;"),
                            c => out.push(c),
                        }
                    }
                    i += len;
                    copied = i;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&body[copied..]);
    Ok(Cow::Owned(out))
}

/// `&name;` at the start of `s`: the name and the length of the whole reference.
/// The scan stops at the first character that cannot be in a name, so a body of `&`s with no
/// `;` costs one step per character, not one pass over the rest of the body per `&`.
fn reference_at(s: &str) -> Option<(&str, usize)> {
    let rest = &s[1..];
    let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    let name = &rest[..end];
    (rest[end..].starts_with(';') && !name.is_empty()).then_some((name, end + 2))
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':') || !c.is_ascii()
}

/// Where `<!DOCTYPE` starts, if it comes where XML allows it: after the declaration, comments,
/// processing instructions and spaces, before the root element.
fn doctype_start(text: &str) -> Option<usize> {
    let mut i = 0;
    loop {
        let rest = &text[i..];
        let trimmed = rest.trim_start();
        i += rest.len() - trimmed.len();
        if trimmed.starts_with("<!DOCTYPE") {
            return Some(i);
        } else if trimmed.starts_with("<?") {
            i += trimmed.find("?>")? + 2;
        } else if trimmed.starts_with("<!--") {
            i += trimmed.find("-->")? + 3;
        } else {
            return None;
        }
    }
}

/// Parses `<!DOCTYPE ... [ internal subset ]>` from `start`: the end offset and the general
/// entities with an internal value (the first declaration of a name wins, as in XML).
fn parse_doctype(text: &str, start: usize) -> Result<(usize, HashMap<&str, &str>), String> {
    let unterminated = || "its DOCTYPE never ends".to_string();
    let b = text.as_bytes();
    let mut i = start + "<!DOCTYPE".len();
    // Name and external id: up to `[` or `>`, outside quotes.
    let mut quote = None;
    loop {
        let c = *b.get(i).ok_or_else(unterminated)?;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Ok((i + 1, HashMap::new())),
            (None, b'[') => break,
            _ => {}
        }
        i += 1;
    }
    i += 1;
    let mut entities = HashMap::new();
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        let rest = text
            .get(i..)
            .filter(|r| !r.is_empty())
            .ok_or_else(unterminated)?;
        if let Some(after) = rest.strip_prefix(']') {
            let after = after.trim_start();
            if !after.starts_with('>') {
                return Err("its DOCTYPE does not end with ']>'".into());
            }
            let end = text.len() - after.len() + 1;
            return Ok((end, entities));
        } else if rest.starts_with("<!--") {
            i += rest.find("-->").ok_or_else(unterminated)? + 3;
        } else if rest.starts_with("<?") {
            i += rest.find("?>").ok_or_else(unterminated)? + 2;
        } else if let Some(decl) = rest.strip_prefix("<!ENTITY") {
            let (len, entity) = parse_entity(decl)?;
            if let Some((entity_name, value)) = entity {
                entities.entry(entity_name).or_insert(value);
            }
            i += "<!ENTITY".len() + len;
        } else if rest.starts_with("<!ELEMENT")
            || rest.starts_with("<!ATTLIST")
            || rest.starts_with("<!NOTATION")
        {
            i += declaration_len(rest).ok_or_else(unterminated)?;
        } else {
            let what: String = rest.chars().take(20).collect();
            return Err(format!(
                "its DTD holds {what:?}, which logofill does not read (only entity, element, \
                 attribute-list and notation declarations)"
            ));
        }
    }
}

/// Length of a markup declaration up to its closing `>`, quotes honoured.
fn declaration_len(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.bytes().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The rest of an entity declaration after `<!ENTITY`: its length up to and including `>`,
/// and the general entity it declares when it has an internal value.
#[allow(clippy::type_complexity)]
fn parse_entity(s: &str) -> Result<(usize, Option<(&str, &str)>), String> {
    let len = declaration_len(s).ok_or("its DTD has an entity declaration that never ends")?;
    let decl = s[..len - 1].trim();
    let (parameter, decl) = match decl.strip_prefix('%') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, decl),
    };
    let name_end = decl
        .find(|c: char| c.is_ascii_whitespace())
        .ok_or("its DTD has an entity declaration without a value")?;
    let entity = &decl[..name_end];
    let def = decl[name_end..].trim_start();
    let Some(q) = def.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        // External entity (SYSTEM or PUBLIC): never loaded, so a reference to it is unknown.
        return Ok((len, None));
    };
    let close = def[1..]
        .find(q)
        .ok_or("its DTD has an entity value that never ends")?;
    let value = &def[1..1 + close];
    if let Some(bad) = value.chars().find(|c| matches!(c, '&' | '%' | '<')) {
        return Err(format!(
            "its DTD entity '{entity}' has '{bad}' in its value; logofill expands only \
             entities whose value is plain text"
        ));
    }
    if parameter {
        return Ok((len, None));
    }
    Ok((len, Some((entity, value))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn illustrator_entities_are_expanded_in_attributes() {
        let svg = r#"<?xml version="1.0"?>
<!-- Generator: Adobe Illustrator -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
	<!ENTITY ns_svg "http://www.w3.org/2000/svg">
	<!ENTITY ns_q "it's">
]>
<svg xmlns="&ns_svg;" a='&ns_q;'><!-- &ns_svg; --><![CDATA[&ns_svg;]]>&amp;&ns_svg;</svg>"#;
        let out = expand_entities("a.svg", svg, 1024).unwrap();
        assert!(out.contains(r#"<svg xmlns="http://www.w3.org/2000/svg" a='it&apos;s'>"#));
        assert!(out.contains("<!-- &ns_svg; -->"));
        assert!(out.contains("<![CDATA[&ns_svg;]]>"));
        assert!(out.contains("&amp;http://www.w3.org/2000/svg</svg>"));
        assert!(!out.contains("DOCTYPE"));
        resvg::usvg::roxmltree::Document::parse(&out).unwrap();
    }

    #[test]
    fn a_document_without_doctype_is_borrowed() {
        let svg = "<svg/>";
        assert!(matches!(
            expand_entities("a.svg", svg, 0).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn nested_references_are_refused() {
        let svg = r#"<!DOCTYPE svg [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><svg>&b;</svg>"#;
        let e = expand_entities("lol.svg", svg, 1024).unwrap_err();
        assert_eq!(e.code(), "svg_entity_refused");
    }
}

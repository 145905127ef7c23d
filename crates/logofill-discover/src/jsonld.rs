//! Schema.org JSON-LD: the `logo` of the site's own organisation.
//!
//! Read: every top-level node (an object, an array of them, or the nodes of `@graph`) whose
//! `@type` (a string or a list) is an organisation type, and the `publisher` of a top-level
//! `WebSite`/`WebPage`. Not read: organisations nested anywhere else (a product's `brand`, an
//! article's `author`, a `sponsor`), which are other companies as often as not. `logo` may be a
//! URL, an `ImageObject` (`url` or `contentUrl`), a reference `{"@id": ...}` to a node of the
//! same document (Yoast writes it so), or a list of those (the first counts).
//!
//! Budget: the text is at most [`MAX_JSON_LD_BYTES`] (the page scan keeps no more), serde_json
//! refuses nesting deeper than 128, and at most [`MAX_NODES`] nodes are looked at.

use serde_json::Value;

/// Largest JSON-LD script parsed; the page scan keeps at most this much of one.
pub(crate) const MAX_JSON_LD_BYTES: usize = 128 * 1024;
/// Top-level nodes looked at in one script.
const MAX_NODES: usize = 1_000;
/// Logos taken from one script.
const MAX_LOGOS: usize = 4;

/// `@type`s whose `logo` is the site's own (Organization and the subtypes sites use).
const ORGANISATION_TYPES: &[&str] = &[
    "organization",
    "corporation",
    "brand",
    "localbusiness",
    "onlinebusiness",
    "onlinestore",
    "store",
    "newsmediaorganization",
    "educationalorganization",
    "collegeoruniversity",
    "governmentorganization",
    "ngo",
    "airline",
    "medicalorganization",
    "sportsorganization",
    "professionalservice",
    "financialservice",
    "restaurant",
];

/// The logo references of a JSON-LD script, in document order.
pub(crate) fn logos(text: &str) -> Vec<String> {
    if text.len() > MAX_JSON_LD_BYTES {
        return Vec::new();
    }
    let Ok(value) = serde_json::from_str::<Value>(text.trim()) else {
        return Vec::new();
    };
    let mut nodes: Vec<&Value> = Vec::new();
    collect_top(&value, &mut nodes);
    let by_id = |id: &str| -> Option<&Value> {
        nodes
            .iter()
            .copied()
            .find(|n| n.get("@id").and_then(Value::as_str) == Some(id))
    };
    let mut found = Vec::new();
    for node in &nodes {
        let organisation = if is_organisation(node) {
            Some(*node)
        } else if has_type(node, &["website", "webpage"]) {
            node.get("publisher").map(|p| {
                p.get("@id")
                    .and_then(Value::as_str)
                    .filter(|_| p.get("logo").is_none())
                    .and_then(by_id)
                    .unwrap_or(p)
            })
        } else {
            None
        };
        let Some(org) = organisation else { continue };
        if let Some(logo) = org.get("logo").and_then(|l| logo_reference(l, &by_id)) {
            if !found.contains(&logo) {
                found.push(logo);
            }
        }
        if found.len() >= MAX_LOGOS {
            break;
        }
    }
    found
}

fn collect_top<'a>(value: &'a Value, nodes: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                if nodes.len() >= MAX_NODES {
                    return;
                }
                if item.is_object() {
                    collect_top(item, nodes);
                }
            }
        }
        Value::Object(map) => {
            if nodes.len() < MAX_NODES {
                nodes.push(value);
            }
            if let Some(Value::Array(graph)) = map.get("@graph") {
                for item in graph.iter().filter(|i| i.is_object()) {
                    if nodes.len() >= MAX_NODES {
                        return;
                    }
                    nodes.push(item);
                }
            }
        }
        _ => {}
    }
}

fn has_type(node: &Value, wanted: &[&str]) -> bool {
    let matches = |t: &Value| {
        t.as_str().is_some_and(|t| {
            let t = t
                .rsplit(['/', ':'])
                .next()
                .unwrap_or(t)
                .to_ascii_lowercase();
            wanted.contains(&t.as_str())
        })
    };
    match node.get("@type") {
        Some(Value::Array(types)) => types.iter().any(matches),
        Some(t) => matches(t),
        None => false,
    }
}

fn is_organisation(node: &Value) -> bool {
    has_type(node, ORGANISATION_TYPES)
}

fn logo_reference<'a>(
    logo: &'a Value,
    by_id: &dyn Fn(&str) -> Option<&'a Value>,
) -> Option<String> {
    match logo {
        Value::String(s) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
        Value::Array(items) => items.iter().find_map(|i| logo_reference_once(i, by_id)),
        Value::Object(_) => logo_reference_once(logo, by_id),
        _ => None,
    }
}

/// One level: a string, an `ImageObject`, or a reference to one (not followed further, so a
/// cycle of references ends here).
fn logo_reference_once<'a>(
    logo: &'a Value,
    by_id: &dyn Fn(&str) -> Option<&'a Value>,
) -> Option<String> {
    let direct = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(_) => v
                .get("url")
                .or_else(|| v.get("contentUrl"))
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        }
        .filter(|s| !s.trim().is_empty())
    };
    direct(logo).or_else(|| {
        let id = logo.get("@id")?.as_str()?;
        by_id(id).filter(|n| !is_organisation(n)).and_then(direct)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_logos_in_every_shape() {
        assert_eq!(
            logos(r#"{"@context":"https://schema.org","@type":"Organization","logo":"/a.png"}"#),
            ["/a.png"]
        );
        assert_eq!(
            logos(
                r#"{"@type":["Corporation","Thing"],"logo":{"@type":"ImageObject","url":"/b.svg"}}"#
            ),
            ["/b.svg"]
        );
        assert_eq!(
            logos(
                r#"[{"@type":"Product","brand":{"@type":"Brand","logo":"/other.png"}},{"@type":"Brand","logo":["/c.png","/d.png"]}]"#
            ),
            ["/c.png"],
            "a product's brand is not read; a list's first logo counts"
        );
        // Yoast: the logo is a reference to an ImageObject in @graph.
        let yoast = r#"{"@context":"https://schema.org","@graph":[
            {"@type":"WebSite","@id":"https://x/#website","publisher":{"@id":"https://x/#organization"}},
            {"@type":"Organization","@id":"https://x/#organization","name":"X",
             "logo":{"@id":"https://x/#/schema/logo/image/"}},
            {"@type":"ImageObject","@id":"https://x/#/schema/logo/image/","contentUrl":"https://x/logo.png"}]}"#;
        assert_eq!(logos(yoast), ["https://x/logo.png"]);
        assert_eq!(
            logos(
                r#"{"@type":"WebPage","publisher":{"@type":"Organization","logo":{"url":"/p.png"}}}"#
            ),
            ["/p.png"]
        );
    }

    #[test]
    fn other_nodes_and_bad_json_give_nothing() {
        assert!(logos(r#"{"@type":"Person","logo":"/me.png"}"#).is_empty());
        assert!(
            logos(r#"{"@type":"Article","author":{"@type":"Organization","logo":"/a.png"}}"#)
                .is_empty()
        );
        assert!(logos("{not json").is_empty());
        assert!(logos(r#"{"@type":"Organization","logo":""}"#).is_empty());
        assert!(
            logos(r##"{"@type":"Organization","logo":{"@id":"#self"},"@id":"#self"}"##).is_empty()
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(logos(&deep).is_empty());
        assert!(logos(&" ".repeat(MAX_JSON_LD_BYTES + 1)).is_empty());
    }
}

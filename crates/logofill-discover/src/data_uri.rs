//! `data:` URIs as sources (RFC 2397): `data:[<media type>][;base64],<data>`. Only image media
//! types are kept, and the decoded bytes are bounded by [`MAX_INLINE_SOURCE_BYTES`] before
//! anything is allocated for them (the encoded length bounds the decoded one).

use base64::Engine;

use crate::{Source, MAX_INLINE_SOURCE_BYTES};

/// The decoded source of a `data:` URI, or `None` when it is not an image, malformed, or
/// larger than the inline limit.
pub(crate) fn decode(uri: &str) -> Option<Source> {
    let rest = uri.get(5..)?;
    let (header, data) = rest.split_once(',')?;
    let mut params = header.split(';');
    let media_type = params.next().unwrap_or("").trim().to_ascii_lowercase();
    let base64 = params.any(|p| p.trim().eq_ignore_ascii_case("base64"));
    if !media_type.starts_with("image/") {
        return None;
    }
    let bytes = if base64 {
        // Whitespace is allowed in attribute values; base64 ignores none of it.
        let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let compact = percent_decode(&compact)?;
        if compact.len() / 4 * 3 > MAX_INLINE_SOURCE_BYTES + 3 {
            return None;
        }
        base64::engine::general_purpose::STANDARD
            .decode(compact.trim_end_matches('=').to_string() + padding(&compact))
            .ok()?
    } else {
        if data.len() > 3 * MAX_INLINE_SOURCE_BYTES {
            return None;
        }
        percent_decode(data)?.into_bytes()
    };
    (!bytes.is_empty() && bytes.len() <= MAX_INLINE_SOURCE_BYTES)
        .then_some(Source::Data { media_type, bytes })
}

/// The `=` padding a base64 text without its padding needs.
fn padding(text: &str) -> &'static str {
    match text.trim_end_matches('=').len() % 4 {
        2 => "==",
        3 => "=",
        _ => "",
    }
}

/// `%XX` escapes decoded; a malformed escape is kept as written. The result is bytes held in
/// a `String` only when they are UTF-8; SVG text always is, and a binary image is base64.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(uri: &str) -> Option<Vec<u8>> {
        match decode(uri)? {
            Source::Data { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    #[test]
    fn base64_and_percent_encoded_images_decode() {
        assert_eq!(
            bytes("data:image/png;base64,iVBORw0KGgo=").unwrap(),
            b"\x89PNG\r\n\x1a\n"
        );
        assert_eq!(
            bytes("data:image/png;base64,iVBO Rw0K\nGgo").unwrap(),
            b"\x89PNG\r\n\x1a\n"
        );
        assert_eq!(
            bytes("data:image/png;base64,iVBORw0").unwrap(),
            b"\x89PNG\r"
        );
        assert_eq!(
            bytes("data:image/svg+xml;charset=utf-8,%3Csvg xmlns='x'%3E%3C/svg%3E").unwrap(),
            b"<svg xmlns='x'></svg>"
        );
        assert_eq!(bytes("data:image/svg+xml,<svg/>%").unwrap(), b"<svg/>%");
    }

    #[test]
    fn non_images_malformed_and_oversized_uris_are_not_sources() {
        assert_eq!(bytes("data:text/html,<script>x</script>"), None);
        assert_eq!(bytes("data:,hello"), None);
        assert_eq!(bytes("data:image/png;base64"), None);
        assert_eq!(bytes("data:image/png;base64,!!!!"), None);
        assert_eq!(bytes("data:image/png,"), None);
        let big = format!(
            "data:image/png;base64,{}",
            "A".repeat(MAX_INLINE_SOURCE_BYTES * 2)
        );
        assert_eq!(bytes(&big), None);
        let big = format!(
            "data:image/svg+xml,{}",
            "a".repeat(MAX_INLINE_SOURCE_BYTES + 1)
        );
        assert_eq!(bytes(&big), None);
    }
}

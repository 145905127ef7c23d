//! Format detection from magic numbers. A URL's extension or a server's Content-Type says
//! nothing reliable about the bytes, so neither is ever consulted.

use crate::ImageError;

/// The formats logofill decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    Png,
    Jpeg,
    Gif,
    WebP,
    Ico,
    Bmp,
    Svg,
}

impl SourceFormat {
    /// Lower-case name used in metadata and messages (`"png"`, `"svg"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Png => "png",
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Gif => "gif",
            SourceFormat::WebP => "webp",
            SourceFormat::Ico => "ico",
            SourceFormat::Bmp => "bmp",
            SourceFormat::Svg => "svg",
        }
    }

    /// Name used in error messages ("PNG", "JPEG", ...).
    pub(crate) fn label(self) -> &'static str {
        match self {
            SourceFormat::Png => "PNG",
            SourceFormat::Jpeg => "JPEG",
            SourceFormat::Gif => "GIF",
            SourceFormat::WebP => "WebP",
            SourceFormat::Ico => "ICO",
            SourceFormat::Bmp => "BMP",
            SourceFormat::Svg => "SVG",
        }
    }
}

impl std::fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Signatures of formats we recognise but do not read, so the error can name them.
const UNSUPPORTED: &[(&[u8], usize, &str)] = &[
    (b"II*\0", 0, "TIFF"),
    (b"MM\0*", 0, "TIFF"),
    (b"ftypavif", 4, "AVIF"),
    (b"ftypavis", 4, "AVIF"),
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIF"),
    (b"ftypmsf1", 4, "HEIF"),
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\0\0\0\x0cJXL ", 0, "JPEG XL"),
    (b"8BPS", 0, "a Photoshop document"),
    (b"%PDF", 0, "a PDF document"),
    (b"qoif", 0, "QOI"),
    (b"\0\0\x02\0", 0, "a Windows cursor (CUR)"),
    (b"\x1f\x8b", 0, "gzip-compressed data (SVGZ is not read)"),
    (b"\xff\x4f\xff\x51", 0, "JPEG 2000"),
    (b"\0\0\0\x0cjP  ", 0, "JPEG 2000"),
    (b"DDS ", 0, "DDS"),
    (b"#?RADIANCE", 0, "Radiance HDR"),
    (b"\x76\x2f\x31\x01", 0, "OpenEXR"),
];

/// Identifies the format of `bytes`. `name` is used only in error messages.
pub(crate) fn sniff(name: &str, bytes: &[u8]) -> Result<SourceFormat, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty {
            name: name.to_string(),
        });
    }
    if bytes.starts_with(PNG_SIG) {
        return Ok(SourceFormat::Png);
    }
    if bytes.starts_with(b"\xff\xd8\xff") {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(SourceFormat::Gif);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(SourceFormat::WebP);
    }
    // ICO: reserved 0, type 1, at least one entry.
    if bytes.len() >= 6 && bytes[0..4] == [0, 0, 1, 0] && (bytes[4] != 0 || bytes[5] != 0) {
        return Ok(SourceFormat::Ico);
    }
    if bytes.starts_with(b"BM") && bytes.len() >= 14 {
        return Ok(SourceFormat::Bmp);
    }
    for (sig, offset, format) in UNSUPPORTED {
        if bytes.len() >= offset + sig.len() && &bytes[*offset..offset + sig.len()] == *sig {
            return Err(ImageError::Unsupported {
                name: name.to_string(),
                format,
            });
        }
    }
    if let Some(text) = text_head(bytes) {
        if looks_like_svg(&text) {
            return Ok(SourceFormat::Svg);
        }
        let lower = text.to_ascii_lowercase();
        let hint = if lower.contains("<html") || lower.contains("<!doctype html") {
            "it is an HTML page".to_string()
        } else {
            "it is text, not an image".to_string()
        };
        return Err(ImageError::NotAnImage {
            name: name.to_string(),
            hint,
        });
    }
    // A file cut inside a signature is truncated, not "not an image".
    for (sig, format) in [
        (PNG_SIG, "PNG"),
        (&b"\xff\xd8\xff"[..], "JPEG"),
        (&b"GIF89a"[..], "GIF"),
        (&b"GIF87a"[..], "GIF"),
        (&b"RIFF"[..], "WebP"),
    ] {
        if bytes.len() < sig.len() && sig.starts_with(bytes) {
            return Err(ImageError::Truncated {
                name: name.to_string(),
                format,
                detail: format!("only {} bytes", bytes.len()),
            });
        }
    }
    let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Err(ImageError::NotAnImage {
        name: name.to_string(),
        hint: format!("no known signature; starts with {}", shown.join(" ")),
    })
}

/// The first few KiB as text, if they are UTF-8 (a cut inside a character is allowed) and free of
/// NUL bytes. UTF-16 SVG is rare enough for logos to be left out.
fn text_head(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.contains(&0) {
        return None;
    }
    match std::str::from_utf8(head) {
        Ok(s) => Some(s.to_string()),
        Err(e) if e.error_len().is_none() => {
            Some(String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned())
        }
        Err(_) => None,
    }
}

/// An SVG document starts, after an optional XML declaration, comments and DOCTYPE, with `<svg`.
fn looks_like_svg(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if rest.starts_with("<svg") {
            return true;
        }
        let skip_to = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!doctype") {
            // A DOCTYPE may carry an internal subset in brackets.
            match (rest.find('['), rest.find('>')) {
                (Some(b), Some(g)) if b < g => rest.find("]>").map(|i| i + 2),
                (_, Some(g)) => Some(g + 1),
                _ => None,
            }
        } else {
            return false;
        };
        match skip_to {
            Some(i) => rest = rest[i..].trim_start(),
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_signatures() {
        assert_eq!(
            sniff("a", b"\x89PNG\r\n\x1a\n....").unwrap(),
            SourceFormat::Png
        );
        assert_eq!(sniff("a", b"\xff\xd8\xff\xe0").unwrap(), SourceFormat::Jpeg);
        assert_eq!(sniff("a", b"GIF89a..").unwrap(), SourceFormat::Gif);
        assert_eq!(
            sniff("a", b"RIFF\0\0\0\0WEBPVP8 ").unwrap(),
            SourceFormat::WebP
        );
        assert_eq!(sniff("a", b"\0\0\x01\0\x01\0").unwrap(), SourceFormat::Ico);
        assert_eq!(sniff("a", b"BM............").unwrap(), SourceFormat::Bmp);
        assert_eq!(
            sniff("a", b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap(),
            SourceFormat::Svg
        );
        assert_eq!(
            sniff("a", b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- x -->\n<!DOCTYPE svg [ <!ENTITY a 'b'> ]>\n<svg>").unwrap(),
            SourceFormat::Svg
        );
    }

    #[test]
    fn names_what_it_refuses() {
        let e = sniff("x.html", b"<!DOCTYPE html><html>").unwrap_err();
        assert_eq!(e.to_string(), "x.html is not an image (it is an HTML page)");
        let e = sniff("x.tif", b"II*\0\x08\0\0\0").unwrap_err();
        assert!(
            matches!(e, ImageError::Unsupported { format: "TIFF", .. }),
            "{e}"
        );
        let e = sniff("x", b"\x89PN").unwrap_err();
        assert!(matches!(e, ImageError::Truncated { .. }), "{e}");
        let e = sniff("x", b"").unwrap_err();
        assert!(matches!(e, ImageError::Empty { .. }), "{e}");
        let e = sniff("x", b"\x01\x02\x03\x00").unwrap_err();
        assert!(e.to_string().contains("01 02 03 00"), "{e}");
    }
}

//! The pipe protocol between the worker and its render helper: length-prefixed little-endian
//! frames, written and read by the same binary, so no schema negotiation is needed.
//!
//! The parent trusts what it sends (its own config, bytes it already bounded); it does not
//! trust what comes back beyond what a crashed or compromised helper could do: every length
//! read from the helper is checked against a ceiling before anything is allocated for it.
//!
//! Frames:
//! - parent -> helper, once: `HelperOptions` (pipeline options and the budget to apply).
//! - helper -> parent, once: `READY`.
//! - parent -> helper, per render: name, bytes.
//! - helper -> parent, per render: `RENDERED` with the set, or `REFUSED` with the image error's
//!   code, message and permanence.

use std::io::{self, Read, Write};

use logofill_image::{
    Appearance, Colouring, LogoKind, OutputFormat, Provenance, RenderedSet, SourceFormat,
    SourceInfo, TrimOptions, Variant, PIPELINE_VERSION,
};

pub(crate) const READY: u8 = 0xA0;
pub(crate) const RENDERED: u8 = 0xA1;
pub(crate) const REFUSED: u8 = 0xA2;

/// Largest string field accepted from the other side (names, messages, codes).
const MAX_TEXT: u32 = 64 * 1024;
/// Largest encoded variant accepted back from a helper: a 2048 px RGBA PNG stored without
/// compression is 16 MiB; nothing the pipeline writes comes near it.
const MAX_VARIANT_BYTES: u64 = 32 * 1024 * 1024;
/// Most variants in one set (at most 8 sizes, two formats each, plus slack).
const MAX_VARIANTS: u32 = 64;

/// What the helper needs to build its pipeline and apply its limits. Everything not listed
/// keeps the pipeline's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct HelperOptions {
    pub sizes: Vec<u32>,
    pub trim: Option<TrimOptions>,
    pub max_input_bytes: u64,
    pub max_pixels: u64,
    pub max_decode_alloc: u64,
    pub webp_quality: f32,
    /// Address space the helper may add to what it has mapped once ready (RLIMIT_AS).
    pub memory_bytes: u64,
    /// CPU seconds one render may use (RLIMIT_CPU, re-armed before each render).
    pub cpu_seconds: u64,
}

pub(crate) fn write_config(w: &mut impl Write, c: &HelperOptions) -> io::Result<()> {
    put_u32(w, c.sizes.len() as u32)?;
    for s in &c.sizes {
        put_u32(w, *s)?;
    }
    match &c.trim {
        None => w.write_all(&[0])?,
        Some(t) => {
            w.write_all(&[1, t.tolerance])?;
            w.write_all(&t.padding.to_le_bytes())?;
        }
    }
    put_u64(w, c.max_input_bytes)?;
    put_u64(w, c.max_pixels)?;
    put_u64(w, c.max_decode_alloc)?;
    w.write_all(&c.webp_quality.to_le_bytes())?;
    put_u64(w, c.memory_bytes)?;
    put_u64(w, c.cpu_seconds)?;
    w.flush()
}

pub(crate) fn read_config(r: &mut impl Read) -> io::Result<HelperOptions> {
    let n = get_u32(r)?;
    if n > 16 {
        return Err(bad("too many sizes"));
    }
    let sizes = (0..n).map(|_| get_u32(r)).collect::<io::Result<Vec<_>>>()?;
    let trim = match get_u8(r)? {
        0 => None,
        _ => {
            let tolerance = get_u8(r)?;
            let padding = f32::from_le_bytes(get_array(r)?);
            Some(TrimOptions { tolerance, padding })
        }
    };
    Ok(HelperOptions {
        sizes,
        trim,
        max_input_bytes: get_u64(r)?,
        max_pixels: get_u64(r)?,
        max_decode_alloc: get_u64(r)?,
        webp_quality: f32::from_le_bytes(get_array(r)?),
        memory_bytes: get_u64(r)?,
        cpu_seconds: get_u64(r)?,
    })
}

/// One render request. Returns `None` at a clean end of input (the parent closed the pipe).
pub(crate) fn read_request(
    r: &mut impl Read,
    max_input_bytes: u64,
) -> io::Result<Option<(String, Vec<u8>)>> {
    let mut first = [0u8; 4];
    match r.read_exact(&mut first) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let name_len = u32::from_le_bytes(first);
    let name = get_text_of(r, name_len)?;
    let len = get_u64(r)?;
    // The parent bounds inputs before sending; one byte over lets the pipeline name the limit.
    if len > max_input_bytes.saturating_add(1) {
        return Err(bad("input larger than the configured limit"));
    }
    let mut bytes = vec![0u8; len as usize];
    r.read_exact(&mut bytes)?;
    Ok(Some((name, bytes)))
}

pub(crate) fn write_request(w: &mut Vec<u8>, name: &str, bytes: &[u8]) {
    let name = truncate(name);
    w.extend_from_slice(&(name.len() as u32).to_le_bytes());
    w.extend_from_slice(name.as_bytes());
    w.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
}

/// What the helper answers for one render.
#[derive(Debug)]
pub(crate) enum Reply {
    Rendered(RenderedSet),
    Refused {
        code: String,
        message: String,
        permanent: bool,
    },
}

pub(crate) fn write_rendered(w: &mut impl Write, set: &RenderedSet) -> io::Result<()> {
    w.write_all(&[RENDERED, kind_tag(set.kind)])?;
    match &set.provenance.source {
        None => w.write_all(&[0])?,
        Some(s) => {
            w.write_all(&[1, format_tag(s.format)])?;
            put_text(w, &s.sha256)?;
            put_u32(w, s.width)?;
            put_u32(w, s.height)?;
            w.write_all(&[colouring_tag(s.appearance.colouring)])?;
            put_u32(w, s.appearance.content_width)?;
            put_u32(w, s.appearance.content_height)?;
        }
    }
    put_u32(w, set.variants.len() as u32)?;
    for v in &set.variants {
        put_u32(w, v.size)?;
        w.write_all(&[match v.format {
            OutputFormat::Png => 0,
            OutputFormat::Webp => 1,
        }])?;
        put_u64(w, v.bytes.len() as u64)?;
        w.write_all(&v.bytes)?;
    }
    w.flush()
}

pub(crate) fn write_refused(
    w: &mut impl Write,
    code: &str,
    message: &str,
    permanent: bool,
) -> io::Result<()> {
    w.write_all(&[REFUSED, permanent as u8])?;
    put_text(w, code)?;
    put_text(w, message)?;
    w.flush()
}

/// Reads one reply; the tag has already been read.
pub(crate) fn read_reply(tag: u8, r: &mut impl Read) -> io::Result<Reply> {
    match tag {
        RENDERED => {
            let kind = match get_u8(r)? {
                0 => LogoKind::Logo,
                _ => LogoKind::Placeholder,
            };
            let source = match get_u8(r)? {
                0 => None,
                _ => {
                    let format = format_from_tag(get_u8(r)?)?;
                    let sha256 = get_text(r)?;
                    let (width, height) = (get_u32(r)?, get_u32(r)?);
                    let colouring = colouring_from_tag(get_u8(r)?)?;
                    Some(SourceInfo {
                        sha256,
                        format,
                        width,
                        height,
                        appearance: Appearance {
                            colouring,
                            content_width: get_u32(r)?,
                            content_height: get_u32(r)?,
                        },
                    })
                }
            };
            let n = get_u32(r)?;
            if n > MAX_VARIANTS {
                return Err(bad("too many variants"));
            }
            let mut variants = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let size = get_u32(r)?;
                let format = match get_u8(r)? {
                    0 => OutputFormat::Png,
                    _ => OutputFormat::Webp,
                };
                let len = get_u64(r)?;
                if len > MAX_VARIANT_BYTES {
                    return Err(bad("variant larger than any the pipeline writes"));
                }
                let mut bytes = vec![0u8; len as usize];
                r.read_exact(&mut bytes)?;
                variants.push(Variant {
                    size,
                    format,
                    bytes,
                });
            }
            Ok(Reply::Rendered(RenderedSet {
                kind,
                variants,
                provenance: Provenance {
                    source,
                    pipeline_version: PIPELINE_VERSION,
                },
            }))
        }
        REFUSED => {
            let permanent = get_u8(r)? != 0;
            Ok(Reply::Refused {
                code: get_text(r)?,
                message: get_text(r)?,
                permanent,
            })
        }
        other => Err(bad(&format!("unknown reply tag {other:#x}"))),
    }
}

fn kind_tag(kind: LogoKind) -> u8 {
    match kind {
        LogoKind::Logo => 0,
        LogoKind::Placeholder => 1,
    }
}

const FORMATS: [SourceFormat; 7] = [
    SourceFormat::Png,
    SourceFormat::Jpeg,
    SourceFormat::Gif,
    SourceFormat::WebP,
    SourceFormat::Ico,
    SourceFormat::Bmp,
    SourceFormat::Svg,
];

const COLOURINGS: [Colouring; 4] = [
    Colouring::Empty,
    Colouring::Flat,
    Colouring::OneColour,
    Colouring::Colour,
];

/// The wire tag of `value`: its index in `table`.
fn tag_of<T: PartialEq>(table: &[T], value: &T) -> u8 {
    table.iter().position(|x| x == value).unwrap_or(0) as u8
}

/// The value a wire tag stands for; an unknown tag is malformed input named by `what`.
fn from_tag<T: Copy>(table: &[T], tag: u8, what: &str) -> io::Result<T> {
    table
        .get(tag as usize)
        .copied()
        .ok_or_else(|| bad(&format!("unknown {what}")))
}

fn format_tag(f: SourceFormat) -> u8 {
    tag_of(&FORMATS, &f)
}

fn format_from_tag(tag: u8) -> io::Result<SourceFormat> {
    from_tag(&FORMATS, tag, "source format")
}

fn colouring_tag(c: Colouring) -> u8 {
    tag_of(&COLOURINGS, &c)
}

fn colouring_from_tag(tag: u8) -> io::Result<Colouring> {
    from_tag(&COLOURINGS, tag, "colouring")
}

fn truncate(text: &str) -> &str {
    let mut end = text.len().min(MAX_TEXT as usize);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn put_text(w: &mut impl Write, text: &str) -> io::Result<()> {
    let text = truncate(text);
    put_u32(w, text.len() as u32)?;
    w.write_all(text.as_bytes())
}

fn get_text(r: &mut impl Read) -> io::Result<String> {
    let len = get_u32(r)?;
    get_text_of(r, len)
}

fn get_text_of(r: &mut impl Read, len: u32) -> io::Result<String> {
    if len > MAX_TEXT {
        return Err(bad("text field too long"));
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf)?;
    String::from_utf8(buf).map_err(|_| bad("text field is not UTF-8"))
}

fn put_u32(w: &mut impl Write, v: u32) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

fn put_u64(w: &mut impl Write, v: u64) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

pub(crate) fn get_u8(r: &mut impl Read) -> io::Result<u8> {
    Ok(get_array::<1>(r)?[0])
}

fn get_u32(r: &mut impl Read) -> io::Result<u32> {
    Ok(u32::from_le_bytes(get_array(r)?))
}

fn get_u64(r: &mut impl Read) -> io::Result<u64> {
    Ok(u64::from_le_bytes(get_array(r)?))
}

fn get_array<const N: usize>(r: &mut impl Read) -> io::Result<[u8; N]> {
    let mut buf = [0u8; N];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips() {
        let c = HelperOptions {
            sizes: vec![64, 128, 256],
            trim: Some(TrimOptions::default()),
            max_input_bytes: 10 << 20,
            max_pixels: 16_000_000,
            max_decode_alloc: 80 << 20,
            webp_quality: 85.0,
            memory_bytes: 96 << 20,
            cpu_seconds: 4,
        };
        let mut buf = Vec::new();
        write_config(&mut buf, &c).unwrap();
        assert_eq!(read_config(&mut buf.as_slice()).unwrap(), c);
    }

    #[test]
    fn a_rendered_set_round_trips() {
        let set = RenderedSet {
            kind: LogoKind::Logo,
            variants: vec![
                Variant {
                    size: 64,
                    format: OutputFormat::Png,
                    bytes: vec![1, 2, 3],
                },
                Variant {
                    size: 64,
                    format: OutputFormat::Webp,
                    bytes: vec![],
                },
            ],
            provenance: Provenance {
                source: Some(SourceInfo {
                    sha256: "ab".repeat(32),
                    format: SourceFormat::Svg,
                    width: 300,
                    height: 100,
                    appearance: Appearance {
                        colouring: Colouring::OneColour,
                        content_width: 256,
                        content_height: 85,
                    },
                }),
                pipeline_version: PIPELINE_VERSION,
            },
        };
        let mut buf = Vec::new();
        write_rendered(&mut buf, &set).unwrap();
        let mut r = buf.as_slice();
        let tag = get_u8(&mut r).unwrap();
        match read_reply(tag, &mut r).unwrap() {
            Reply::Rendered(back) => assert_eq!(back, set),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lengths_from_a_helper_are_bounded_before_allocating() {
        // A refused reply whose code claims 4 GiB.
        let mut buf = vec![REFUSED, 1];
        buf.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut r = &buf[1..];
        let err = read_reply(REFUSED, &mut r).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn requests_round_trip_and_end_cleanly() {
        let mut buf = Vec::new();
        write_request(&mut buf, "https://acme.example/logo.svg", b"<svg/>");
        buf.extend_from_slice(b"<svg/>");
        let mut r = buf.as_slice();
        let (name, bytes) = read_request(&mut r, 100).unwrap().unwrap();
        assert_eq!(name, "https://acme.example/logo.svg");
        assert_eq!(bytes, b"<svg/>");
        assert!(read_request(&mut r, 100).unwrap().is_none());
    }
}

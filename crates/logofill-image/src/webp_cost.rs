//! What decoding a WebP will cost, read from its RIFF chunks before any decoder runs.
//!
//! Why this exists: `image-webp` (0.2.4) checks the canvas size of an extended (VP8X) WebP but
//! allocates the planes of each lossy (VP8) frame from that frame's own header, and compares the
//! two only after decoding. A 332-byte file with a 24x16 canvas and a VP8 frame header of
//! 16383x16383 made it allocate 256 MiB (found by the fuzz target). Its buffers are also several
//! times the output: a lossy frame with a losslessly compressed alpha plane decodes that plane to
//! RGBA first. So every VP8 frame is checked against its canvas (and its animation frame), and
//! the decoder's whole working set is estimated from the headers and checked against
//! `max_decode_alloc`, the same way JPEG's is (`decode::jpeg_decode_cost`). The walk follows the
//! decoder's reading, not the specification's: inside an animation frame it decodes the chunk
//! after ALPH as VP8 whatever its FourCC (a second fuzz find), so that chunk is checked as VP8.
//!
//! Lossless (VP8L) frames are not a risk of their own: the decoder compares their header with
//! the expected size before it allocates.

use crate::ImageError;

/// Size and decoder working set of a WebP, from its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WebpCost {
    pub width: u32,
    pub height: u32,
    /// Bytes the decoder holds at its peak: output buffer plus working buffers.
    pub bytes: u64,
}

/// One RIFF chunk: its FourCC and as much of its payload as the file holds.
struct Chunk<'a> {
    fourcc: [u8; 4],
    payload: &'a [u8],
}

/// The chunks in `bytes`, in order. A chunk that claims more bytes than are left gets what is
/// left: the decoder reads such a chunk as far as it can, so it is checked as far as it goes.
fn chunks(mut bytes: &[u8]) -> impl Iterator<Item = Chunk<'_>> {
    std::iter::from_fn(move || {
        if bytes.len() < 8 {
            return None;
        }
        let fourcc = [bytes[0], bytes[1], bytes[2], bytes[3]];
        let size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let rest = &bytes[8..];
        let payload = &rest[..size.min(rest.len())];
        // Chunks are padded to an even size.
        let next = size.saturating_add(size & 1).min(rest.len());
        bytes = &rest[next..];
        Some(Chunk { fourcc, payload })
    })
}

fn u24(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

/// Width and height a VP8 key frame declares, if the payload holds a key frame header (a
/// decoder stops before allocating on anything else).
fn vp8_frame_size(payload: &[u8]) -> Option<(u32, u32)> {
    if payload.len() < 10 || payload[0] & 1 != 0 || payload[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u16::from_le_bytes([payload[6], payload[7]]) & 0x3fff;
    let h = u16::from_le_bytes([payload[8], payload[9]]) & 0x3fff;
    Some((u32::from(w), u32::from(h)))
}

/// Width, height and alpha flag of a VP8L header.
fn vp8l_header(payload: &[u8]) -> Option<(u32, u32, bool)> {
    if payload.len() < 5 || payload[0] != 0x2f {
        return None;
    }
    let v = u32::from_le_bytes([payload[1], payload[2], payload[3], payload[4]]);
    Some((
        (v & 0x3fff) + 1,
        ((v >> 14) & 0x3fff) + 1,
        (v >> 28) & 1 == 1,
    ))
}

/// Planes of a decoded VP8 frame: Y at full resolution, U and V at half, in whole macroblocks.
fn vp8_planes(w: u32, h: u32) -> u64 {
    let (mw, mh) = (
        u64::from(w.div_ceil(16)) * 16,
        u64::from(h.div_ceil(16)) * 16,
    );
    mw * mh * 3 / 2
}

/// The image data of one still image or animation frame: its chunks (ALPH, VP8, VP8L).
#[derive(Default)]
struct Frame {
    vp8: Option<(u32, u32)>,
    vp8l: bool,
    alph: bool,
}

impl Frame {
    /// Notes what `chunk` adds to the frame. `after_alph`: inside an animation frame, the decoder
    /// decodes whatever chunk follows an ALPH chunk as VP8, whatever its FourCC says.
    fn add(&mut self, chunk: &Chunk<'_>, after_alph: bool) {
        if after_alph {
            self.vp8 = self.vp8.or(vp8_frame_size(chunk.payload));
            return;
        }
        match &chunk.fourcc {
            b"VP8 " => self.vp8 = self.vp8.or(vp8_frame_size(chunk.payload)),
            b"VP8L" => self.vp8l = true,
            b"ALPH" => self.alph = true,
            _ => {}
        }
    }

    /// Working bytes to decode this frame at `w` x `h`, beyond the buffer it is decoded into:
    /// the VP8 planes, and for an ALPH chunk the plane decoded as RGBA and then its green bytes.
    fn working(&self, w: u32, h: u32) -> u64 {
        let px = u64::from(w) * u64::from(h);
        let mut bytes = 0;
        if self.vp8.is_some() {
            bytes += vp8_planes(w, h);
        }
        if self.alph {
            bytes += px * 5;
        }
        bytes
    }

    /// Refuses a VP8 frame larger than the area it is drawn into.
    fn check_fits(&self, name: &str, what: &str, w: u32, h: u32) -> Result<(), ImageError> {
        match self.vp8 {
            Some((fw, fh)) if fw > w || fh > h => Err(ImageError::Corrupt {
                name: name.to_string(),
                format: "WebP",
                detail: format!("its VP8 frame declares {fw}x{fh}, larger than its {w}x{h} {what}"),
            }),
            _ => Ok(()),
        }
    }
}

/// Reads the size and decode cost of a WebP from its chunks. `Ok(None)` when the bytes are not
/// a RIFF WebP this can read: the decoder then reports the damage in its own words. Refuses a
/// VP8 frame larger than its canvas or animation frame.
pub(crate) fn webp_decode_cost(name: &str, bytes: &[u8]) -> Result<Option<WebpCost>, ImageError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return Ok(None);
    }
    let mut top = chunks(&bytes[12..]);
    let Some(first) = top.next() else {
        return Ok(None);
    };
    match &first.fourcc {
        b"VP8 " => Ok(vp8_frame_size(first.payload).map(|(w, h)| {
            let px = u64::from(w) * u64::from(h);
            WebpCost {
                width: w,
                height: h,
                bytes: px * 3 + vp8_planes(w, h),
            }
        })),
        b"VP8L" => Ok(vp8l_header(first.payload).map(|(w, h, alpha)| {
            let px = u64::from(w) * u64::from(h);
            // Without alpha the decoder fills an RGBA buffer, then copies it to RGB.
            WebpCost {
                width: w,
                height: h,
                bytes: if alpha { px * 4 } else { px * 3 + px * 4 },
            }
        })),
        b"VP8X" if first.payload.len() >= 10 => {
            let p = first.payload;
            let (alpha, animated) = (p[0] & 0x10 != 0, p[0] & 0x02 != 0);
            let (w, h) = (u24(&p[4..7]) + 1, u24(&p[7..10]) + 1);
            let px = u64::from(w) * u64::from(h);
            let out = px * if alpha { 4 } else { 3 };
            let mut still = Frame::default();
            // (frame width, frame height, its chunks) of the first animation frame.
            let mut first_frame: Option<(u32, u32, Frame)> = None;
            for chunk in top {
                if &chunk.fourcc != b"ANMF" {
                    still.add(&chunk, false);
                    continue;
                }
                if chunk.payload.len() < 16 {
                    continue;
                }
                // A frame reaching past the canvas is refused by the decoder before it decodes.
                let fw = (u24(&chunk.payload[6..9]) + 1).min(w);
                let fh = (u24(&chunk.payload[9..12]) + 1).min(h);
                let mut frame = Frame::default();
                let mut after_alph = false;
                for sub in chunks(&chunk.payload[16..]) {
                    frame.add(&sub, after_alph);
                    after_alph = &sub.fourcc == b"ALPH";
                }
                frame.check_fits(name, "animation frame", fw, fh)?;
                first_frame.get_or_insert((fw, fh, frame));
            }
            still.check_fits(name, "canvas", w, h)?;
            let working = match first_frame {
                // Only the first frame is decoded: into an RGBA frame buffer, with its working
                // set, then composed onto an RGBA canvas, then copied to the output.
                Some((fw, fh, frame)) if animated => {
                    let fpx = u64::from(fw) * u64::from(fh);
                    fpx * 4 + frame.working(fw, fh) + px * 4
                }
                None if animated => 0,
                // A still image is decoded from its own VP8/VP8L chunk (the decoder refuses one
                // without), but takes a missing ALPH chunk from the first animation frame.
                first_frame => {
                    still.alph |= first_frame.is_some_and(|(_, _, f)| f.alph);
                    // VP8L without alpha is decoded to RGBA first, as in a simple file.
                    still.working(w, h) + if still.vp8l && !alpha { px * 4 } else { 0 }
                }
            };
            Ok(Some(WebpCost {
                width: w,
                height: h,
                bytes: out + working,
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = fourcc.to_vec();
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    fn riff(body: &[u8]) -> Vec<u8> {
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        out.extend_from_slice(b"WEBP");
        out.extend_from_slice(body);
        out
    }

    fn vp8_key_frame(w: u16, h: u16) -> Vec<u8> {
        let mut p = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        p.extend_from_slice(&w.to_le_bytes());
        p.extend_from_slice(&h.to_le_bytes());
        p
    }

    fn vp8x(flags: u8, w: u32, h: u32) -> Vec<u8> {
        let mut p = vec![flags, 0, 0, 0];
        p.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        p.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        chunk(b"VP8X", &p)
    }

    /// VP8X (animated, 100x100), ANIM and one 10x10 ANMF frame holding `subchunks`.
    fn animation_10x10_in_100x100(subchunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut anmf = vec![0u8; 16];
        anmf[6..9].copy_from_slice(&9u32.to_le_bytes()[..3]);
        anmf[9..12].copy_from_slice(&9u32.to_le_bytes()[..3]);
        for (fourcc, payload) in subchunks {
            anmf.extend(chunk(fourcc, payload));
        }
        let mut body = vp8x(0x12, 100, 100);
        body.extend(chunk(b"ANIM", &[0; 6]));
        body.extend(chunk(b"ANMF", &anmf));
        body
    }

    #[test]
    fn simple_lossy_costs_its_rgb_output_and_planes() {
        let webp = riff(&chunk(b"VP8 ", &vp8_key_frame(4000, 3000)));
        let cost = webp_decode_cost("a", &webp).unwrap().unwrap();
        assert_eq!((cost.width, cost.height), (4000, 3000));
        assert_eq!(cost.bytes, 12_000_000 * 3 + 4000 * 3008 * 3 / 2);
    }

    #[test]
    fn lossy_with_alpha_counts_the_alpha_plane_decoded_as_rgba() {
        let mut body = vp8x(0x10, 1000, 1000);
        body.extend(chunk(b"ALPH", &[1, 0, 0, 0]));
        body.extend(chunk(b"VP8 ", &vp8_key_frame(1000, 1000)));
        let cost = webp_decode_cost("a", &riff(&body)).unwrap().unwrap();
        assert_eq!(cost.bytes, 4_000_000 + 1008 * 1008 * 3 / 2 + 5_000_000);
    }

    #[test]
    fn a_vp8_frame_larger_than_its_canvas_is_refused() {
        let mut body = vp8x(0x00, 24, 16);
        body.extend(chunk(b"VP8 ", &vp8_key_frame(16383, 16383)));
        let e = webp_decode_cost("x.webp", &riff(&body)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.webp is not a valid WebP: its VP8 frame declares 16383x16383, larger than its \
             24x16 canvas"
        );
    }

    #[test]
    fn an_animation_frame_is_checked_against_its_frame_size() {
        let body = animation_10x10_in_100x100(&[(b"VP8 ", vp8_key_frame(20, 10))]);
        let e = webp_decode_cost("x.webp", &riff(&body)).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("its VP8 frame declares 20x10, larger than its 10x10 animation frame"),
            "{e}"
        );
    }

    #[test]
    fn the_chunk_after_an_animation_frames_alpha_is_checked_as_vp8_whatever_its_name() {
        let body = animation_10x10_in_100x100(&[
            (b"ALPH", vec![1, 0]),
            (b"VP0 ", vp8_key_frame(16383, 16383)),
        ]);
        let e = webp_decode_cost("x.webp", &riff(&body)).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "its VP8 frame declares 16383x16383, larger than its 10x10 animation frame"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_still_image_counts_an_alpha_chunk_it_takes_from_an_animation_frame() {
        let mut anmf = vec![0u8; 16];
        anmf.extend(chunk(b"ALPH", &[1, 0]));
        let mut body = vp8x(0x10, 100, 100);
        body.extend(chunk(b"VP8 ", &vp8_key_frame(100, 100)));
        body.extend(chunk(b"ANMF", &anmf));
        let cost = webp_decode_cost("a", &riff(&body)).unwrap().unwrap();
        assert_eq!(cost.bytes, 40_000 + 112 * 112 * 3 / 2 + 50_000);
    }

    #[test]
    fn a_chunk_that_runs_past_the_end_is_read_as_far_as_it_goes() {
        let mut body = vp8x(0x00, 24, 16);
        let mut vp8 = chunk(b"VP8 ", &vp8_key_frame(9000, 9000));
        vp8[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        body.extend(vp8);
        assert!(webp_decode_cost("x", &riff(&body)).is_err());
    }

    #[test]
    fn not_a_riff_webp_is_left_to_the_decoder() {
        assert_eq!(
            webp_decode_cost("x", b"RIFF\0\0\0\0WAVEfmt ").unwrap(),
            None
        );
        assert_eq!(webp_decode_cost("x", b"RIFF\0\0\0\0WEBP").unwrap(), None);
    }
}

//! Builds decompression bombs: valid PNGs whose zlib stream inflates to far more than the
//! pixel limit allows, and header-only PNGs. Shared by `tests/bomb.rs`, the other tests (through
//! `util`) and the `pipeline` bench.
#![allow(dead_code)]

/// A real 20000x20000 RGB PNG bomb: a valid zlib stream of 1.2 GB of zero rows, about 1.2 MB.
pub fn png_bomb() -> Vec<u8> {
    let (w, h) = (20_000u32, 20_000u32);
    let row = vec![0u8; 1 + w as usize * 3];
    png_rgb8(w, h, &deflate_zero_rows(&row, h as usize))
}

/// An 8-bit RGB PNG of `w` x `h` whose one IDAT chunk is `idat`, which may hold fewer rows than
/// the header declares (a header-only image for limit tests).
pub fn png_rgb8(w: u32, h: u32, idat: &[u8]) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Deflate of `rows` rows of zeros. Compressing 1.2 GB with a real encoder would take seconds;
/// a fixed-Huffman stream of back-references is written directly
/// instead: the first row literally, then "copy 258 bytes from distance 1" codes.
pub fn deflate_zero_rows(row: &[u8], rows: usize) -> Vec<u8> {
    // Fixed-Huffman deflate writer, enough for one literal and many length-258/distance-1 copies.
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, v: u32, len: u32) {
            self.acc |= (v as u64) << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        fn put_rev(&mut self, code: u32, len: u32) {
            let mut r = 0;
            for i in 0..len {
                r |= ((code >> i) & 1) << (len - 1 - i);
            }
            self.put(r, len);
        }
    }
    let total = row.len() * rows;
    let mut b = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman
    b.put_rev(0x30, 8); // literal 0
    let mut left = total - 1;
    while left > 0 {
        let len = left.min(258);
        if len < 3 {
            for _ in 0..len {
                b.put_rev(0x30, 8);
            }
            break;
        }
        // Length code 285 (258) or the exact code for shorter tails.
        let (code, extra_bits, extra) = length_code(len);
        if code < 280 {
            b.put_rev(code - 256, 7);
        } else {
            b.put_rev(0xC0 + (code - 280), 8);
        }
        b.put(extra, extra_bits);
        b.put_rev(0, 5); // distance code 0 = distance 1
        left -= len;
    }
    b.put_rev(0, 7); // end of block
    if b.n > 0 {
        b.out.push(b.acc as u8);
    }
    // Adler-32 of all zeros: a = 1, b = total mod 65521.
    let adler = ((total % 65521) as u32) << 16 | 1;
    b.out.extend_from_slice(&adler.to_be_bytes());
    b.out
}

fn length_code(len: usize) -> (u32, u32, u32) {
    const BASE: [(u32, u32); 29] = [
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 0),
        (7, 0),
        (8, 0),
        (9, 0),
        (10, 0),
        (11, 1),
        (13, 1),
        (15, 1),
        (17, 1),
        (19, 2),
        (23, 2),
        (27, 2),
        (31, 2),
        (35, 3),
        (43, 3),
        (51, 3),
        (59, 3),
        (67, 4),
        (83, 4),
        (99, 4),
        (115, 4),
        (131, 5),
        (163, 5),
        (195, 5),
        (227, 5),
        (258, 0),
    ];
    let len = len as u32;
    let i = BASE.iter().rposition(|(base, _)| *base <= len).unwrap();
    let (base, bits) = BASE[i];
    (257 + i as u32, bits, len - base)
}

pub fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xFFFF_FFFFu32;
    for b in &out[start..] {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}

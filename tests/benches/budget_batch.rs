//! Does the worker stay within its Lambda's memory on the worst inputs it accepts? The release
//! `logofill-worker` runs one batch of 10 worst-case records inside a cgroup v1 memory controller
//! whose `memory.limit_in_bytes` is the Lambda's memory (128 MiB, then 256 MiB; swap limited to
//! the same where `memory.memsw.limit_in_bytes` is writable), with
//! `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` to match, behind the local Lambda Runtime API, S3 and SQS on
//! moto_server, the sources on a loopback fixture site. The cgroup holds the worker and its
//! render helpers, as a Lambda sandbox does; moto, the site and this bench stay outside it.
//!
//! The batch, every record a fresh company whose `logo_url` is one of:
//! - 10 MiB bodies: RGBA noise PNGs of 1600x1600 stored without compression (9.8 MiB), and
//!   4000x4000 PNGs padded to 10 MiB with a private ancillary chunk (the body limit and the
//!   pixel limit at once);
//! - 16 MP renders: a 4000x4000 RGBA PNG and 4000x4000 4:4:4 JPEGs of noise (9.5 MiB);
//! - hostile ones from `crates/logofill-image/bench/hostile`: descendant selectors that backtrack,
//!   a 16 MP PNG data: URI drawn 2,000 times, a progressive JPEG header with 100,000 scans.
//!
//! Reported per memory size: whether the batch completed (an answer from the handler, every
//! record with an outcome, the worker alive, `memory.oom_control` oom_kill and `memory.failcnt`),
//! the outcome and reason of each record, wall time, and memory. `memory.max_usage_in_bytes`
//! counts page cache too (the directory file, the binary's pages if they were first read from
//! inside the group), so `memory.stat` is also sampled every 20 ms: the peak of total_rss +
//! total_mapped_file, and the usage, rss and cache at the sample where usage was highest, with the
//! resident size (VmRSS) of each process of the group at that moment and at its own peak.
//!
//! Needs root and a writable cgroup v1 memory controller at /sys/fs/cgroup/memory; without one
//! it says so and exits. CPU is not limited: a 128 MB Lambda has about a fourteenth of a vCPU,
//! so its wall times would be far longer than these.
//!
//! `cargo build --release --bin logofill-worker && cargo bench -p logofill-tests --bench budget_batch`

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logofill_testkit::aws::{
    create_bucket, create_queue_with_dlq, receive_as_lambda_event, s3_client, settle_batch,
    sqs_client,
};
use logofill_testkit::free_port;
use logofill_testkit::lambda_runtime::FakeLambdaRuntime;
use logofill_testkit::moto::MotoServer;
use logofill_testkit::sites::{FixtureSite, Page};
use logofill_testkit::{binaries, process};
use serde_json::Value;

const MIB: u64 = 1024 * 1024;
const CGROUP_ROOT: &str = "/sys/fs/cgroup/memory";
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// How long the handler may take before the run is reported as hung.
const BATCH_TIMEOUT: Duration = Duration::from_secs(300);
/// The input limit of the fetcher and the pipeline (design.md, "Safety limits").
const BODY_LIMIT: usize = 10 * 1024 * 1024;

// ---- inputs -----------------------------------------------------------------------------------

/// xorshift64: deterministic noise, no dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    let mut crc = !0u32;
    for part in parts {
        for &b in *part {
            crc = table[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for block in data.chunks(5552) {
        for &x in block {
            a += x as u32;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// zlib of `data` in stored blocks: noise stays its own size, as a careless encoder writes it.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(blocks.peek().is_none() as u8);
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// Deflate's length codes 257..=285: base length and extra bits.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// zlib of `data` in one fixed-Huffman block: each run of a byte is a literal and matches at
/// distance 1, anything else literals. Enough for flat images and bombs of zeros.
fn zlib_runs(data: &[u8]) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            self.acc |= (value as u64) << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            self.put(code.reverse_bits() >> (32 - len), len);
        }
        fn literal(&mut self, b: u8) {
            match b {
                0..=143 => self.code(0x30 + b as u32, 8),
                _ => self.code(0x190 + (b as u32 - 144), 9),
            }
        }
    }
    let mut w = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    w.put(0b011, 3); // final block, fixed Huffman
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let run = data[i..].iter().take_while(|&&x| x == b).count();
        w.literal(b);
        let mut left = run - 1;
        while left >= 3 {
            // Never leave a tail of 1 or 2, which no length code can send.
            let len = if left > 258 && left - 258 < 3 {
                left - 3
            } else {
                left.min(258)
            };
            let i = LENGTH_BASE
                .iter()
                .rposition(|&b| b as usize <= len)
                .unwrap();
            let symbol = 257 + i as u32;
            if symbol < 280 {
                w.code(symbol - 256, 7);
            } else {
                w.code(0xC0 + (symbol - 280), 8);
            }
            w.put((len - LENGTH_BASE[i] as usize) as u32, LENGTH_EXTRA[i]);
            w.code(0, 5); // distance code 0: distance 1
            left -= len;
        }
        for _ in 0..left {
            w.literal(b);
        }
        i += run;
    }
    w.code(0, 7); // end of block (symbol 256)
    if w.n > 0 {
        w.out.push(w.acc as u8);
    }
    let mut out = w.out;
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// An 8-bit RGBA PNG from raw scanlines (each starting with its filter byte).
fn png(width: u32, height: u32, idat: Vec<u8>, extra: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &ihdr);
    for (kind, data) in extra {
        png_chunk(&mut out, kind, data);
    }
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// RGBA noise, stored: width x height x 4 bytes of body.
fn noise_png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut n = Noise(seed | 1);
    let stride = width as usize * 4 + 1;
    let mut raw = vec![0u8; stride * height as usize];
    for row in raw.chunks_mut(stride) {
        // Filter byte 0 (None), then opaque pixels of noise.
        for pixel in row[1..].chunks_mut(4) {
            pixel.copy_from_slice(&(n.next() as u32 | 0xff00_0000).to_le_bytes());
        }
    }
    png(width, height, zlib_stored(&raw), &[])
}

/// A flat-coloured RGBA PNG (Sub filter, so each row is one pixel and a run of zeros), padded
/// to about `pad_to` bytes with a private ancillary chunk that decoders skip.
fn poster_png(width: u32, height: u32, rgba: [u8; 4], pad_to: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity((width as usize * 4 + 1) * height as usize);
    for _ in 0..height {
        raw.push(1);
        raw.extend_from_slice(&rgba);
        raw.resize(raw.len() + (width as usize - 1) * 4, 0);
    }
    let idat = zlib_runs(&raw);
    let plain = png(width, height, idat.clone(), &[]);
    if pad_to <= plain.len() + 12 {
        return plain;
    }
    let pad = vec![0u8; pad_to - plain.len() - 12];
    png(width, height, idat, &[(*b"lgPd", pad)])
}

/// A baseline 4:4:4 YCbCr JPEG whose blocks carry `coefficients` random AC coefficients each
/// (no DCT: the coefficients are written directly), with fixed-length Huffman codes (4-bit DC,
/// 8-bit AC). Decodes to noise; its size is set by `coefficients`.
fn noise_jpeg(width: u32, height: u32, coefficients: usize, seed: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            for i in (0..count).rev() {
                self.acc = (self.acc << 1) | ((value >> i) & 1);
                self.n += 1;
                if self.n == 8 {
                    self.out.push(self.acc as u8);
                    if self.acc == 0xff {
                        self.out.push(0);
                    }
                    self.acc = 0;
                    self.n = 0;
                }
            }
        }
    }
    let segment = |out: &mut Vec<u8>, marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xff, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
    };
    let mut out = vec![0xff, 0xd8];
    segment(&mut out, 0xe0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[8u8; 64]);
    segment(&mut out, 0xdb, &dqt);
    let mut sof = vec![8];
    sof.extend_from_slice(&(height as u16).to_be_bytes());
    sof.extend_from_slice(&(width as u16).to_be_bytes());
    sof.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
    segment(&mut out, 0xc0, &sof);
    // DC: 12 symbols with 4-bit codes 0..=11. AC: the 162 baseline symbols, 8-bit codes.
    let ac_symbols: Vec<u8> = [0x00u8, 0xf0]
        .into_iter()
        .chain((0..16u8).flat_map(|run| (1..=10u8).map(move |size| run << 4 | size)))
        .collect();
    let mut ac_code = [0u32; 256];
    for (code, &sym) in ac_symbols.iter().enumerate() {
        ac_code[sym as usize] = code as u32;
    }
    let mut dht = vec![0x00, 0, 0, 0, 12];
    dht.extend_from_slice(&[0; 12]);
    dht.extend(0..12u8);
    dht.push(0x10);
    dht.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, ac_symbols.len() as u8]);
    dht.extend_from_slice(&[0; 8]);
    dht.extend_from_slice(&ac_symbols);
    segment(&mut out, 0xc4, &dht);
    segment(&mut out, 0xda, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    let mut n = Noise(seed | 1);
    let blocks = width.div_ceil(8) as usize * height.div_ceil(8) as usize * 3;
    for _ in 0..blocks {
        bits.put(0, 4); // DC difference 0
        for _ in 0..coefficients.min(63) {
            let r = n.next();
            let size = 1 + (r & 3) as u32;
            bits.put(ac_code[size as usize], 8);
            bits.put((r >> 8) as u32 & ((1 << size) - 1), size);
        }
        if coefficients < 63 {
            bits.put(ac_code[0x00], 8);
        }
    }
    while bits.n != 0 {
        bits.put(1, 1);
    }
    out.extend_from_slice(&bits.out);
    out.extend_from_slice(&[0xff, 0xd9]);
    out
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let v = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

const SVG_OPEN: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="256" height="256" viewBox="0 0 256 256">"#;

/// make_hostile.py's css-descendant: 200 selectors of 60 descendant steps whose first step never
/// matches, over 100 nested groups each holding a rect.
fn css_descendant_svg() -> Vec<u8> {
    let selector = format!("nomatch {} rect", vec!["g"; 60].join(" "));
    let style: String = (0..200)
        .map(|i| format!("{selector}{{fill:#{i:03x}}}"))
        .collect();
    let tree = format!(
        "{}{}",
        r#"<g><rect width="2" height="2"/>"#.repeat(100),
        "</g>".repeat(100)
    );
    format!("{SVG_OPEN}<style>{style}</style>{tree}</svg>").into_bytes()
}

/// make_hostile.py's embedded-16mp: a flat 4000x4000 PNG as a data: URI, drawn 2,000 times
/// (`xlink:href` only: this fixed-Huffman PNG is about 450 KiB, where zlib's is 90 KiB).
fn embedded_16mp_svg() -> Vec<u8> {
    let uri = format!(
        "data:image/png;base64,{}",
        base64(&poster_png(4000, 4000, [16, 128, 192, 255], 0))
    );
    format!(
        r##"{SVG_OPEN}<defs><image id="i" width="256" height="256" xlink:href="{uri}"/></defs>{}</svg>"##,
        r##"<use xlink:href="#i"/>"##.repeat(2000)
    )
    .into_bytes()
}

/// make_hostile.py's jpeg-scans: a 4000x4000 progressive header and 100,000 empty DC scans.
fn jpeg_scans() -> Vec<u8> {
    let mut out = vec![0xff, 0xd8];
    let mut segment = |marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xff, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
    };
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[1u8; 64]);
    segment(0xdb, &dqt);
    segment(0xc2, &[8, 0x0f, 0xa0, 0x0f, 0xa0, 1, 1, 0x11, 0]);
    let mut dht = vec![0u8, 1];
    dht.extend_from_slice(&[0; 15]);
    dht.push(0);
    segment(0xc4, &dht);
    for _ in 0..100_000 {
        segment(0xda, &[1, 1, 0, 0, 0, 0]);
    }
    out.extend_from_slice(&[0xff, 0xd9]);
    out
}

struct Input {
    label: &'static str,
    path: &'static str,
    content_type: &'static str,
    bytes: Vec<u8>,
}

fn inputs() -> Vec<Input> {
    let pad = BODY_LIMIT - 64 * 1024;
    let input = |label, path, content_type, bytes: Vec<u8>| Input {
        label,
        path,
        content_type,
        bytes,
    };
    let inputs = vec![
        input(
            "PNG 1600x1600 noise, stored",
            "/noise-1.png",
            "image/png",
            noise_png(1600, 1600, 1),
        ),
        input(
            "PNG 1600x1600 noise, stored",
            "/noise-2.png",
            "image/png",
            noise_png(1600, 1600, 2),
        ),
        input(
            "PNG 4000x4000 padded to 10 MiB",
            "/padded-1.png",
            "image/png",
            poster_png(4000, 4000, [20, 70, 160, 255], pad),
        ),
        input(
            "PNG 4000x4000 padded to 10 MiB",
            "/padded-2.png",
            "image/png",
            poster_png(4000, 4000, [240, 240, 235, 255], pad),
        ),
        input(
            "PNG 4000x4000 flat",
            "/poster.png",
            "image/png",
            poster_png(4000, 4000, [200, 40, 60, 255], 0),
        ),
        input(
            "JPEG 4000x4000 4:4:4 noise",
            "/noise-1.jpg",
            "image/jpeg",
            noise_jpeg(4000, 4000, 9, 1),
        ),
        input(
            "JPEG 4000x4000 4:4:4 noise",
            "/noise-2.jpg",
            "image/jpeg",
            noise_jpeg(4000, 4000, 9, 2),
        ),
        input(
            "SVG backtracking selectors",
            "/css-descendant.svg",
            "image/svg+xml",
            css_descendant_svg(),
        ),
        input(
            "SVG 16 MP data: URI x 2000",
            "/embedded-16mp.svg",
            "image/svg+xml",
            embedded_16mp_svg(),
        ),
        input(
            "JPEG SOF2 + 100,000 scans",
            "/jpeg-scans.jpg",
            "image/jpeg",
            jpeg_scans(),
        ),
    ];
    for i in &inputs {
        assert!(
            i.bytes.len() <= BODY_LIMIT,
            "{} is {} bytes, over the 10 MiB body limit",
            i.path,
            i.bytes.len()
        );
    }
    inputs
}

// ---- the cgroup -------------------------------------------------------------------------------

/// The files of a cgroup v1 memory controller.
#[derive(Clone)]
struct GroupFiles(PathBuf);

impl GroupFiles {
    fn write(&self, file: &str, value: u64) -> std::io::Result<()> {
        std::fs::write(self.0.join(file), value.to_string())
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.0.join(file)).unwrap_or_default()
    }

    fn number(&self, file: &str) -> u64 {
        self.read(file).trim().parse().unwrap_or(0)
    }

    /// A flat keyed file (memory.stat, memory.oom_control) as a map.
    fn keyed(&self, file: &str) -> HashMap<String, u64> {
        self.read(file)
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(' ')?;
                Some((k.to_string(), v.trim().parse().ok()?))
            })
            .collect()
    }

    fn pids(&self) -> Vec<u32> {
        self.read("cgroup.procs")
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

/// A memory cgroup of this bench, removed when dropped (its processes, all started by this
/// bench, are killed first).
struct Cgroup {
    files: GroupFiles,
    memsw: bool,
}

impl Cgroup {
    fn create(name: &str, limit: u64) -> std::io::Result<Cgroup> {
        let path = Path::new(CGROUP_ROOT).join(name);
        std::fs::create_dir(&path)?;
        let mut group = Cgroup {
            files: GroupFiles(path),
            memsw: false,
        };
        group.files.write("memory.limit_in_bytes", limit)?;
        group.memsw = group
            .files
            .write("memory.memsw.limit_in_bytes", limit)
            .is_ok();
        Ok(group)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        for _ in 0..50 {
            for pid in self.files.pids() {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
            if std::fs::remove_dir(&self.files.0).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("budget_batch: could not remove {}", self.files.0.display());
    }
}

/// Removes groups left by an earlier run of this bench that was killed (their pid is gone).
fn remove_stale_groups() {
    let Ok(entries) = std::fs::read_dir(CGROUP_ROOT) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("logofill-budget-bench-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

// ---- sampling ---------------------------------------------------------------------------------

#[derive(Default, Clone)]
struct Sampled {
    samples: u64,
    /// Highest memory.usage_in_bytes seen, and memory.stat and each process at that sample.
    usage: u64,
    usage_rss: u64,
    usage_cache: u64,
    usage_processes: Vec<(u32, String, u64)>,
    /// Highest total_rss + total_mapped_file seen.
    rss: u64,
    /// Each process's own highest VmRSS: pid -> (role, bytes).
    per_process: BTreeMap<u32, (String, u64)>,
}

fn role(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = cmdline
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    if args.iter().any(|a| a == logofill_render::HELPER_ARG) {
        "render helper".into()
    } else if args.first().is_some_and(|a| a.ends_with("logofill-worker")) {
        "worker".into()
    } else {
        args.first().cloned().unwrap_or_else(|| "?".into())
    }
}

fn sample(group: &GroupFiles, into: &mut Sampled) {
    let usage = group.number("memory.usage_in_bytes");
    let stat = group.keyed("memory.stat");
    let get = |k: &str| stat.get(k).copied().unwrap_or(0);
    let mut processes = Vec::new();
    for pid in group.pids() {
        if let Some(rss) = process::resident(pid) {
            let role = role(pid);
            let peak = into.per_process.entry(pid).or_insert((role.clone(), 0));
            peak.1 = peak.1.max(rss);
            processes.push((pid, role, rss));
        }
    }
    into.samples += 1;
    into.rss = into.rss.max(get("total_rss") + get("total_mapped_file"));
    if usage >= into.usage {
        into.usage = usage;
        into.usage_rss = get("total_rss");
        into.usage_cache = get("total_cache");
        into.usage_processes = processes;
    }
}

// ---- one run ----------------------------------------------------------------------------------

struct Record {
    company: String,
    input: &'static str,
    outcome: String,
    detail: String,
}

struct Run {
    lambda_mb: u64,
    memsw: bool,
    plan: String,
    answered: bool,
    failed: usize,
    wall: Duration,
    exit: Option<ExitStatus>,
    records: Vec<Record>,
    max_usage: u64,
    failcnt: u64,
    oom_kills: u64,
    sampled: Sampled,
    stderr_tail: String,
}

/// The value of `key` anywhere in a JSON log line (tracing puts fields and span fields apart).
fn find_field(v: &Value, key: &str) -> Option<String> {
    match v {
        Value::Object(map) => map
            .get(key)
            .and_then(|x| x.as_str().map(str::to_string))
            .or_else(|| map.values().find_map(|x| find_field(x, key))),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    lambda_mb: u64,
    binary: &Path,
    moto: &MotoServer,
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    directory: &Path,
    companies: &[(String, &'static str)],
) -> Run {
    let group = Cgroup::create(
        &format!("logofill-budget-bench-{}-{lambda_mb}", std::process::id()),
        lambda_mb * MIB,
    )
    .unwrap_or_else(|e| {
        eprintln!("budget_batch: cannot create a memory cgroup under {CGROUP_ROOT}: {e} (needs root and cgroup v1)");
        std::process::exit(2);
    });
    let runtime = FakeLambdaRuntime::start().await;
    // The shell puts itself in the group, then becomes the worker: nothing of the worker is
    // charged anywhere else.
    let mut child: Child = Command::new("/bin/sh")
        .arg("-c")
        .arg(r#"echo $$ > "$0" && exec "$@""#)
        .arg(group.files.0.join("cgroup.procs"))
        .arg(binary)
        .env_clear()
        .envs(runtime.worker_env(&moto.endpoint, directory))
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", lambda_mb.to_string())
        .env("LOGOFILL_LOG_LEVEL", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logofill-worker");

    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let stdout = child.stdout.take().unwrap();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            sink.lock().unwrap().push(line);
        }
    });
    let stderr_lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let stderr = child.stderr.take().unwrap();
    let sink = stderr_lines.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            sink.lock().unwrap().push(line);
        }
    });

    let stop = Arc::new(AtomicBool::new(false));
    let sampled = Arc::new(Mutex::new(Sampled::default()));
    let sampler = {
        let (stop, sampled, files) = (stop.clone(), sampled.clone(), group.files.clone());
        std::thread::spawn(move || {
            let mut local = Sampled::default();
            while !stop.load(Ordering::Relaxed) {
                sample(&files, &mut local);
                *sampled.lock().unwrap() = local.clone();
                std::thread::sleep(SAMPLE_EVERY);
            }
        })
    };

    // Start-up: the memory plan line, or an exit (a plan that cannot fit stops start-up).
    let plan_line = |lines: &[String]| lines.iter().find(|l| l.contains("memory plan")).cloned();
    let started = Instant::now();
    let mut exit = None;
    let plan = loop {
        if let Some(line) = plan_line(&lines.lock().unwrap()) {
            break line;
        }
        if let Ok(Some(status)) = child.try_wait() {
            exit = Some(status);
            break String::new();
        }
        if started.elapsed() > Duration::from_secs(20) {
            break String::new();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Let warm_up finish starting the helpers before the batch.
    tokio::time::sleep(Duration::from_millis(300)).await;

    for (company, _) in companies {
        let body = serde_json::json!({
            "v": 1, "company_id": company, "reported_at": "2026-12-01T10:00:00Z", "origin": "report"
        });
        sqs.send_message()
            .queue_url(queue)
            .message_body(body.to_string())
            .send()
            .await
            .expect("send_message");
    }
    let mut records = Vec::new();
    while records.len() < companies.len() {
        let event = receive_as_lambda_event(sqs, queue).await;
        records.extend(event["Records"].as_array().unwrap().iter().cloned());
    }
    let event = serde_json::json!({ "Records": records });

    let started = Instant::now();
    let mut answered = None;
    if exit.is_none() {
        let id = runtime.invoke(event.to_string());
        loop {
            if runtime.answered_count() > 0 {
                answered = Some(runtime.answer(&id, Duration::from_secs(5)).await);
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                exit = Some(status);
                break;
            }
            if started.elapsed() > BATCH_TIMEOUT {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let wall = started.elapsed();
    // A last look, then the worker is stopped (the batch is over either way).
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let max_usage = group.files.number("memory.max_usage_in_bytes");
    let failcnt = group.files.number("memory.failcnt");
    let oom_kills = group
        .files
        .keyed("memory.oom_control")
        .get("oom_kill")
        .copied()
        .unwrap_or(0);
    if exit.is_none() {
        exit = child.try_wait().ok().flatten();
    }
    let still_running = exit.is_none();
    let _ = child.kill();
    let _ = child.wait();
    settle_batch(sqs, queue, &event, &[]).await;

    let answer: Option<Value> = answered
        .and_then(|a| a.ok())
        .and_then(|a| serde_json::from_str(&a).ok());
    let failed = answer
        .as_ref()
        .and_then(|a| a["batchItemFailures"].as_array().map(Vec::len))
        .unwrap_or(0);
    let logs: Vec<Value> = lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let records = companies
        .iter()
        .map(|(company, input)| {
            let line = logs.iter().find(|v| {
                find_field(v, "company_id").as_deref() == Some(company)
                    && matches!(
                        find_field(v, "message").as_deref(),
                        Some("record done" | "record failed")
                    )
            });
            Record {
                company: company.clone(),
                input,
                outcome: line
                    .and_then(|v| find_field(v, "outcome"))
                    .unwrap_or_else(|| "(none)".into()),
                detail: line
                    .and_then(|v| find_field(v, "detail"))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let stderr_tail = {
        let e = stderr_lines.lock().unwrap();
        e[e.len().saturating_sub(5)..].join("\n")
    };
    let memsw = group.memsw;
    let sampled = sampled.lock().unwrap().clone();
    drop(group);
    Run {
        lambda_mb,
        memsw,
        plan: plan_fields(&plan),
        answered: answer.is_some(),
        failed,
        wall,
        exit: if still_running { None } else { exit },
        records,
        max_usage,
        failcnt,
        oom_kills,
        sampled,
        stderr_tail,
    }
}

fn plan_fields(line: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        return "(no memory plan logged)".into();
    };
    let f = &v["fields"];
    format!(
        "render_slots={} render_memory_mb={} records_in_flight={} render_timeout_ms={}",
        f["render_slots"], f["render_memory_mb"], f["records_in_flight"], f["render_timeout_ms"]
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n - 3).collect::<String>())
    }
}

fn report(run: &Run, inputs: &[Input]) {
    let complete = run.answered
        && run.exit.is_none()
        && run.oom_kills == 0
        && run.records.iter().all(|r| r.outcome != "(none)");
    println!(
        "== {} MB: memory.limit_in_bytes {} MiB, memsw {}; plan: {}",
        run.lambda_mb,
        run.lambda_mb,
        if run.memsw {
            "limited to the same"
        } else {
            "not writable (no swap limit)"
        },
        run.plan
    );
    println!(
        "  completed: {}  (handler answered: {}, batchItemFailures: {}, worker exit: {}, oom_kill: {}, failcnt: {})",
        if complete { "yes" } else { "NO" },
        run.answered,
        run.failed,
        run.exit.map_or("still running (stopped by the bench)".into(), |s| format!("{s}")),
        run.oom_kills,
        run.failcnt
    );
    println!("  wall (invoke -> answer): {:.2} s", run.wall.as_secs_f64());
    println!(
        "  memory.max_usage_in_bytes: {:.1} MiB; sampled every 20 ms ({} samples): peak usage {:.1} MiB = rss {:.1} + cache {:.1} (+ kernel); peak total_rss+total_mapped_file {:.1} MiB",
        mib(run.max_usage),
        run.sampled.samples,
        mib(run.sampled.usage),
        mib(run.sampled.usage_rss),
        mib(run.sampled.usage_cache),
        mib(run.sampled.rss)
    );
    let at_peak: Vec<String> = run
        .sampled
        .usage_processes
        .iter()
        .map(|(pid, role, rss)| format!("{role} {pid} {:.1} MiB", mib(*rss)))
        .collect();
    println!(
        "  processes at the peak-usage sample (VmRSS): {}",
        at_peak.join(", ")
    );
    let own: Vec<String> = run
        .sampled
        .per_process
        .iter()
        .map(|(pid, (role, rss))| format!("{role} {pid} {:.1} MiB", mib(*rss)))
        .collect();
    println!("  each process's own peak VmRSS: {}", own.join(", "));
    println!("  {:<32} {:>9}  {:<12} detail", "input", "KiB", "outcome");
    for r in &run.records {
        let kib = inputs
            .iter()
            .find(|i| i.label == r.input)
            .map_or(0.0, |i| i.bytes.len() as f64 / 1024.0);
        println!(
            "  {:<32} {:>9.0}  {:<12} {}",
            r.input,
            kib,
            r.outcome,
            short(&r.detail.replace(&r.company, "<id>"), 150)
        );
    }
    if !complete && !run.stderr_tail.is_empty() {
        println!("  worker stderr (last lines):\n{}", run.stderr_tail);
    }
    println!();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let binary = binaries::path("logofill-worker");
    remove_stale_groups();
    let generated = Instant::now();
    let inputs = inputs();
    let generated = generated.elapsed();

    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let (queue, _) = create_queue_with_dlq(&sqs, "logofill-budget-bench", 5, 300).await;
    let site = FixtureSite::start().await;
    for i in &inputs {
        site.page(i.path, Page::ok(i.content_type, i.bytes.clone()));
    }

    let dir = std::env::temp_dir().join(format!("logofill-budget-bench-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let directory = dir.join("companies.jsonl");
    let sizes = [128u64, 256];
    let mut lines = Vec::new();
    let mut batches = Vec::new();
    for mb in sizes {
        let mut companies = Vec::new();
        for (n, i) in inputs.iter().enumerate() {
            let id = format!("budget-{mb}-{n}");
            lines.push(
                serde_json::json!({"id": id, "name": format!("Budget {mb} {n}"), "logo_url": site.url(i.path)})
                    .to_string(),
            );
            companies.push((id, i.label));
        }
        batches.push(companies);
    }
    std::fs::write(&directory, lines.join("\n") + "\n").unwrap();

    let mut runs = Vec::new();
    for (mb, companies) in sizes.iter().zip(&batches) {
        eprintln!("budget_batch: {mb} MB ...");
        runs.push(run(*mb, &binary, &moto, &sqs, &queue, &directory, companies).await);
    }
    std::fs::remove_dir_all(&dir).ok();

    println!("budget_batch: release logofill-worker in a cgroup v1 memory controller sized as the Lambda, via the Lambda Runtime API, S3/SQS on moto_server, sources on a loopback fixture site");
    println!(
        "batch of {}: every record a fresh company; inputs generated in {:.1} s; default LOGOFILL_CONCURRENCY, LOGOFILL_RENDER_MEMORY_MB auto, LOGOFILL_RENDER_TIMEOUT_MS default; CPU not limited",
        inputs.len(),
        generated.as_secs_f64()
    );
    println!();
    for run in &runs {
        report(run, &inputs);
    }
}

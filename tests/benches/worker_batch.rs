//! Whole-process cost of the worker Lambda: the release `logofill-worker` binary runs against
//! the local Lambda Runtime API, moto_server (SQS, S3) and a loopback fixture site serving the
//! logos (`LOGOFILL_ALLOW_LOOPBACK_SOURCES=1`). Every record has a fresh company id, so each
//! one really looks the company up, fetches, renders six variants and uploads them.
//!
//! Two questions, each answered by its own worker process (VmHWM is a peak over a process's
//! life, so a run must not inherit an earlier run's peak):
//! - throughput: records per second (wall) and process CPU per record over batches of 10
//!   typical logos (PNG 512x512, SVG, ICO 256, small JPEG, one homepage to discover);
//! - memory: peak RSS over one batch of 10 large logos (16 MP JPEG photos and 16 MP RGBA PNGs,
//!   every one under the 10 MiB input limit and at the 16 MP pixel limit), at the default
//!   `LOGOFILL_CONCURRENCY` and, for comparison, at 1 and 10.
//!
//! The images are made here by two small encoders (a stored-run PNG writer and a baseline
//! JPEG writer): the tests crate has no image encoder, and the worker must not care who
//! encoded its input.
//!
//! Run with `make bench`, or by hand (the bench runs the binary built in the same profile):
//! `cargo build --release --bin logofill-worker && cargo bench -p logofill-tests --bench worker_batch`

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Stdio};
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

/// Batches of the throughput run, after one warm-up batch.
const ROUNDS: usize = 20;
const BATCH: usize = 10;
/// The worker's default `LOGOFILL_CONCURRENCY`.
const DEFAULT_CONCURRENCY: usize = 4;
const MIB: f64 = 1024.0 * 1024.0;

// ---- images -----------------------------------------------------------------------------------

/// xorshift64: deterministic noise, no dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn byte(&mut self) -> u8 {
        (self.next() >> 32) as u8
    }
}

fn crc32(chunks: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for chunk in chunks {
        for &b in *chunk {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
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

/// LSB-first bit writer for deflate.
#[derive(Default)]
struct DeflateBits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl DeflateBits {
    fn bits(&mut self, value: u32, count: u32) {
        self.acc |= (value as u64) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.bits(reversed, len);
    }
    fn literal(&mut self, byte: u8) {
        if byte < 144 {
            self.code(0x30 + byte as u32, 8);
        } else {
            self.code(0x190 + (byte as u32 - 144), 9);
        }
    }
    fn symbol(&mut self, sym: u32) {
        if sym < 280 {
            self.code(sym - 256, 7);
        } else {
            self.code(0xC0 + (sym - 280), 8);
        }
    }
    /// A match of `len` (3..=258) at distance 1.
    fn repeat(&mut self, len: u32) {
        const BASE: [u32; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        const EXTRA: [u32; 29] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        let i = BASE.iter().rposition(|&b| b <= len).unwrap();
        self.symbol(257 + i as u32);
        self.bits(len - BASE[i], EXTRA[i]);
        self.code(0, 5); // distance code 0: distance 1
    }
}

/// zlib stream, one fixed-Huffman block; runs of a byte become distance-1 matches, everything
/// else stays a literal. Flat areas shrink a lot, noise does not: file size follows content.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut w = DeflateBits::default();
    w.out.extend_from_slice(&[0x78, 0x01]);
    w.bits(1, 1); // final block
    w.bits(1, 2); // fixed Huffman
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let mut run = 1;
        while i + run < data.len() && data[i + run] == b && run < 1 << 20 {
            run += 1;
        }
        w.literal(b);
        let mut left = (run - 1) as u32;
        while left >= 3 {
            let len = if left > 258 && left - 258 < 3 {
                left - 3
            } else {
                left.min(258)
            };
            w.repeat(len);
            left -= len;
        }
        for _ in 0..left {
            w.literal(b);
        }
        i += run;
    }
    w.symbol(256);
    if w.n > 0 {
        w.out.push(w.acc as u8);
    }
    let mut out = w.out;
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// An 8-bit RGBA PNG; every row uses the Sub filter, so gradients become runs too.
fn png_rgba(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let stride = width as usize * 4;
    let mut raw = Vec::with_capacity((stride + 1) * height as usize);
    let mut row = vec![0u8; stride];
    for y in 0..height {
        for x in 0..width {
            row[x as usize * 4..x as usize * 4 + 4].copy_from_slice(&pixel(x, y));
        }
        raw.push(1);
        for i in 0..stride {
            let left = if i >= 4 { row[i - 4] } else { 0 };
            raw.push(row[i].wrapping_sub(left));
        }
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", ihdr),
        (b"IDAT", zlib(&raw)),
        (b"IEND", Vec::new()),
    ] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(&data);
        out.extend_from_slice(&crc32(&[kind, &data]).to_be_bytes());
    }
    out
}

/// MSB-first bit writer with JPEG byte stuffing.
#[derive(Default)]
struct JpegBits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl JpegBits {
    fn bits(&mut self, value: u32, count: u32) {
        for i in (0..count).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                let byte = self.acc as u8;
                self.out.push(byte);
                if byte == 0xFF {
                    self.out.push(0);
                }
                self.acc = 0;
                self.n = 0;
            }
        }
    }
    fn finish(mut self) -> Vec<u8> {
        while self.n != 0 {
            self.bits(1, 1);
        }
        self.out
    }
}

/// Natural index of each zigzag position.
fn zigzag() -> [usize; 64] {
    let mut order = [0; 64];
    let mut k = 0;
    for s in 0..15usize {
        let rows: Vec<usize> = (s.saturating_sub(7)..=s.min(7)).collect();
        let rows: Vec<usize> = if s % 2 == 0 {
            rows.into_iter().rev().collect()
        } else {
            rows
        };
        for r in rows {
            order[k] = r * 8 + (s - r);
            k += 1;
        }
    }
    order
}

/// Magnitude category of a DC difference or AC coefficient, and its bits.
fn category(v: i32) -> (u32, u32) {
    let size = 32 - v.unsigned_abs().leading_zeros();
    let bits = if v < 0 { (v - 1) as u32 } else { v as u32 };
    (size, bits & ((1u32 << size) - 1))
}

/// A baseline JPEG, YCbCr 4:4:4, standard quantisation tables at `quality`. One Huffman table
/// pair with fixed-length codes (4 bits DC, 8 bits AC): valid and simple, about a fifth larger
/// than optimised tables.
fn jpeg(width: u32, height: u32, quality: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    const LUMA: [u32; 64] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69,
        56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81,
        104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];
    let chroma: [u32; 64] = std::array::from_fn(|i| {
        let (r, c) = (i / 8, i % 8);
        match (r, c) {
            (0, 0) => 17,
            (0, 1) | (1, 0) => 18,
            (1, 1) => 21,
            (0, 2) | (2, 0) => 24,
            (1, 2) | (2, 1) => 26,
            (0, 3) | (3, 0) => 47,
            (2, 2) => 56,
            (1, 3) | (3, 1) => 66,
            _ => 99,
        }
    });
    let scale = if quality < 50 {
        5000 / quality
    } else {
        200 - 2 * quality
    };
    let scaled = |t: &[u32; 64]| -> [u32; 64] { t.map(|v| ((v * scale + 50) / 100).clamp(1, 255)) };
    let tables = [scaled(&LUMA), scaled(&chroma)];
    let zz = zigzag();
    let cosines: [[f32; 8]; 8] = std::array::from_fn(|u| {
        std::array::from_fn(|x| {
            let c = if u == 0 { 0.5f32.sqrt() } else { 1.0 };
            c / 2.0 * (((2 * x + 1) as f32 * u as f32 * std::f32::consts::PI) / 16.0).cos()
        })
    });

    let mut out = vec![0xFF, 0xD8];
    let segment = |out: &mut Vec<u8>, marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
    };
    segment(&mut out, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    for (id, table) in tables.iter().enumerate() {
        let mut body = vec![id as u8];
        body.extend(zz.iter().map(|&i| table[i] as u8));
        segment(&mut out, 0xDB, &body);
    }
    let mut sof = vec![8];
    sof.extend_from_slice(&(height as u16).to_be_bytes());
    sof.extend_from_slice(&(width as u16).to_be_bytes());
    sof.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
    segment(&mut out, 0xC0, &sof);
    // DC: 12 symbols, 4-bit codes 0..=11. AC: the 162 baseline symbols, 8-bit codes 0..=161.
    let ac_symbols: Vec<u8> = std::iter::once(0x00)
        .chain(std::iter::once(0xF0))
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
    segment(&mut out, 0xC4, &dht);
    segment(&mut out, 0xDA, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);

    let mut bits = JpegBits::default();
    let mut previous_dc = [0i32; 3];
    let mut block = [[0f32; 64]; 3];
    for by in 0..height.div_ceil(8) {
        for bx in 0..width.div_ceil(8) {
            for i in 0..64u32 {
                let x = (bx * 8 + i % 8).min(width - 1);
                let y = (by * 8 + i / 8).min(height - 1);
                let [r, g, b] = pixel(x, y).map(|v| v as f32);
                block[0][i as usize] = 0.299 * r + 0.587 * g + 0.114 * b - 128.0;
                block[1][i as usize] = -0.168_74 * r - 0.331_26 * g + 0.5 * b;
                block[2][i as usize] = 0.5 * r - 0.418_69 * g - 0.081_31 * b;
            }
            for (c, samples) in block.iter().enumerate() {
                // F = C f C^T, rows then columns.
                let mut tmp = [0f32; 64];
                for y in 0..8 {
                    for u in 0..8 {
                        tmp[y * 8 + u] = (0..8).map(|x| cosines[u][x] * samples[y * 8 + x]).sum();
                    }
                }
                let table = &tables[(c > 0) as usize];
                let mut quantised = [0i32; 64];
                for v in 0..8 {
                    for u in 0..8 {
                        let f: f32 = (0..8).map(|y| cosines[v][y] * tmp[y * 8 + u]).sum();
                        quantised[v * 8 + u] = (f / table[v * 8 + u] as f32).round() as i32;
                    }
                }
                let dc = quantised[0];
                let (size, value) = category(dc - previous_dc[c]);
                previous_dc[c] = dc;
                bits.bits(size, 4);
                bits.bits(value, size);
                let mut run = 0;
                for &natural in &zz[1..] {
                    let v = quantised[natural];
                    if v == 0 {
                        run += 1;
                        continue;
                    }
                    while run > 15 {
                        bits.bits(ac_code[0xF0], 8);
                        run -= 16;
                    }
                    let (size, value) = category(v.clamp(-1023, 1023));
                    bits.bits(ac_code[(run << 4 | size) as usize], 8);
                    bits.bits(value, size);
                    run = 0;
                }
                if run > 0 {
                    bits.bits(ac_code[0x00], 8);
                }
            }
        }
    }
    out.extend_from_slice(&bits.finish());
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A "photo": smooth light and colour over the frame, fine texture, and sensor noise.
fn photo(width: u32, height: u32, seed: u64, noise: u8) -> Vec<u8> {
    let (w, h) = (width as f32, height as f32);
    let grain: Vec<u8> = {
        let mut n = Noise(seed | 1);
        (0..4096 * 3).map(|_| n.byte() % noise.max(1)).collect()
    };
    jpeg(width, height, 90, |x, y| {
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        let light = 0.6 + 0.4 * (fx * 3.1 + fy * 1.7 + seed as f32).sin();
        let texture = ((x as f32 * 0.31).sin() * (y as f32 * 0.23).cos() * 18.0) as i32;
        let g = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) as usize % 4096 * 3;
        let px = |base: f32, i: usize| {
            (base * light + texture as f32 + grain[g + i] as f32).clamp(0.0, 255.0) as u8
        };
        [
            px(60.0 + 150.0 * fx, 0),
            px(90.0 + 100.0 * fy, 1),
            px(200.0 - 120.0 * fx * fy, 2),
        ]
    })
}

/// A 16 MP photo of 6 to 9 MiB: as much grain as fits under the 10 MiB input limit.
fn large_photo(seed: u64) -> Vec<u8> {
    let mut noise = 20;
    loop {
        let bytes = photo(4000, 4000, seed, noise);
        if bytes.len() < 9 * 1024 * 1024 || noise <= 2 {
            return bytes;
        }
        noise = noise * 2 / 3;
    }
}

/// A 16 MP RGBA PNG that is mostly flat (a poster, a scan with margins) with a noisy band of
/// `noisy_rows` rows: the band sets the file size, the dimensions set the decode cost.
fn big_png(width: u32, height: u32, noisy_rows: u32, seed: u64) -> Vec<u8> {
    let noise: Vec<[u8; 4]> = {
        let mut n = Noise(seed | 1);
        (0..1 << 16)
            .map(|_| [n.byte(), n.byte(), n.byte(), 255])
            .collect()
    };
    let band = height / 2 - noisy_rows / 2..height / 2 + noisy_rows / 2;
    png_rgba(width, height, |x, y| {
        if band.contains(&y) {
            noise[((x as usize).wrapping_mul(7919) ^ (y as usize).wrapping_mul(104_729)) & 0xffff]
        } else if (x / 500 + y / 500) % 2 == 0 {
            [240, 240, 235, 255]
        } else {
            [20, 70, 160, 255]
        }
    })
}

/// A typical logo: a mark and a bar on transparency.
fn logo_png(size: u32) -> Vec<u8> {
    let c = size as i64 / 2;
    png_rgba(size, size, |x, y| {
        let (dx, dy) = (x as i64 - c, y as i64 - c);
        if dx * dx + dy * dy < (c * 2 / 3).pow(2) {
            [200, 40, 60, 255]
        } else if (y as i64 - c * 3 / 2).abs() < c / 10 {
            [30, 30, 30, 255]
        } else {
            [0, 0, 0, 0]
        }
    })
}

/// An ICO with one 256x256 entry stored as PNG (what most favicon.ico generators write).
fn ico(png: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 1, 0, 1, 0];
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 32, 0]);
    out.extend_from_slice(&(png.len() as u32).to_le_bytes());
    out.extend_from_slice(&22u32.to_le_bytes());
    out.extend_from_slice(png);
    out
}

const SVG_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 120"><defs><linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#0a7"/><stop offset="1" stop-color="#07a"/></linearGradient></defs><rect x="4" y="4" width="112" height="112" rx="24" fill="url(#g)"/><path d="M30 90 L60 30 L90 90 Z" fill="#fff"/><text x="130" y="78" font-size="48" font-family="sans-serif" fill="#222">Acme</text></svg>"##;

const HOMEPAGE: &str = r#"<!doctype html><html><head><title>Globex</title><link rel="icon" href="/favicon.ico" sizes="16x16"><link rel="icon" type="image/svg+xml" href="/logo.svg"></head><body>Globex</body></html>"#;

// ---- the worker process -----------------------------------------------------------------------

struct Worker {
    child: Child,
    pid: u32,
    runtime: FakeLambdaRuntime,
    emf: Arc<Mutex<Vec<Value>>>,
}

impl Worker {
    async fn start(binary: &Path, moto: &MotoServer, directory: &Path, concurrency: usize) -> Self {
        let runtime = FakeLambdaRuntime::start().await;
        let mut child = runtime
            .worker_command(binary, &moto.endpoint, directory)
            .env("LOGOFILL_CONCURRENCY", concurrency.to_string())
            .env("LOGOFILL_LOG_LEVEL", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start logofill-worker");
        let emf = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let lines = emf.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v.get("_aws").is_some() {
                        lines.lock().unwrap().push(v);
                    }
                }
            }
        });
        Worker {
            pid: child.id(),
            child,
            runtime,
            emf,
        }
    }

    /// (peak RSS bytes, CPU time so far)
    fn usage(&self) -> (u64, Duration) {
        process::usage(self.pid).expect("/proc usage of the worker")
    }

    /// Sum of one EMF metric over every batch so far.
    fn metric(&self, name: &str) -> f64 {
        self.emf
            .lock()
            .unwrap()
            .iter()
            .filter_map(|v| v[name].as_f64())
            .sum()
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Queue {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Queue {
    /// Send one message per company, receive them as one Lambda event, hand it to the worker,
    /// settle the batch as the Lambda service would. Returns the handler's wall time.
    async fn batch(&self, worker: &Worker, companies: &[String]) -> Duration {
        for company in companies {
            let body = serde_json::json!({
                "v": 1, "company_id": company, "reported_at": "2026-11-25T10:00:00Z", "origin": "report"
            });
            self.sqs
                .send_message()
                .queue_url(&self.url)
                .message_body(body.to_string())
                .send()
                .await
                .expect("send_message");
        }
        let mut records = Vec::new();
        while records.len() < companies.len() {
            let event = receive_as_lambda_event(&self.sqs, &self.url).await;
            records.extend(event["Records"].as_array().unwrap().iter().cloned());
        }
        let event = serde_json::json!({ "Records": records });
        let started = Instant::now();
        let id = worker.runtime.invoke(event.to_string());
        let answer = worker
            .runtime
            .answer(&id, Duration::from_secs(300))
            .await
            .expect("the handler answered");
        let took = started.elapsed();
        let answer: Value = serde_json::from_str(&answer).expect("a batch response");
        let failed: Vec<String> = answer["batchItemFailures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        // Failed ones are deleted too: a benchmark does not retry.
        settle_batch(&self.sqs, &self.url, &event, &[]).await;
        if !failed.is_empty() {
            eprintln!("worker_batch: {} records reported failed", failed.len());
        }
        took
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB
}

fn outcomes(worker: &Worker) -> String {
    ["stored", "placeholder", "retry", "already_present"]
        .iter()
        .map(|name| (name, worker.metric(name)))
        .filter(|(_, n)| *n > 0.0)
        .map(|(name, n)| format!("{n:.0} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct LargeRun {
    label: &'static str,
    concurrency: usize,
    wall: Duration,
    cpu: Duration,
    rss_before: u64,
    rss_peak: u64,
    outcomes: String,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let binary = binaries::path("logofill-worker");
    let generated = Instant::now();
    let typical_png = logo_png(512);
    let typical_ico = ico(&logo_png(256));
    let typical_jpeg = photo(400, 200, 7, 8);
    let photos = [large_photo(1), large_photo(2)];
    let posters = [big_png(4000, 4000, 380, 3), big_png(4000, 4000, 380, 4)];
    for (name, bytes) in photos.iter().chain(&posters).enumerate() {
        assert!(
            bytes.len() < 10 * 1024 * 1024,
            "large input {name} is {} bytes, over the 10 MiB limit",
            bytes.len()
        );
    }
    let generated = generated.elapsed();

    let moto = MotoServer::start();
    let sqs = sqs_client(&moto.endpoint).await;
    let s3 = s3_client(&moto.endpoint).await;
    create_bucket(&s3, "logos").await;
    let (queue_url, _) = create_queue_with_dlq(&sqs, "logofill-bench", 5, 300).await;
    let queue = Queue {
        sqs,
        url: queue_url,
    };

    let site = FixtureSite::start().await;
    site.page("/logo.png", Page::ok("image/png", typical_png.clone()))
        .page("/logo.svg", Page::ok("image/svg+xml", SVG_LOGO))
        .page(
            "/favicon.ico",
            Page::ok("image/x-icon", typical_ico.clone()),
        )
        .page("/logo.jpg", Page::ok("image/jpeg", typical_jpeg.clone()))
        .page("/", Page::ok("text/html", HOMEPAGE));
    for (i, bytes) in photos.iter().enumerate() {
        site.page(
            &format!("/photo-{i}.jpg"),
            Page::ok("image/jpeg", bytes.clone()),
        );
    }
    for (i, bytes) in posters.iter().enumerate() {
        site.page(
            &format!("/poster-{i}.png"),
            Page::ok("image/png", bytes.clone()),
        );
    }

    // The typical mix of one batch of 10: (source kind, directory fields).
    let typical: [(&str, &str, String); BATCH] = [
        ("png", "logo_url", site.url("/logo.png")),
        ("png", "logo_url", site.url("/logo.png")),
        ("png", "logo_url", site.url("/logo.png")),
        ("svg", "logo_url", site.url("/logo.svg")),
        ("svg", "logo_url", site.url("/logo.svg")),
        ("svg", "logo_url", site.url("/logo.svg")),
        ("ico", "logo_url", site.url("/favicon.ico")),
        ("ico", "logo_url", site.url("/favicon.ico")),
        ("jpeg", "logo_url", site.url("/logo.jpg")),
        ("homepage", "homepage", site.url("/")),
    ];
    // The large batch: 6 photos, 4 posters.
    let large: Vec<String> = (0..BATCH)
        .map(|i| {
            if i < 6 {
                site.url(&format!("/photo-{}.jpg", i % 2))
            } else {
                site.url(&format!("/poster-{}.png", i % 2))
            }
        })
        .collect();
    let large_pngs: Vec<String> = (0..BATCH)
        .map(|i| site.url(&format!("/poster-{}.png", i % 2)))
        .collect();

    // Every record gets its own company id, so nothing is "already present".
    let dir = std::env::temp_dir().join(format!("logofill-bench-{}", free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let directory = dir.join("companies.jsonl");
    let mut lines = Vec::new();
    let mut batches: Vec<Vec<String>> = Vec::new();
    for round in 0..=ROUNDS {
        let mut ids = Vec::new();
        for (i, (kind, field, url)) in typical.iter().enumerate() {
            let id = format!("typical-{round}-{i}-{kind}");
            lines.push(
                serde_json::json!({"id": id, "name": format!("Company {round} {i}"), *field: url})
                    .to_string(),
            );
            ids.push(id);
        }
        batches.push(ids);
    }
    let mut large_batches: Vec<(&'static str, usize, Vec<String>)> = Vec::new();
    for (label, concurrency, urls) in [
        (
            "6 JPEG 4000x4000 + 4 PNG 4000x4000",
            DEFAULT_CONCURRENCY,
            &large,
        ),
        ("10 PNG 4000x4000 RGBA", DEFAULT_CONCURRENCY, &large_pngs),
        ("10 PNG 4000x4000 RGBA", 1, &large_pngs),
        ("10 PNG 4000x4000 RGBA", 10, &large_pngs),
    ] {
        let n = large_batches.len();
        let mut ids = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            let id = format!("large-{n}-{i}");
            lines.push(
                serde_json::json!({"id": id, "name": format!("Large {n} {i}"), "logo_url": url})
                    .to_string(),
            );
            ids.push(id);
        }
        // A warm-up record per process, so "before" is a process that has served a batch.
        let warm = format!("large-{n}-warm");
        lines.push(
            serde_json::json!({"id": warm, "name": "Warm", "logo_url": site.url("/logo.png")})
                .to_string(),
        );
        ids.push(warm);
        large_batches.push((label, concurrency, ids));
    }
    std::fs::write(&directory, lines.join("\n") + "\n").unwrap();

    // ---- throughput ----
    let worker = Worker::start(&binary, &moto, &directory, DEFAULT_CONCURRENCY).await;
    let cold = Instant::now();
    queue.batch(&worker, &batches[0]).await;
    let cold = cold.elapsed();
    let (rss_warm, cpu_warm) = worker.usage();
    let warm_stored = worker.metric("stored");
    let (fetch0, render0, store0) = (
        worker.metric("fetch_ms"),
        worker.metric("render_ms"),
        worker.metric("store_ms"),
    );
    let started = Instant::now();
    let mut handler = Duration::ZERO;
    for ids in &batches[1..] {
        handler += queue.batch(&worker, ids).await;
    }
    let wall = started.elapsed();
    let (rss_typical, cpu_total) = worker.usage();
    let records = (ROUNDS * BATCH) as f64;
    let stored = worker.metric("stored") - warm_stored;
    let cpu = cpu_total.saturating_sub(cpu_warm);
    let (fetch_ms, render_ms, store_ms) = (
        worker.metric("fetch_ms") - fetch0,
        worker.metric("render_ms") - render0,
        worker.metric("store_ms") - store0,
    );
    let typical_outcomes = outcomes(&worker);
    worker.stop();

    // ---- memory: one fresh process per large batch ----
    let mut large_runs = Vec::new();
    for (label, concurrency, ids) in &large_batches {
        let worker = Worker::start(&binary, &moto, &directory, *concurrency).await;
        let (warm, batch) = ids.split_last().unwrap();
        queue.batch(&worker, std::slice::from_ref(warm)).await;
        let (rss_before, cpu_before) = worker.usage();
        let started = Instant::now();
        queue.batch(&worker, batch).await;
        let wall = started.elapsed();
        let (rss_peak, cpu_after) = worker.usage();
        large_runs.push(LargeRun {
            label,
            concurrency: *concurrency,
            wall,
            cpu: cpu_after.saturating_sub(cpu_before),
            rss_before,
            rss_peak,
            outcomes: outcomes(&worker),
        });
        worker.stop();
    }
    std::fs::remove_dir_all(&dir).ok();

    // ---- report ----
    let kib = |b: &[u8]| b.len() as f64 / 1024.0;
    println!("worker_batch: release logofill-worker (current-thread runtime) via the Lambda Runtime API, S3/SQS on moto_server, sources on a loopback fixture site");
    println!("config: sizes 64,128,256 (PNG + WebP, 6 objects per record), fetch limit 10 MiB, 16 MP pixel limit, LOGOFILL_CONCURRENCY={DEFAULT_CONCURRENCY} (default) unless noted; every record a fresh company id");
    println!(
        "inputs: typical batch of {BATCH} = 3 PNG 512x512 ({:.1} KiB), 3 SVG ({:.1} KiB), 2 ICO 256x256 PNG-in-ICO ({:.1} KiB), 1 JPEG 400x200 ({:.1} KiB), 1 homepage -> SVG icon",
        kib(&typical_png),
        SVG_LOGO.len() as f64 / 1024.0,
        kib(&typical_ico),
        kib(&typical_jpeg)
    );
    println!(
        "        large: JPEG 4000x4000 q90 4:4:4 photos ({:.1} / {:.1} MiB), PNG 4000x4000 RGBA ({:.1} / {:.1} MiB); generated in {:.1} s",
        mib(photos[0].len() as u64),
        mib(photos[1].len() as u64),
        mib(posters[0].len() as u64),
        mib(posters[1].len() as u64),
        generated.as_secs_f64()
    );
    println!();
    println!("throughput ({ROUNDS} batches of {BATCH} typical logos after 1 warm-up batch)");
    println!("  {:<44} {:>12}", "metric", "value");
    println!(
        "  {:<44} {:>9.0} ms",
        "cold start + first batch (warm-up)",
        cold.as_secs_f64() * 1e3
    );
    println!("  {:<44} {:>12}", "records", ROUNDS * BATCH);
    println!(
        "  {:<44} {:>12}",
        "outcomes (incl. warm-up)", typical_outcomes
    );
    println!(
        "  {:<44} {:>12.0}",
        "records stored in the measured batches", stored
    );
    println!(
        "  {:<44} {:>8.1} rec/s",
        "records/s, wall incl. SQS send/receive/delete",
        records / wall.as_secs_f64()
    );
    println!(
        "  {:<44} {:>8.1} rec/s",
        "records/s, handler only (invoke -> answer)",
        records / handler.as_secs_f64()
    );
    println!(
        "  {:<44} {:>9.1} ms",
        "handler wall per batch of 10",
        handler.as_secs_f64() * 1e3 / ROUNDS as f64
    );
    println!(
        "  {:<44} {:>9.1} ms",
        "process CPU per record (user+system)",
        cpu.as_secs_f64() * 1e3 / records
    );
    println!(
        "  {:<44} {:>9.1} ms",
        "render wall per record (EMF render_ms)",
        render_ms / records
    );
    println!(
        "  {:<44} {:>9.1} ms",
        "fetch wall per record (EMF fetch_ms)",
        fetch_ms / records
    );
    println!(
        "  {:<44} {:>9.1} ms",
        "S3 wall per record (EMF store_ms)",
        store_ms / records
    );
    println!(
        "  {:<44} {:>8.1} MiB",
        "peak RSS after the warm-up batch",
        mib(rss_warm)
    );
    println!(
        "  {:<44} {:>8.1} MiB",
        "peak RSS after all typical batches",
        mib(rss_typical)
    );
    println!();
    println!("memory (one fresh process per row; 1 warm-up record, then one batch of {BATCH} large logos)");
    println!(
        "  {:<36} {:>4} {:>14} {:>14} {:>9} {:>10}  outcomes",
        "batch", "conc", "RSS before MiB", "peak RSS MiB", "wall s", "CPU s"
    );
    for run in &large_runs {
        println!(
            "  {:<36} {:>4} {:>14.1} {:>14.1} {:>9.2} {:>10.2}  {}",
            run.label,
            run.concurrency,
            mib(run.rss_before),
            mib(run.rss_peak),
            run.wall.as_secs_f64(),
            run.cpu.as_secs_f64(),
            run.outcomes
        );
    }
    println!("  (outcomes include the warm-up record; RSS is VmHWM of the worker process)");
}

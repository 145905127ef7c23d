// The same job as `logofill process --json`, done with sharp: for each input, fit 64/128/256
// (aspect kept, transparent padding, Lanczos3, EXIF orientation applied), PNG + WebP, written as
// <stem>_<size>.<ext>. Prints the same JSON lines; `ms` covers decode to encoded outputs, file
// I/O excluded, as logofill's does. The pixel limit mirrors logofill's default (16 MP).
//
// Two ways to drive sharp, so the comparison is against its better one:
//   --mode per-size (default): one sharp pipeline per output from the source bytes, the way
//     sharp is usually used; libvips shrinks big JPEGs while decoding but decodes once per output.
//   --mode once: decode (and orient) once to raw RGBA, then resize that buffer per size and
//     encode it twice; no repeated decoding, no shrink-on-load.
//
// usage: node sharp-process.js --list FILE --out DIR [--mode per-size|once]
'use strict';
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');
const sharp = require('sharp');

const SIZES = [64, 128, 256];
const args = process.argv.slice(2);
const arg = (name) => args[args.indexOf(name) + 1];
const inputs = fs.readFileSync(arg('--list'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
const out = arg('--out');
const mode = args.includes('--mode') ? arg('--mode') : 'per-size';
if (!['per-size', 'once'].includes(mode)) throw new Error(`unknown --mode ${mode}`);
const OPEN = { limitInputPixels: 16_000_000, animated: false, failOn: 'error' };
const FIT = { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 }, kernel: 'lanczos3' };
// The encoder settings logofill uses (crates/logofill-image/src/encode.rs).
const PNG = { compressionLevel: 6, adaptiveFiltering: true };
const WEBP = { quality: 85, alphaQuality: 100, effort: 4 };
fs.mkdirSync(out, { recursive: true });

async function renderPerSize(buf) {
  const base = sharp(buf, OPEN).rotate();
  const jobs = [];
  for (const size of SIZES) {
    const fitted = () => base.clone().resize(size, size, FIT);
    jobs.push(fitted().png(PNG).toBuffer().then((b) => [size, 'png', b]));
    jobs.push(fitted().webp(WEBP).toBuffer().then((b) => [size, 'webp', b]));
  }
  return Promise.all(jobs);
}

async function renderOnce(buf) {
  const { data, info } = await sharp(buf, OPEN).rotate().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const source = { raw: { width: info.width, height: info.height, channels: 4 } };
  const perSize = SIZES.map(async (size) => {
    const fitted = await sharp(data, source).resize(size, size, FIT).raw().toBuffer();
    const square = { raw: { width: size, height: size, channels: 4 } };
    return Promise.all([
      sharp(fitted, square).png(PNG).toBuffer().then((b) => [size, 'png', b]),
      sharp(fitted, square).webp(WEBP).toBuffer().then((b) => [size, 'webp', b]),
    ]);
  });
  return (await Promise.all(perSize)).flat();
}

const render = mode === 'once' ? renderOnce : renderPerSize;

(async () => {
  let failed = 0;
  for (const input of inputs) {
    try {
      const buf = fs.readFileSync(input);
      const t0 = performance.now();
      const variants = await render(buf);
      const ms = performance.now() - t0;
      const stem = path.parse(input).name;
      for (const [size, ext, bytes] of variants) fs.writeFileSync(path.join(out, `${stem}_${size}.${ext}`), bytes);
      console.log(JSON.stringify({ in: input, ok: true, ms: Math.round(ms * 10) / 10 }));
    } catch (e) {
      failed++;
      console.log(JSON.stringify({ in: input, ok: false, error: String(e.message || e) }));
    }
  }
  process.exitCode = failed ? 1 : 0;
})();

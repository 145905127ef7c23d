// The same job as `logofill process --json`, done with sharp: for each input, fit 64/128/256
// (aspect kept, transparent padding, Lanczos3, EXIF orientation applied), PNG + WebP, written as
// <stem>_<size>.<ext>. Prints the same JSON lines; `ms` covers decode to encoded outputs, file
// I/O excluded, as logofill's does. The pixel limit mirrors logofill's default (16 MP).
//
// usage: node sharp-process.js --list FILE --out DIR
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
fs.mkdirSync(out, { recursive: true });

async function render(buf) {
  const base = sharp(buf, { limitInputPixels: 16_000_000, animated: false, failOn: 'error' }).rotate();
  const jobs = [];
  for (const size of SIZES) {
    const fitted = () =>
      base.clone().resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 }, kernel: 'lanczos3' });
    jobs.push(fitted().png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer().then((b) => [size, 'png', b]));
    jobs.push(fitted().webp({ quality: 85, alphaQuality: 100, effort: 4 }).toBuffer().then((b) => [size, 'webp', b]));
  }
  return Promise.all(jobs);
}

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

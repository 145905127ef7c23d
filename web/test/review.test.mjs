// The review page in a real browser: a folder bucket with a set for every flag (real renders by
// `logofill logo set` and `logofill placeholder`, their metadata then changed as the worker or an
// attacker would have written it), the page written by `logofill review` and opened from a file
// in headless Chromium, and the same page served by `logofill dev` at /dev/review. Every flag is
// on its card, the filters hide and show the right cards, hostile metadata stays text, and the
// page makes no request at all.
//
// `logofill` is the debug binary `make test` builds (LOGOFILL_BIN overrides). The screenshot goes
// to tests/artifacts/review.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch, until } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = path.join(root, 'tests', 'artifacts');
const binary = process.env.LOGOFILL_BIN || path.join(root, 'target', 'debug', 'logofill');
const corpus = path.join(root, 'tests', 'fixtures', 'discovery');
const fixture = {
  // 270x270: as large as the largest size.
  square: path.join(corpus, 'wordpress-custom-logo/files/www.harrow-bakehouse.co.uk/wp-content/uploads/2022/03/cropped-hb-site-icon-270x270.png'),
  // 32x32: every variant above 32 px is upscaled.
  favicon: path.join(corpus, 'news-jsonld-wordmark/files/www.harbour-gazette.com/favicon-32x32.png'),
  // 600x60: a wordmark squeezed into a square.
  wordmark: path.join(corpus, 'news-jsonld-wordmark/files/www.harbour-gazette.com/static/brand/harbour-gazette-amp-logo-600x60.png'),
};
const HOSTILE_URL = 'https://evil.example/x.png"><script>window.__pwned=1</script><img src="http://127.0.0.1:9/beacon.gif">';

// Company -> the flags its card must carry.
const EXPECTED = {
  acme: [],
  globex: ['placeholder'],
  half: ['incomplete'],
  hostile: [],
  initech: ['blocked'],
  pinned: ['manual'],
  tiny: ['upscaled'],
  'twin-a': ['shared-source'],
  'twin-b': ['shared-source'],
  wide: ['squeezed'],
};

let browser;
let work;
let bucket;
let pagePath;
let summary;

function run(args) {
  const out = spawnSync(binary, args, { encoding: 'utf8' });
  assert.equal(out.status, 0, `logofill ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}

function svg(body, viewBox = '0 0 100 100') {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${viewBox}">${body}</svg>`;
}

const metaPath = (company, file) => path.join(bucket, 'logos', company, `${file}.meta.json`);
const readMeta = (company, file) => JSON.parse(fs.readFileSync(metaPath(company, file), 'utf8'));

/** Rewrite the sentinel's metadata: `change` gets the metadata object and edits it. */
function editSentinel(company, change) {
  const head = readMeta(company, '256.png');
  change(head.metadata);
  fs.writeFileSync(metaPath(company, '256.png'), JSON.stringify(head, null, 2));
}

/** A logo rendered from `file` by `logofill logo set`, then filed as the worker's (kind logo). */
function storeLogo(company, file, { pinned = false } = {}) {
  run(['logo', 'set', '--company', company, file, '--bucket-dir', bucket]);
  if (!pinned) {
    editSentinel(company, (m) => {
      m.kind = 'logo';
      delete m.pinned;
      m['source-url'] = `https://${company}.example/logo`;
    });
  }
}

/** A placeholder set: `logofill placeholder`'s images in place of a stored set's. */
function storePlaceholder(company, reason) {
  storeLogo(company, path.join(work, 'acme.svg'));
  const rendered = path.join(work, `placeholder-${company}`);
  run(['placeholder', '--id', company, '--name', company, '--out', rendered]);
  for (const size of [64, 128, 256]) {
    for (const ext of ['png', 'webp']) {
      const bytes = fs.readFileSync(path.join(rendered, `${company}_${size}.${ext}`));
      fs.writeFileSync(path.join(bucket, 'logos', company, `${size}.${ext}`), bytes);
      const head = readMeta(company, `${size}.${ext}`);
      head.size = bytes.length;
      fs.writeFileSync(metaPath(company, `${size}.${ext}`), JSON.stringify(head, null, 2));
    }
  }
  editSentinel(company, (m) => {
    for (const name of Object.keys(m)) {
      if (name.startsWith('source-') || name === 'content-aspect' || name === 'phash') delete m[name];
    }
    m.kind = 'placeholder';
    m.reason = reason;
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

before(async () => {
  assert.ok(fs.existsSync(binary), `${binary} is not built; run make test (it builds the binaries first)`);
  for (const file of Object.values(fixture)) assert.ok(fs.existsSync(file), `fixture ${file} is missing`);
  fs.mkdirSync(artifacts, { recursive: true });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'logofill-review-'));
  bucket = path.join(work, 'bucket');
  fs.writeFileSync(path.join(work, 'acme.svg'), svg('<circle cx="50" cy="50" r="45" fill="#c33"/>'));
  fs.writeFileSync(path.join(work, 'pinned.svg'), svg('<rect x="5" y="15" width="90" height="70" rx="12" fill="#36c"/>'));
  fs.writeFileSync(path.join(work, 'hostile.svg'), svg('<path d="M50 5 L95 95 L5 95 Z" fill="#2a2"/>'));

  storeLogo('acme', path.join(work, 'acme.svg'));
  storePlaceholder('globex', 'no-logo');
  storePlaceholder('initech', 'blocked');
  storeLogo('tiny', fixture.favicon);
  storeLogo('twin-a', fixture.square);
  storeLogo('twin-b', fixture.square);
  storeLogo('wide', fixture.wordmark);
  storeLogo('pinned', path.join(work, 'pinned.svg'), { pinned: true });
  storeLogo('hostile', path.join(work, 'hostile.svg'));
  editSentinel('hostile', (m) => {
    m['source-url'] = HOSTILE_URL;
    m.reason = '<img src=x onerror="window.__pwned=2">';
  });
  // Half a set: the sentinel never got written.
  storeLogo('half', path.join(work, 'acme.svg'));
  fs.rmSync(path.join(bucket, 'logos', 'half', '256.png'));
  fs.rmSync(metaPath('half', '256.png'));

  pagePath = path.join(work, 'review.html');
  summary = run(['review', '--bucket-dir', bucket, '--out', pagePath]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Open the page, recording every request it makes. */
async function openPage(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (req) => requests.push(req.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
  return { context, page, requests, errors };
}

/** Ids of the cards shown now, in page order. */
async function shown(page) {
  return page.$$eval('article.set', (cards) => cards.filter((c) => !c.hidden && c.offsetParent !== null)
    .map((c) => c.dataset.id));
}

async function tick(page, name, value, on = true) {
  await page.setChecked(`input[name="${name}"][value="${value}"]`, on);
}

test('logofill review prints one line with the counts of every flag', () => {
  assert.equal(
    summary,
    `${pagePath}: 10 sets (1 placeholder, 1 blocked, 1 upscaled, 2 shared-source, 1 squeezed, 1 manual, 1 incomplete)\n`,
  );
});

test('every flag is on its card, every thumbnail is shown, and nothing is requested', async () => {
  const { context, page, requests, errors } = await openPage(pathToFileURL(pagePath).href);
  assert.deepEqual(errors, []);
  const cards = await page.$$eval('article.set', (all) => Object.fromEntries(all.map((c) => [
    c.dataset.id,
    {
      flags: c.dataset.flags ? c.dataset.flags.split(' ') : [],
      badges: Array.from(c.querySelectorAll('.flag')).map((b) => b.textContent),
      thumbnail: c.querySelector('.thumb img')?.naturalWidth ?? 0,
      commands: Array.from(c.querySelectorAll('.fix code')).map((code) => code.textContent),
    },
  ])));
  assert.deepEqual(Object.keys(cards).sort(), Object.keys(EXPECTED).sort());
  for (const [company, flags] of Object.entries(EXPECTED)) {
    assert.deepEqual(cards[company].flags, flags, `${company}: data-flags`);
    assert.deepEqual(cards[company].badges, flags, `${company}: the flags shown`);
    assert.equal(cards[company].thumbnail, 64, `${company}: a 64 px thumbnail`);
  }
  const bucketArg = `--bucket-dir ${bucket}`;
  assert.deepEqual(cards.globex.commands, [
    `logofill logo refresh --company globex ${bucketArg}`,
    `logofill logo set --company globex FILE ${bucketArg}`,
  ]);
  assert.equal(cards.initech.commands[0], `logofill logo set --company initech --url URL ${bucketArg}`);
  for (const company of ['tiny', 'twin-a', 'wide']) {
    assert.equal(cards[company].commands[0], `logofill logo reject --company ${company} ${bucketArg}`);
  }
  assert.equal(cards.pinned.commands[0], `logofill logo unpin --company pinned ${bucketArg}`);

  // Hostile metadata is text: no script ran, no element was made of it, no request was sent.
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$$eval('script', (s) => s.length), 1);
  assert.equal(await page.$eval('#set-hostile .url', (e) => e.textContent), HOSTILE_URL);
  assert.equal(await page.$$eval('img', (imgs) => imgs.filter((i) => !i.src.startsWith('data:image/png;base64,')).length), 0);
  assert.equal(await page.$$eval('a', (links) => links.length), 0, 'no links at all');
  const outside = requests.filter((url) => url !== pathToFileURL(pagePath).href && !url.startsWith('data:'));
  assert.deepEqual(outside, [], 'the page requested nothing but itself');

  await page.screenshot({ path: path.join(artifacts, 'review.png'), fullPage: true });
  await context.close();
});

test('the filters show the cards of the ticked kinds and flags, and the ids with the text', async () => {
  const { context, page } = await openPage(pathToFileURL(pagePath).href);
  const all = Object.keys(EXPECTED).sort();
  assert.deepEqual((await shown(page)).sort(), all);
  assert.equal(await page.textContent('#shown'), `showing 10 of 10`);

  await tick(page, 'flag', 'upscaled');
  assert.deepEqual(await shown(page), ['tiny']);
  await tick(page, 'flag', 'squeezed');
  assert.deepEqual(await shown(page), ['tiny', 'wide'], 'any of the ticked flags');
  await tick(page, 'flag', 'upscaled', false);
  await tick(page, 'flag', 'squeezed', false);

  await tick(page, 'flag', 'placeholder');
  await tick(page, 'flag', 'blocked');
  assert.deepEqual(await shown(page), ['globex', 'initech']);
  await tick(page, 'kind', 'placeholder', false);
  assert.deepEqual(await shown(page), [], 'their kind is not ticked');
  await tick(page, 'kind', 'placeholder');
  await tick(page, 'flag', 'placeholder', false);
  await tick(page, 'flag', 'blocked', false);

  await tick(page, 'flag', 'none');
  assert.deepEqual(await shown(page), ['acme', 'hostile'], 'the sets without a flag');
  await tick(page, 'flag', 'none', false);

  await tick(page, 'kind', 'logo', false);
  assert.deepEqual(await shown(page), ['globex', 'half', 'initech', 'pinned']);
  await tick(page, 'kind', 'none', false);
  assert.deepEqual(await shown(page), ['globex', 'initech', 'pinned']);
  await tick(page, 'kind', 'logo');
  await tick(page, 'kind', 'none');

  await page.fill('#company-filter', 'TWIN');
  assert.deepEqual(await shown(page), ['twin-a', 'twin-b'], 'the id text, in any case');
  assert.equal(await page.textContent('#shown'), 'showing 2 of 10');
  await tick(page, 'flag', 'manual');
  assert.deepEqual(await shown(page), []);
  await page.fill('#company-filter', '');
  assert.deepEqual(await shown(page), ['pinned']);
  await context.close();
});

test('logofill dev serves the same page for its bucket at /dev/review', async () => {
  const companies = path.join(work, 'companies.jsonl');
  fs.writeFileSync(companies, '');
  const port = await freePort();
  const dev = spawn(binary, ['dev', '--port', String(port), '--bucket-dir', bucket, '--companies', companies, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let printed = '';
    dev.stdout.on('data', (chunk) => { printed += chunk; });
    await until(() => printed.includes('logofill dev is running'), 20000, 'logofill dev to start');
    const base = `http://127.0.0.1:${port}`;
    const { context, page, requests } = await openPage(`${base}/dev/review?limit=4`);
    assert.deepEqual(await shown(page), ['acme', 'globex', 'half', 'hostile']);
    assert.ok(await page.isVisible('#limit-note'), 'the page says the limit cut the list');
    assert.equal(
      await page.$eval('#set-acme .fix code', (code) => code.textContent),
      `logofill logo reject --company acme --bucket-dir ${bucket}`,
    );
    assert.deepEqual(requests.filter((url) => !url.startsWith('data:')), [`${base}/dev/review?limit=4`], 'nothing but the page itself');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await context.close();
  } finally {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGINT');
    await exited;
  }
});

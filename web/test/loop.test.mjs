// The whole loop in a real browser: headless Chromium against `logofill dev` started here on a
// free port. A page with missing logos reports them once, the worker fills them in, a reload
// shows every logo, and an id that stays missing is not reported again in the same session.
//
// `logofill` is the debug binary `make test` builds (LOGOFILL_BIN overrides). Screenshots go
// to tests/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, until } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = path.join(root, 'tests', 'artifacts');
const binary = process.env.LOGOFILL_BIN || path.join(root, 'target', 'debug', 'logofill');

let browser;
let dev;
let base;
let bucket;

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
  fs.mkdirSync(artifacts, { recursive: true });
  bucket = fs.mkdtempSync(path.join(os.tmpdir(), 'logofill-loop-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dev = spawn(binary, ['dev', '--port', String(port), '--bucket-dir', bucket, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let printed = '';
  dev.stdout.on('data', (chunk) => { printed += chunk; });
  await until(() => printed.includes('logofill dev is running'), 20000, 'logofill dev to start');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (dev && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGINT');
    await exited;
  }
  if (bucket) fs.rmSync(bucket, { recursive: true, force: true });
});

async function queue() {
  const res = await fetch(`${base}/dev/queue`);
  assert.equal(res.status, 200);
  return res.json();
}

/** Every report request the page sends (sendBeacon or fetch), with its ids. */
function watchReports(page) {
  const reports = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/logo-misses') {
      reports.push(JSON.parse(req.postData() || '{}').company_ids || []);
    }
  });
  return reports;
}

/** `naturalWidth` of every logo image, by company id, once every image has settled. */
async function logoSizes(page) {
  await page.waitForFunction(() => Array.from(document.querySelectorAll('img[data-company-id]'))
    .every((img) => img.complete));
  return page.$$eval('img[data-company-id]', (imgs) => Object.fromEntries(
    imgs.map((img) => [img.dataset.companyId, img.naturalWidth]),
  ));
}

async function settled(expectedSent) {
  await until(async () => {
    const q = await queue();
    return q.sent_total >= expectedSent && q.queued.length === 0 && q.in_flight.length === 0;
  }, 60000, 'the worker to empty the queue');
}

test('the loop closes: one report, the worker fills the logos, reload shows them all', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const reports = watchReports(page);

  // 1. The demo page: some logos exist (seeded at start), the others are missing.
  await page.goto(`${base}/`);
  const before = await logoSizes(page);
  const missing = Object.keys(before).filter((id) => before[id] === 0).sort();
  const present = Object.keys(before).filter((id) => before[id] > 0);
  assert.ok(missing.length >= 5, `expected several missing logos, got ${JSON.stringify(before)}`);
  assert.ok(present.length >= 1, 'expected some logos present from the start');
  await until(() => reports.length >= 1, 10000, 'the report request');
  await page.screenshot({ path: path.join(artifacts, 'loop-before.png'), fullPage: true });
  // Wait out the debounce cap: nothing more may be sent for this page.
  await page.waitForTimeout(1500);
  assert.equal(reports.length, 1, `exactly one report request, got ${JSON.stringify(reports)}`);
  assert.deepEqual([...reports[0]].sort(), missing);

  // 2. The worker processes them (poll the queue, no fixed sleep).
  await settled(missing.length);
  const q = await queue();
  assert.equal(q.dead_letter.length, 0, `nothing in the DLQ: ${JSON.stringify(q.dead_letter)}`);

  // 3. Reload: every logo loads (real logo or placeholder, 128 px), and nothing is reported.
  reports.length = 0;
  await page.reload();
  const after = await logoSizes(page);
  for (const [id, width] of Object.entries(after)) {
    assert.equal(width, 128, `${id} logo after the worker ran: naturalWidth ${width}`);
  }
  await page.screenshot({ path: path.join(artifacts, 'loop-after.png'), fullPage: true });
  await page.waitForTimeout(1500);
  assert.equal(reports.length, 0, `no report after reload, got ${JSON.stringify(reports)}`);
  await context.close();
});

test('an id that stays missing is reported once per session, not on the next page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const reports = watchReports(page);
  const sentBefore = (await queue()).sent_total;

  // `ghost` is not in the company directory: the worker acknowledges it, its logo stays missing.
  await page.goto(`${base}/postings?ids=acme,ghost`);
  await until(() => reports.length >= 1, 10000, 'the report of ghost');
  assert.deepEqual(reports[0], ['ghost']);
  await settled(sentBefore + 1);

  // 4. A new page in the same session showing the still-missing id: no report.
  reports.length = 0;
  await page.goto(`${base}/postings?ids=ghost,globex`);
  const sizes = await logoSizes(page);
  assert.equal(sizes.ghost, 0, 'ghost is still missing');
  assert.equal(sizes.globex, 128);
  await page.waitForTimeout(1500);
  assert.equal(reports.length, 0, `ghost reported again: ${JSON.stringify(reports)}`);
  assert.equal((await queue()).sent_total, sentBefore + 1);
  await context.close();
});

// The page snippet in a real headless Chromium, against a loopback page server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { minify } from 'terser';
import { launch, startPageServer, snippetPath, until } from './harness.mjs';

let browser;
let server;

before(async () => {
  browser = await launch();
  server = await startPageServer();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

function idsOf(reports) {
  return reports.flatMap((r) => r.body.company_ids).sort();
}

test('minified snippet is at most 2 KB', async () => {
  const { code } = await minify(fs.readFileSync(snippetPath, 'utf8'), { compress: true, mangle: true, format: { comments: false } });
  assert.ok(code.length <= 2048, `minified snippet is ${code.length} bytes`);
});

test('one report per page with exactly the missing ids, as text/plain JSON', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/page?ok=good1,good2&missing=acme,globex,initech`);
  await until(() => server.reports.length >= 1, 5000, 'a report');
  await page.waitForTimeout(700); // longer than the debounce: nothing more may arrive
  assert.equal(server.reports.length, 1);
  assert.deepEqual(idsOf(server.reports), ['acme', 'globex', 'initech']);
  assert.match(server.reports[0].contentType, /^text\/plain/);
  await context.close();
});

test('images that failed before the script ran are reported', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/page?missing=early1,early2&early=1`);
  await until(() => server.reports.length >= 1, 5000, 'a report');
  assert.deepEqual(idsOf(server.reports), ['early1', 'early2']);
  await context.close();
});

test('an id is never reported twice in one browser session', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/page?missing=once`);
  await until(() => server.reports.length >= 1, 5000, 'a report');
  await page.reload();
  await page.goto(`${server.base}/other?missing=once,fresh`);
  await until(() => server.reports.length >= 2, 5000, 'the second report');
  await page.waitForTimeout(500);
  assert.equal(server.reports.length, 2);
  assert.deepEqual(server.reports[1].body.company_ids, ['fresh']);
  // A new session (new context) reports again.
  const other = await browser.newContext();
  await (await other.newPage()).goto(`${server.base}/page?missing=once`);
  await until(() => server.reports.length >= 3, 5000, 'a report from a new session');
  await context.close();
  await other.close();
});

test('ids outside the grammar are not sent', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/page?missing=valid-1,bad.id,${'x'.repeat(65)}`);
  await until(() => server.reports.length >= 1, 5000, 'a report');
  assert.deepEqual(idsOf(server.reports), ['valid-1']);
  await context.close();
});

test('a broken image is swapped for the fallback', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/page?missing=fb&fallback=/fallback.png`);
  await until(async () => (await page.$eval('img[data-company-id="fb"]', (i) => i.naturalWidth)) === 1, 5000, 'the fallback image');
  assert.match(await page.$eval('img[data-company-id="fb"]', (i) => i.src), /\/fallback\.png$/);
  await until(() => server.reports.length >= 1, 5000, 'a report');
  assert.deepEqual(idsOf(server.reports), ['fb']);
  await context.close();
});

test('without sendBeacon it falls back to fetch with keepalive', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  await context.addInitScript(() => { Object.defineProperty(Navigator.prototype, 'sendBeacon', { value: undefined }); });
  const page = await context.newPage();
  await page.goto(`${server.base}/page?missing=nobeacon`);
  assert.equal(await page.evaluate(() => typeof navigator.sendBeacon), 'undefined');
  await until(() => server.reports.length >= 1, 5000, 'a report');
  assert.deepEqual(idsOf(server.reports), ['nobeacon']);
  assert.match(server.reports[0].contentType, /^text\/plain/);
  await context.close();
});

test('leaving the page flushes what was collected', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/page?missing=leaving&debounce=60000`);
  await page.waitForTimeout(300);
  assert.equal(server.reports.length, 0, 'the long debounce holds the report');
  await page.goto(`${server.base}/page?ok=x`);
  await until(() => server.reports.length >= 1, 5000, 'the pagehide report');
  assert.deepEqual(idsOf(server.reports), ['leaving']);
  await context.close();
});

test('more than 50 missing ids go out in reports of at most 50', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  const ids = Array.from({ length: 60 }, (_, i) => `bulk${i}`);
  await page.goto(`${server.base}/page?missing=${ids.join(',')}`);
  await until(() => idsOf(server.reports).length >= 60, 5000, 'all ids');
  assert.ok(server.reports.every((r) => r.body.company_ids.length <= 50));
  assert.equal(server.reports.length, 2);
  await context.close();
});

const reported = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('logofill:reported') || '[]'));

test('an id whose report was not handed over is reported again by a later page', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  // The beacon queue is full (sendBeacon answers false), so the snippet falls back to fetch.
  await context.addInitScript(() => { Navigator.prototype.sendBeacon = function () { return false; }; });
  const page = await context.newPage();
  let aborted = 0;
  await page.route('**/logo-misses', (route) => { aborted += 1; return route.abort('internetdisconnected'); });
  await page.goto(`${server.base}/page?missing=offline1,offline2`);
  await until(() => aborted >= 1, 5000, 'the failed fetch');
  await page.waitForTimeout(200);
  assert.deepEqual(await reported(page), [], 'nothing is marked reported after a failed fetch');

  await page.unroute('**/logo-misses');
  await page.goto(`${server.base}/other?missing=offline1,offline2`);
  await until(() => server.reports.length >= 1, 5000, 'the report on the next page');
  assert.deepEqual(idsOf(server.reports), ['offline1', 'offline2']);
  await until(async () => (await reported(page)).length === 2, 5000, 'the ids marked after the fetch resolved');

  await page.goto(`${server.base}/page?missing=offline1,offline2`);
  await page.waitForTimeout(700);
  assert.equal(server.reports.length, 1, 'once handed over, never again in the session');
  await context.close();
});

test('a 503 or 429 answer leaves the ids to be reported again; a sendBeacon that throws falls back to fetch', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  await context.addInitScript(() => { Navigator.prototype.sendBeacon = function () { throw new TypeError('beacon blocked'); }; });
  const page = await context.newPage();
  const answers = [503, 429];
  let refused = 0;
  await page.route('**/logo-misses', (route) => {
    const status = answers.shift();
    if (status === undefined) return route.continue();
    refused += 1;
    return route.fulfill({ status, headers: { 'retry-after': '30', 'content-type': 'application/json' }, body: '{"error":"queue_unavailable","detail":"queue unavailable"}' });
  });
  for (const [n, path] of [[1, 'page'], [2, 'other']]) {
    await page.goto(`${server.base}/${path}?missing=busy`);
    await until(() => refused >= n, 5000, `refusal ${n}`);
    await page.waitForTimeout(200);
    assert.deepEqual(await reported(page), [], `not marked after refusal ${n}`);
  }
  await page.goto(`${server.base}/page?missing=busy`);
  await until(() => server.reports.length >= 1, 5000, 'the accepted report');
  assert.deepEqual(idsOf(server.reports), ['busy']);
  await until(async () => (await reported(page)).includes('busy'), 5000, 'busy marked after the 202');
  await context.close();
});

test('a beacon the browser accepted marks the ids at once', async () => {
  server.reports.length = 0;
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const real = Navigator.prototype.sendBeacon;
    window.beacons = [];
    Navigator.prototype.sendBeacon = function (url, body) {
      const ok = real.call(this, url, body);
      window.beacons.push({ ok, marked: sessionStorage.getItem('logofill:reported') });
      return ok;
    };
  });
  const page = await context.newPage();
  await page.goto(`${server.base}/page?missing=beaconed`);
  await until(() => server.reports.length >= 1, 5000, 'a report');
  const beacons = await page.evaluate(() => window.beacons);
  assert.equal(beacons.length, 1);
  assert.equal(beacons[0].ok, true);
  assert.equal(beacons[0].marked, null, 'not marked before sendBeacon answered');
  assert.deepEqual(await reported(page), ['beaconed']);
  await context.close();
});

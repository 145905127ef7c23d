// Test harness: a loopback page server that records reports, and headless Chromium
// (Debian's package) driven by playwright-core. Nothing here touches the network beyond
// 127.0.0.1.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const snippetPath = path.join(here, '..', 'logofill.js');

// A 1x1 transparent PNG.
export const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

export function chromiumPath() {
  const candidates = [process.env.LOGOFILL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium at ${candidates.join(', ')}; make test installs Debian's chromium package`);
  return found;
}

export async function launch() {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true });
}

/**
 * Serves /page?ok=a,b&missing=c,d&debounce=ms&fallback=url&early=1 and records POSTs to
 * /logo-misses. `early=1` puts the script at the end of <body> after a delay so images fail
 * before it runs.
 */
export async function startPageServer() {
  const reports = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/logo-misses') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        reports.push({ body: JSON.parse(body), contentType: req.headers['content-type'] });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"enqueued":0,"duplicates":0}');
      });
      return;
    }
    if (url.pathname === '/logofill.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(fs.readFileSync(snippetPath));
      return;
    }
    if (url.pathname.startsWith('/logos/ok/')) {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PIXEL);
      return;
    }
    if (url.pathname === '/fallback.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PIXEL);
      return;
    }
    if (url.pathname === '/page' || url.pathname === '/other') {
      const list = (k) => (url.searchParams.get(k) || '').split(',').filter(Boolean);
      const img = (id, ok) => `<img data-company-id="${id}" src="/logos/${ok ? 'ok' : 'missing'}/${encodeURIComponent(id)}.png" alt="${id}">`;
      const attrs = [
        `data-endpoint="/logo-misses"`,
        url.searchParams.get('debounce') ? `data-debounce="${url.searchParams.get('debounce')}"` : '',
        url.searchParams.get('fallback') ? `data-fallback="${url.searchParams.get('fallback')}"` : '',
      ].join(' ');
      const script = `<script src="/logofill.js" ${attrs}></script>`;
      const late = url.searchParams.get('early') === '1';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head>${late ? '' : script}</head><body>
${list('ok').map((id) => img(id, true)).join('\n')}
${list('missing').map((id) => img(id, false)).join('\n')}
${late ? `<script>setTimeout(function(){var s=document.createElement('script');s.src='/logofill.js';s.setAttribute('data-endpoint','/logo-misses');document.body.appendChild(s);},300)</script>` : ''}
</body></html>`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    reports,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Wait until `predicate()` is true, polling; fails after `ms`. */
export async function until(predicate, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

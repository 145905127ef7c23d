/*! logofill page snippet: reports company logos that fail to load, once per browser session.
 *
 * <script src="/logofill.js" data-endpoint="https://REPORT_URL/logo-misses" async></script>
 * <img src="https://cdn.example.com/logos/acme/128.webp" data-company-id="acme" alt="Acme">
 *
 * Script attributes: data-endpoint (required in production; default /logo-misses),
 * data-debounce (ms to collect misses before sending, default 300), data-fallback (image URL
 * shown instead of a broken logo; an img's own data-fallback wins).
 *
 * Why it is shaped like this: one report per page, sent as text/plain JSON with sendBeacon so
 * it needs no CORS preflight and survives navigation; ids already reported in this browser
 * session (sessionStorage, bounded) are never sent again; ids that break the server's grammar
 * are dropped here, since one bad id would make the server refuse the whole report.
 * An id counts as reported only once the browser took the request: sendBeacon returned true,
 * or the fetch fallback got an answer that is not 429 or 5xx (the server enqueued nothing and
 * asks for a retry). If neither, the id is reported again by a later page of the session.
 */
(function (w, d) {
  var s = d.currentScript || {getAttribute: function () { return null; }};
  var endpoint = s.getAttribute('data-endpoint') || '/logo-misses';
  var wait = +s.getAttribute('data-debounce') || 300;
  var fallback = s.getAttribute('data-fallback');
  var KEY = 'logofill:reported', KEEP = 500, PER_REPORT = 50;
  var ID = /^[A-Za-z0-9_-]{1,64}$/;
  var pending = [], sending = [], timer = 0, first = 0;

  function seen() {
    try { return JSON.parse(w.sessionStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function remember(ids) {
    try { w.sessionStorage.setItem(KEY, JSON.stringify(seen().concat(ids).slice(-KEEP))); } catch (e) { /* storage full or blocked: still report */ }
  }
  // The request is out of our hands (or failed): the ids leave `sending`, and are remembered
  // only if it was handed over.
  function settled(ids, ok) {
    sending = sending.filter(function (id) { return ids.indexOf(id) < 0; });
    if (ok) remember(ids);
  }
  function send(ids) {
    var n = w.navigator, body = JSON.stringify({company_ids: ids});
    sending = sending.concat(ids);
    try {
      if (n.sendBeacon && n.sendBeacon(endpoint, body)) return settled(ids, 1);
    } catch (e) { /* an invalid endpoint or a blocked beacon: try fetch */ }
    if (!w.fetch) return settled(ids, 0);
    w.fetch(endpoint, {method: 'POST', body: body, keepalive: true, mode: 'cors', headers: {'content-type': 'text/plain'}})
      .then(function (r) { settled(ids, r.status !== 429 && r.status < 500); }, function () { settled(ids, 0); });
  }
  function flush() {
    clearTimeout(timer);
    timer = first = 0;
    var done = seen().concat(sending), ids = [];
    for (var i = 0; i < pending.length; i++) {
      if (done.indexOf(pending[i]) < 0 && ids.indexOf(pending[i]) < 0) ids.push(pending[i]);
    }
    pending = [];
    for (var j = 0; j < ids.length; j += PER_REPORT) send(ids.slice(j, j + PER_REPORT));
  }
  function missed(img) {
    if (!img || img.tagName !== 'IMG' || img.getAttribute('data-logofill') === 'fallback') return;
    var id = img.getAttribute('data-company-id');
    var alt = img.getAttribute('data-fallback') || fallback;
    if (alt) {
      img.setAttribute('data-logofill', 'fallback');
      img.src = alt;
    }
    if (!id || !ID.test(id)) return;
    pending.push(id);
    // Debounce: wait for the page's other misses, but never more than 4x the wait in all.
    if (!first) first = Date.now();
    clearTimeout(timer);
    timer = setTimeout(flush, Math.max(0, Math.min(wait, first + 4 * wait - Date.now())));
  }
  function broken(img) {
    return img.complete && img.naturalWidth === 0 && (img.currentSrc || img.getAttribute('src'));
  }
  d.addEventListener('error', function (e) {
    if (e.target && e.target.hasAttribute && e.target.hasAttribute('data-company-id')) missed(e.target);
  }, true);
  function scan() {
    var imgs = d.querySelectorAll('img[data-company-id]');
    for (var i = 0; i < imgs.length; i++) if (broken(imgs[i])) missed(imgs[i]);
  }
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', scan); else scan();
  w.addEventListener('pagehide', flush);
})(window, document);

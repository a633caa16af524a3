/*! autoheal.js: uncaught browser and Node errors -> an autoheal endpoint -> one GitHub issue each.
 * No dependencies. Never throws, never reports its own delivery failures. See README-js.md. */
(function (root) {
  'use strict';
  var PATH = '/api/auto-heal/report-client-error';
  var SECRET = /token|secret|passw|auth|key|cookie|session|credential|private|signature/i;
  var isNode = typeof window === 'undefined' && typeof process === 'object' && !!(process.versions || {}).node;
  var env = isNode ? process.env : {};
  var cfg = (!isNode && root.autohealConfig) || {};
  var endpoint = cfg.endpoint || env.AUTOHEAL_ENDPOINT || (isNode ? '' : PATH);
  if (/^https?:\/\/[^/]+\/?$/.test(endpoint)) endpoint = endpoint.replace(/\/$/, '') + PATH;
  var key = cfg.key || env.AUTOHEAL_INGEST_KEY || '';
  var perMinute = +(cfg.maxPerMinute || env.AUTOHEAL_MAX_PER_MINUTE) || 10;
  var graceMs = +(cfg.graceMs || env.AUTOHEAL_GRACE_MS) || 2000;
  var seen = {}, nSeen = 0, sentAt = [], busy = false;

  function noop() {}

  function str(v, max) {
    return v === undefined || v === null ? '' : String(v).slice(0, max);
  }

  // Query strings and fragments carry session ids and tokens; they never leave the page.
  function bare(url) {
    return str(url, 2000).split(/[?#]/)[0];
  }

  // Stack URLs lose their queries too; Node paths lose the working directory (it names the user).
  function cleanStack(stack) {
    stack = stack.replace(/[?#][^\s)]*?(?=:\d+:\d+|\)|\s|$)/g, '');
    return isNode ? stack.split(process.cwd()).join('.') : stack;
  }

  // A flat, bounded copy: secret-looking names are masked here already, the endpoint scrubs the rest.
  function flat(obj) {
    if (!obj || typeof obj !== 'object') return undefined;
    var out = {}, n = 0;
    for (var k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k) || ++n > 50) continue;
      var v = obj[k];
      if (SECRET.test(k)) v = '[redacted]';
      else if (v !== null && typeof v === 'object') { try { v = JSON.stringify(v); } catch (e) { v = '[unserialisable]'; } }
      out[str(k, 50)] = typeof v === 'number' || typeof v === 'boolean' || v === null ? v : str(v, 200);
    }
    return out;
  }

  function where() {
    if (isNode) {
      var main = str(process.argv[1], 1000);
      return { ua: 'Node.js ' + process.version, platform: process.platform + ' ' + process.arch,
               url: main && 'file:' + main.split(/[\\/]/).pop() };
    }
    var nav = root.navigator || {};
    return { ua: str(nav.userAgent, 500), platform: str((nav.userAgentData || {}).platform || nav.platform, 100),
             url: root.location ? bare(root.location.href) : '' };
  }

  function build(err, ctx, kind) {
    var e = err !== null && typeof err === 'object' ? err : { name: 'Error', message: str(err, 2000) };
    var w = where(), c = ctx && typeof ctx === 'object' ? ctx : {};
    var extra = flat(c) || {}, retries = c.retries, message = e.message;
    delete extra.tool; delete extra.params; delete extra.retries;
    if (message === undefined) { try { message = JSON.stringify(e); } catch (x) { message = ''; } } // reject({...})
    return {
      v: 1, kind: kind, runtime: isNode ? 'node' : 'browser',
      name: str(e.name || (e.constructor || {}).name || 'Error', 200), message: str(message, 2000),
      stack: cleanStack(str(e.stack, 16000)), userAgent: w.ua, platform: w.platform, url: w.url,
      tool: c.tool === undefined ? undefined : str(c.tool, 200), params: flat(c.params),
      retries: (retries | 0) === retries && retries >= 0 && retries <= 1000 ? retries : undefined,
      context: extra, timestamp: new Date().toISOString()
    };
  }

  // Identical errors are sent once per page/process; at most perMinute reports a minute.
  function admit(p) {
    var id = p.name + '\n' + p.message + '\n' + p.stack.slice(0, 500);
    if (seen[id]) return false;
    var now = Date.now();
    while (sentAt.length && now - sentAt[0] > 60000) sentAt.shift();
    if (sentAt.length >= perMinute) return false;
    if (++nSeen > 500) { seen = {}; nSeen = 1; }
    seen[id] = 1;
    sentAt.push(now);
    return true;
  }

  function headers() {
    var h = { 'Content-Type': 'application/json' };
    if (key) h['X-Autoheal-Key'] = key;
    return h;
  }

  function post(body) {
    if (typeof fetch !== 'function') return;
    var opts = { method: 'POST', headers: headers(), body: body, keepalive: true, credentials: 'omit' };
    if (typeof AbortSignal === 'function' && AbortSignal.timeout) opts.signal = AbortSignal.timeout(graceMs);
    fetch(endpoint, opts).then(noop, noop);
  }

  // A dying Node process has no event loop turns left, so the POST runs in a child it waits for.
  var SENDER = "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>{const j=JSON.parse(d);" +
    "fetch(j.u,{method:'POST',headers:j.h,body:j.b,signal:AbortSignal.timeout(j.t)}).catch(()=>{})})";

  function postBeforeExit(body) {
    var childEnv = Object.assign({}, process.env);
    delete childEnv.NODE_OPTIONS;
    require('child_process').spawnSync(process.execPath, ['-e', SENDER], {
      input: JSON.stringify({ u: endpoint, h: headers(), b: body, t: graceMs }),
      timeout: graceMs + 500, stdio: ['pipe', 'ignore', 'ignore'], env: childEnv, windowsHide: true
    });
  }

  function capture(err, ctx, kind, dying) {
    if (busy || !endpoint) return;
    busy = true;
    try {
      var p = build(err, ctx, kind);
      if (admit(p)) (dying ? postBeforeExit : post)(JSON.stringify(p));
    } catch (e) { /* reporting must never break the host program */ }
    busy = false;
  }

  var api = {
    report: function (err, context) { capture(err, context, 'manual'); },
    // For SDK calls: once the last retry failed, report with the tool, its params and the retry count.
    retriesExhausted: function (err, context) { capture(err, context, 'retries-exhausted'); }
  };

  try {
    if (isNode) {
      // The monitor sees uncaught exceptions and unhandled rejections without changing what Node does next
      // (print the error, exit 1). Only when nobody handles the error is the process about to die.
      process.on('uncaughtExceptionMonitor', function (err, origin) {
        capture(err, null, origin === 'unhandledRejection' ? 'unhandledrejection' : 'uncaughtexception',
                process.listenerCount('uncaughtException') === 0);
      });
      if (typeof module === 'object' && module) module.exports = api;
    } else {
      root.addEventListener('error', function (ev) {
        if (!ev.error && ev.message === 'Script error.') return; // cross-origin script: nothing to act on
        capture(ev.error || { name: 'Error', message: ev.message,
                              stack: '    at ' + bare(ev.filename) + ':' + ev.lineno + ':' + ev.colno }, null, 'error');
      });
      root.addEventListener('unhandledrejection', function (ev) { capture(ev.reason, null, 'unhandledrejection'); });
      root.autoheal = api;
    }
  } catch (e) { /* an odd host (no addEventListener, frozen globals) just gets no hooks */ }
})(typeof globalThis !== 'undefined' ? globalThis : this);

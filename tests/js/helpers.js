'use strict';
// Shared rigs for the snippet's tests: a fake browser global, and a real loopback receiver.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const vm = require('node:vm');

const SNIPPET = path.join(__dirname, '..', '..', 'shims', 'autoheal.js');
const SOURCE = fs.readFileSync(SNIPPET, 'utf8');

/** Runs the snippet in a fresh context that looks like a page; fetch calls are recorded, not sent. */
function loadBrowser({ config, fetchImpl, href = 'https://app.example/shop/cart?session=abc#frag' } = {}) {
  const listeners = {};
  const calls = [];
  const win = {
    autohealConfig: config,
    navigator: { userAgent: 'TestAgent/1.0', platform: 'TestOS' },
    location: { href },
    addEventListener: (type, fn) => { (listeners[type] = listeners[type] || []).push(fn); },
    fetch: fetchImpl || ((url, opts) => { calls.push({ url, opts, body: JSON.parse(opts.body) }); return Promise.resolve({}); }),
    AbortSignal,
  };
  win.window = win;
  vm.createContext(win);
  vm.runInContext(SOURCE, win, { filename: 'autoheal.js' });
  const fire = (type, ev) => (listeners[type] || []).forEach((fn) => fn(ev));
  return { win, calls, fire, api: win.autoheal };
}

/** A loopback HTTP server that keeps every POST body; `hang` makes it never answer. */
async function receiver({ hang = false } = {}) {
  const bodies = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      bodies.push({ url: req.url, headers: req.headers, body: JSON.parse(data) });
      waiters.splice(0).forEach((w) => w());
      if (!hang) res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const next = () => new Promise((resolve) => waiters.push(resolve));
  const close = () => { server.closeAllConnections(); server.close(); };
  return { url, bodies, next, close };
}

module.exports = { SNIPPET, loadBrowser, receiver };

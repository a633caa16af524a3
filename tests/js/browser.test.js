'use strict';
// The snippet's browser half, run in a vm context that stands in for a page.
const test = require('node:test');
const assert = require('node:assert/strict');
const { loadBrowser } = require('./helpers');

const PATH = '/api/auto-heal/report-client-error';

function thrown(message, name = 'TypeError') {
  const err = new Error(message);
  err.name = name;
  err.stack = `${name}: ${message}\n    at render (https://app.example/static/app.js?v=3&token=t0k:10:5)\n    at https://app.example/static/vendor.js#x:1:2`;
  return err;
}

test('an uncaught error is posted with page, agent and platform, minus query and fragment', () => {
  const { calls, fire } = loadBrowser({ config: { endpoint: 'https://errors.example', key: 'pub-1' } });
  fire('error', { error: thrown('x is undefined'), message: 'x is undefined' });
  assert.equal(calls.length, 1);
  const { url, opts, body } = calls[0];
  assert.equal(url, `https://errors.example${PATH}`);
  assert.equal(opts.headers['X-Autoheal-Key'], 'pub-1');
  assert.equal(opts.credentials, 'omit');
  assert.equal(body.kind, 'error');
  assert.equal(body.runtime, 'browser');
  assert.equal(body.name, 'TypeError');
  assert.equal(body.message, 'x is undefined');
  assert.equal(body.url, 'https://app.example/shop/cart');
  assert.equal(body.userAgent, 'TestAgent/1.0');
  assert.equal(body.platform, 'TestOS');
  assert.ok(!body.stack.includes('token'), body.stack);
  assert.ok(!body.stack.includes('#x'), body.stack);
  assert.match(body.stack, /app\.js:10:5/);
});

test('an unhandled rejection is posted, whatever the reason is', () => {
  const { calls, fire } = loadBrowser();
  fire('unhandledrejection', { reason: thrown('fetch failed') });
  fire('unhandledrejection', { reason: 'a bare string' });
  fire('unhandledrejection', { reason: undefined });
  assert.deepEqual(calls.map((c) => c.body.kind), ['unhandledrejection', 'unhandledrejection', 'unhandledrejection']);
  assert.equal(calls[0].url, PATH, 'no config: same-origin endpoint');
  assert.equal(calls[1].body.message, 'a bare string');
  assert.equal(calls[1].body.name, 'Error');
});

test('a rejection with a plain object says what the object held', () => {
  const { calls, fire } = loadBrowser();
  fire('unhandledrejection', { reason: { code: 'E_QUOTA', status: 429 } });
  assert.equal(calls[0].body.name, 'Object');
  assert.equal(calls[0].body.message, '{"code":"E_QUOTA","status":429}');
});

test('an error event without an error object still names where it happened', () => {
  const { calls, fire } = loadBrowser();
  fire('error', { message: 'boom', filename: 'https://app.example/a.js?s=1', lineno: 3, colno: 9 });
  assert.equal(calls[0].body.stack, '    at https://app.example/a.js:3:9');
});

test('opaque cross-origin "Script error." is ignored', () => {
  const { calls, fire } = loadBrowser();
  fire('error', { message: 'Script error.' });
  assert.equal(calls.length, 0);
});

test('report() carries tool, params and retries; secret-looking params are masked', () => {
  const { calls, api } = loadBrowser();
  api.report(thrown('quota'), { tool: 'search', params: { q: 'shoes', apiKey: 'sk-123', nested: { a: 1 } }, retries: 2, screen: 'cart' });
  const body = calls[0].body;
  assert.equal(body.kind, 'manual');
  assert.equal(body.tool, 'search');
  assert.deepEqual(body.params, { q: 'shoes', apiKey: '[redacted]', nested: '{"a":1}' });
  assert.equal(body.retries, 2);
  assert.deepEqual(body.context, { screen: 'cart' });
});

test('retriesExhausted() reports the SDK call that gave up', () => {
  const { calls, api } = loadBrowser();
  api.retriesExhausted(thrown('503 from upstream', 'HttpError'), { tool: 'listOrders', params: { page: 4 }, retries: 5 });
  assert.equal(calls[0].body.kind, 'retries-exhausted');
  assert.equal(calls[0].body.retries, 5);
  assert.deepEqual(calls[0].body.params, { page: 4 });
});

test('identical errors are sent once per page', () => {
  const { calls, fire, api } = loadBrowser();
  for (let i = 0; i < 5; i++) fire('error', { error: thrown('same') });
  api.report(thrown('same'));
  api.report(thrown('different'));
  assert.equal(calls.length, 2);
});

test('at most maxPerMinute reports a minute', () => {
  const { calls, api } = loadBrowser({ config: { maxPerMinute: 3 } });
  for (let i = 0; i < 10; i++) api.report(thrown(`distinct ${i}`));
  assert.equal(calls.length, 3);
});

test('never throws: hostile errors, contexts and a broken fetch', () => {
  const circular = {};
  circular.self = circular;
  const hostile = { get message() { throw new Error('getter'); } };
  const { api } = loadBrowser({ fetchImpl: () => { throw new Error('fetch exploded'); } });
  for (const err of [undefined, null, 0, '', 'text', circular, hostile, Symbol('s'), () => 1]) {
    assert.doesNotThrow(() => api.report(err, { params: circular, tool: { toString: null } }));
  }
  assert.doesNotThrow(() => api.report(new Error('x'), 'not an object'));
});

test('a failed delivery is swallowed: no unhandled rejection, no second report', async () => {
  let attempts = 0;
  const unhandled = [];
  const spy = (reason) => unhandled.push(reason);
  process.on('unhandledRejection', spy);
  const { api } = loadBrowser({ fetchImpl: () => { attempts++; return Promise.reject(new TypeError('Failed to fetch')); } });
  api.report(thrown('first'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('unhandledRejection', spy);
  assert.equal(attempts, 1);
  assert.deepEqual(unhandled, []);
});

test('the payload stays bounded whatever the error holds', () => {
  const { calls, api } = loadBrowser();
  const err = thrown('m'.repeat(100000));
  err.stack = 's'.repeat(100000);
  const params = {};
  for (let i = 0; i < 500; i++) params[`p${i}`] = 'v'.repeat(5000);
  api.report(err, { params, tool: 't'.repeat(5000) });
  assert.ok(JSON.stringify(calls[0].body).length < 64 * 1024);
  assert.equal(Object.keys(calls[0].body.params).length, 50);
});

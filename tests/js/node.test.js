'use strict';
// The snippet's Node half: real child processes started with `node -r autoheal.js`, a real loopback receiver.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { SNIPPET, receiver } = require('./helpers');

const PATH = '/api/auto-heal/report-client-error';

/** Runs `code` under the snippet; resolves with exit code, stderr and wall time. */
function runNode(code, env = {}, args = ['-r', SNIPPET]) {
  const started = Date.now();
  const child = spawn(process.execPath, [...args, '-e', code], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c) => { stderr += c; });
  child.stdout.on('data', (c) => { stdout += c; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr, stdout, ms: Date.now() - started })));
}

function baseline(code) {
  return runNode(code, {}, []);
}

const CRASH = "function chargeCard() { throw new RangeError('card declined 4242'); } setTimeout(chargeCard, 5);";

test('an uncaught exception is posted, then Node prints it and exits 1 as it would anyway', async () => {
  const rx = await receiver();
  try {
    const run = await runNode(CRASH, { AUTOHEAL_ENDPOINT: rx.url, AUTOHEAL_INGEST_KEY: 'pub-9' });
    const plain = await baseline(CRASH);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, plain.stderr, 'Node\'s own report of the crash is unchanged');
    assert.equal(rx.bodies.length, 1);
    const { url, headers, body } = rx.bodies[0];
    assert.equal(url, PATH);
    assert.equal(headers['x-autoheal-key'], 'pub-9');
    assert.equal(body.kind, 'uncaughtexception');
    assert.equal(body.runtime, 'node');
    assert.equal(body.name, 'RangeError');
    assert.equal(body.message, 'card declined 4242');
    assert.match(body.stack, /at Timeout\.chargeCard/);
    assert.match(body.userAgent, /^Node\.js v\d+/);
    assert.equal(body.platform, `${process.platform} ${process.arch}`);
  } finally {
    rx.close();
  }
});

test('an unhandled rejection is posted and the process still exits 1', async () => {
  const rx = await receiver();
  try {
    const code = "Promise.reject(new Error('lost promise'))";
    const run = await runNode(code, { AUTOHEAL_ENDPOINT: `${rx.url}${PATH}` });
    assert.equal(run.code, 1);
    assert.equal(run.stderr, (await baseline(code)).stderr);
    assert.equal(rx.bodies[0].body.kind, 'unhandledrejection');
    assert.equal(rx.bodies[0].body.message, 'lost promise');
  } finally {
    rx.close();
  }
});

test('an endpoint that never answers delays exit by at most the grace period', async () => {
  const rx = await receiver({ hang: true });
  try {
    const run = await runNode(CRASH, { AUTOHEAL_ENDPOINT: rx.url, AUTOHEAL_GRACE_MS: '400' });
    assert.equal(run.code, 1);
    assert.ok(run.ms < 400 + 1500, `took ${run.ms} ms`);
  } finally {
    rx.close();
  }
});

test('an unreachable endpoint changes nothing', async () => {
  const run = await runNode(CRASH, { AUTOHEAL_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(run.code, 1);
  assert.equal(run.stderr, (await baseline(CRASH)).stderr);
});

test('a program that handles uncaughtException itself keeps running; the error is still posted', async () => {
  const rx = await receiver();
  try {
    const code = "process.on('uncaughtException', (e) => console.log('handled ' + e.message));" +
      "setTimeout(() => { throw new Error('survivable'); }, 5); setTimeout(() => console.log('still alive'), 300);";
    const run = await runNode(code, { AUTOHEAL_ENDPOINT: rx.url });
    assert.equal(run.code, 0);
    assert.equal(run.stdout, 'handled survivable\nstill alive\n');
    assert.equal(rx.bodies[0].body.message, 'survivable');
  } finally {
    rx.close();
  }
});

test('require() gives report() and retriesExhausted() without changing exit behaviour', async () => {
  const rx = await receiver();
  try {
    const code = `const ah = require(${JSON.stringify(SNIPPET)});` +
      "ah.retriesExhausted(new Error('upstream 503'), { tool: 'sync', params: { id: 7, password: 'hunter2' }, retries: 3 });";
    const run = await runNode(code, { AUTOHEAL_ENDPOINT: rx.url }, []);
    assert.equal(run.code, 0);
    const { body } = rx.bodies[0];
    assert.equal(body.kind, 'retries-exhausted');
    assert.deepEqual(body.params, { id: 7, password: '[redacted]' });
    assert.equal(body.retries, 3);
    assert.equal(body.tool, 'sync');
  } finally {
    rx.close();
  }
});

test('without AUTOHEAL_ENDPOINT the snippet stays silent', async () => {
  const run = await runNode(CRASH);
  assert.equal(run.code, 1);
  assert.equal(run.stderr, (await baseline(CRASH)).stderr);
});

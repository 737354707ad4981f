'use strict';
// Shared helpers for the real-client checks (cart_ioredis.js, cart_node_redis.js).
// No dependencies beyond node's standard library.

const assert = require('node:assert/strict');
const util = require('node:util');

// Command line: node SCRIPT PACKAGE_ALIAS URL [--resp 2|3] [--mode cart|auth] [--timeout-ms N]
function parseArgs(argv, script) {
  const usage =
    `usage: node ${script} PACKAGE_ALIAS URL [--resp 2|3] [--mode cart|auth] [--timeout-ms N]`;
  const pos = [];
  const opts = { resp: null, mode: 'cart', timeoutMs: 30000 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--resp') opts.resp = Number(argv[++i]);
    else if (a === '--mode') opts.mode = argv[++i];
    else if (a === '--timeout-ms') opts.timeoutMs = Number(argv[++i]);
    else if (a === '-h' || a === '--help') { console.log(usage); process.exit(0); }
    else if (a.startsWith('--')) die(`unknown option ${a}\n${usage}`);
    else pos.push(a);
  }
  if (pos.length !== 2) die(usage);
  [opts.pkg, opts.url] = pos;
  if (opts.resp !== null && opts.resp !== 2 && opts.resp !== 3) die('--resp must be 2 or 3');
  if (!['cart', 'auth'].includes(opts.mode)) die('--mode must be cart or auth');
  return opts;
}

function die(msg) {
  console.error(msg);
  process.exit(2);
}

// The step currently running, so a failure or a hang says where it happened.
let currentStep = '(start)';
function step(name) {
  currentStep = name;
}

function fail(msg) {
  // One line, so the runner can show it as the FAIL reason.
  console.error(`FAIL at step "${currentStep}": ${msg}`.replace(/\s*\n\s*/g, ' | '));
  process.exit(1);
}

// Abort the whole script if it runs longer than ms (a hung client must not hang CTest).
function watchdog(ms) {
  const t = setTimeout(() => fail(`timed out after ${ms} ms`), ms);
  t.unref();
}

function show(v) {
  return util.inspect(v, { depth: 4, breakLength: Infinity, maxArrayLength: 20 });
}

function eq(actual, expected, what) {
  try {
    assert.deepStrictEqual(actual, expected);
  } catch {
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

function ok(cond, what) {
  if (!cond) fail(what);
}

// Some clients build replies with a null prototype; compare plain objects.
function plain(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || Buffer.isBuffer(obj)) {
    return obj;
  }
  return Object.fromEntries(Object.entries(obj));
}

// Awaits promise and checks it rejects with a message matching re.
async function rejects(promise, re, what) {
  let value;
  try {
    value = await promise;
  } catch (e) {
    const msg = e && e.message ? e.message : String(e);
    if (!re.test(msg)) fail(`${what}: expected an error matching ${re}, got error ${show(msg)}`);
    return msg;
  }
  fail(`${what}: expected an error matching ${re}, got reply ${show(value)}`);
}

// Every byte value once, including \r, \n and \0: must survive a round trip untouched.
function allBytes() {
  return Buffer.from(Array.from({ length: 256 }, (_, i) => i));
}

function isBinaryEqual(actual, expected) {
  return Buffer.isBuffer(actual) && actual.equals(expected);
}

// Run main() and exit with a clear status; unexpected exceptions are failures too.
function run(main, opts) {
  watchdog(opts.timeoutMs);
  main(opts).then(
    () => {
      console.log(`OK ${opts.pkg} ${opts.mode}${opts.resp ? ` resp${opts.resp}` : ''}`);
      process.exit(0);
    },
    (e) => fail(`unexpected error: ${e && e.message !== undefined ? `${e.name}: ${e.message}` : show(e)}`),
  );
}

// The expected cart after the HSET/HINCRBY/HDEL steps (shared by both scripts).
const CART_AFTER_EDITS = { 'item:1': '5', 'item:2': '1' };

module.exports = {
  parseArgs, step, fail, eq, ok, plain, rejects, allBytes, isBinaryEqual, run, show,
  CART_AFTER_EDITS,
};

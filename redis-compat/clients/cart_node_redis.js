'use strict';
// A shopping-cart session through node-redis, as an application would run it.
//
//   node cart_node_redis.js redis4 redis://127.0.0.1:6379            (RESP2: node-redis 4 has no RESP3)
//   node cart_node_redis.js redis6 redis://127.0.0.1:6379 --resp 3   (HELLO 3, RESP3 maps checked)
//   node cart_node_redis.js redis6 redis://:secret@127.0.0.1:6379 --resp 3 --mode auth
//
// PACKAGE_ALIAS is one of the npm aliases in package.json. Exits 0 when every step
// matched, 1 with a one-line "FAIL at step ...: ..." message otherwise.

const {
  parseArgs, step, fail, eq, ok, plain, rejects, allBytes, isBinaryEqual, run, show,
  CART_AFTER_EDITS,
} = require('./common');

const opts = parseArgs(process.argv, 'cart_node_redis.js');
const lib = require(opts.pkg);
const major = Number(require(`${opts.pkg}/package.json`).version.split('.')[0]);
// node-redis 5+ speaks RESP3 when asked (RESP: 3); 4 is RESP2 only.
const hasResp3 = major >= 5;
const resp = opts.resp ?? (hasResp3 ? 3 : 2);
if (resp === 3 && !hasResp3) fail(`${opts.pkg} (node-redis ${major}) cannot speak RESP3`);

function clientOptions(url) {
  const o = {
    url,
    socket: { connectTimeout: 5000, reconnectStrategy: false },
  };
  if (hasResp3) o.RESP = resp;
  return o;
}

async function connect(url) {
  const c = lib.createClient(clientOptions(url));
  const seen = [];
  c.on('error', (e) => seen.push(e && e.message ? e.message : String(e)));
  try {
    await c.connect();
  } catch (e) {
    if (seen.length && e && typeof e.message === 'string' && !seen.includes(e.message)) {
      e.message += ` (client error events: ${seen.join('; ')})`;
    }
    throw e;
  }
  return c;
}

// A view of the client whose bulk-string replies are Buffers.
function buffers(c) {
  if (typeof c.withTypeMapping === 'function' && lib.RESP_TYPES) {
    return {
      get: (k) => c.withTypeMapping({ [lib.RESP_TYPES.BLOB_STRING]: Buffer }).get(k),
      hGet: (k, f) => c.withTypeMapping({ [lib.RESP_TYPES.BLOB_STRING]: Buffer }).hGet(k, f),
    };
  }
  const co = lib.commandOptions({ returnBuffers: true });
  return { get: (k) => c.get(co, k), hGet: (k, f) => c.hGet(co, k, f) };
}

async function close(c) {
  if (major >= 5 && typeof c.close === 'function') {
    await c.close();
  } else {
    eq(await c.quit(), 'OK', 'QUIT');
  }
}

// Checks that the connection really negotiated the protocol we asked for.
async function checkProtocol(c, hashKey) {
  if (resp === 3) {
    step('HELLO 3 reply');
    const hello = plain(await c.sendCommand(['HELLO', '3']));
    ok(hello && typeof hello === 'object' && !Array.isArray(hello),
      `HELLO 3 must reply with a RESP3 map, got ${show(hello)}`);
    eq(hello.proto, 3, 'HELLO 3 reply field proto');
  }
  step(`raw HGETALL reply type under RESP${resp}`);
  const raw = await c.sendCommand(['HGETALL', hashKey]);
  if (resp === 3) {
    ok(raw && typeof raw === 'object' && !Array.isArray(raw),
      `under RESP3 HGETALL must be a map (%), got ${show(raw)}`);
  } else {
    ok(Array.isArray(raw), `under RESP2 HGETALL must be a flat array, got ${show(raw)}`);
  }
}

async function cart({ pkg, url }) {
  const tag = `${pkg}-resp${resp}`;
  const K = {
    cart: `${tag}:cart:u1`,
    session: `${tag}:session:u1`,
    orders: `${tag}:orders:seq`,
    missing: `${tag}:missing`,
    bin: `${tag}:bin`,
    big: `${tag}:big`,
    pipe: (i) => `${tag}:pipe:${i}`,
  };

  step('connect');
  const c = await connect(url);
  const b = buffers(c);

  step('PING');
  eq(await c.ping(), 'PONG', 'PING');

  step('clean slate');
  await c.del([K.cart, K.session, K.orders, K.missing, K.bin, K.big]);

  step('HSET one field');
  eq(await c.hSet(K.cart, 'item:1', 2), 1, 'HSET cart item:1 2');
  step('HSET several fields');
  eq(await c.hSet(K.cart, { 'item:2': '1', 'item:3': '7' }), 2, 'HSET cart item:2 1 item:3 7');
  step('HSET existing field');
  eq(await c.hSet(K.cart, 'item:3', '7'), 0, 'HSET of an existing field returns 0');

  step('HINCRBY');
  eq(await c.hIncrBy(K.cart, 'item:1', 3), 5, 'HINCRBY cart item:1 3');

  step('HGETALL');
  eq(plain(await c.hGetAll(K.cart)), { 'item:1': '5', 'item:2': '1', 'item:3': '7' }, 'HGETALL cart');

  await checkProtocol(c, K.cart);

  step('HDEL');
  eq(await c.hDel(K.cart, 'item:3'), 1, 'HDEL cart item:3');
  eq(await c.hDel(K.cart, 'item:3'), 0, 'HDEL of a missing field');
  step('HLEN');
  eq(await c.hLen(K.cart), 2, 'HLEN cart');
  step('HGET');
  eq(await c.hGet(K.cart, 'item:1'), '5', 'HGET cart item:1');
  eq(await c.hGet(K.cart, 'item:9'), null, 'HGET of a missing field');
  eq(plain(await c.hGetAll(K.cart)), CART_AFTER_EDITS, 'HGETALL after HDEL');
  eq(plain(await c.hGetAll(K.missing)), {}, 'HGETALL of a missing key');

  step('EXPIRE + TTL');
  eq(await c.ttl(K.cart), -1, 'TTL before EXPIRE');
  eq(Number(await c.expire(K.cart, 3600)), 1, 'EXPIRE cart 3600'); // v4: true, v5+: 1
  const ttl = await c.ttl(K.cart);
  ok(ttl >= 3590 && ttl <= 3600, `TTL cart must be in [3590, 3600], got ${show(ttl)}`);
  eq(await c.ttl(K.missing), -2, 'TTL of a missing key');

  step('SET EX NX');
  eq(await c.set(K.session, 'tok-abc123', { EX: 60, NX: true }), 'OK', 'SET session EX 60 NX');
  eq(await c.set(K.session, 'tok-other', { EX: 60, NX: true }), null, 'second SET NX on an existing key');
  const sttl = await c.ttl(K.session);
  ok(sttl >= 50 && sttl <= 60, `TTL session must be in [50, 60], got ${show(sttl)}`);
  step('GET');
  eq(await c.get(K.session), 'tok-abc123', 'GET session');
  eq(await c.get(K.missing), null, 'GET of a missing key');
  step('MGET');
  eq(await c.mGet([K.session, K.missing, K.cart]), ['tok-abc123', null, null],
    'MGET session missing cart (a hash reads as nil)');

  step('INCR');
  eq(await c.incr(K.orders), 1, 'first INCR');
  eq(await c.incr(K.orders), 2, 'second INCR');
  eq(await c.incrBy(K.orders, 10), 12, 'INCRBY 10');

  step('MULTI/EXEC');
  const tx = await c.multi()
    .hSet(K.cart, 'item:3', 1)
    .hIncrBy(K.cart, 'item:1', 1)
    .hLen(K.cart)
    .incr(K.orders)
    .get(K.session)
    .exec();
  eq(tx, [1, 6, 3, 13, 'tok-abc123'], 'MULTI/EXEC results');
  eq(plain(await c.hGetAll(K.cart)), { 'item:1': '6', 'item:2': '1', 'item:3': '1' }, 'cart after EXEC');

  step('pipeline of 100 commands (execAsPipeline)');
  const p = c.multi();
  const expected = [];
  for (let i = 0; i < 100; i++) {
    if (i % 2 === 0) {
      p.set(K.pipe(i), `value-${i}`);
      expected.push('OK');
    } else {
      p.get(K.pipe(i - 1));
      expected.push(`value-${i - 1}`);
    }
  }
  eq(await p.execAsPipeline(), expected, 'execAsPipeline results');
  step('100 concurrent commands (auto-pipelined)');
  const incrs = await Promise.all(Array.from({ length: 100 }, () => c.incr(K.orders)));
  eq(incrs, Array.from({ length: 100 }, (_, i) => 14 + i), 'replies of 100 concurrent INCRs, in order');
  const pipeKeys = Array.from({ length: 50 }, (_, j) => K.pipe(2 * j));
  eq(await c.del(pipeKeys), 50, 'DEL of the 50 pipelined keys');

  step('binary value round trip');
  const bytes = allBytes();
  eq(await c.set(K.bin, bytes), 'OK', 'SET of bytes 0..255');
  const got = await b.get(K.bin);
  ok(isBinaryEqual(got, bytes), `GET returned ${show(got)}, not bytes 0..255`);
  eq(await c.strLen(K.bin), 256, 'STRLEN of the binary value');
  step('binary hash field value');
  eq(await c.hSet(K.cart, 'gift-card', bytes), 1, 'HSET binary field value');
  const hv = await b.hGet(K.cart, 'gift-card');
  ok(isBinaryEqual(hv, bytes), `HGET returned ${show(hv)}, not bytes 0..255`);
  eq(await c.hDel(K.cart, 'gift-card'), 1, 'HDEL binary field');
  step('binary key');
  const binKey = Buffer.concat([Buffer.from(`${tag}:`), bytes]);
  eq(await c.set(binKey, 'under a binary key'), 'OK', 'SET with a binary key');
  eq(await c.get(binKey), 'under a binary key', 'GET with a binary key');
  eq(await c.del(binKey), 1, 'DEL binary key');
  step('1 MiB value');
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
  eq(await c.set(K.big, big), 'OK', 'SET 1 MiB');
  const bigBack = await b.get(K.big);
  ok(isBinaryEqual(bigBack, big), `1 MiB value came back different (length ${bigBack && bigBack.length})`);

  step('error: HINCRBY on a non-integer field');
  eq(await c.hSet(K.cart, 'note', 'gift wrap please'), 1, 'HSET note');
  await rejects(c.hIncrBy(K.cart, 'note', 1), /^ERR hash value is not an integer/,
    'HINCRBY cart note 1');
  step('error: INCR on a non-integer string');
  await rejects(c.incr(K.session), /^ERR value is not an integer or out of range/, 'INCR session');
  step('error: WRONGTYPE');
  await rejects(c.get(K.cart), /^WRONGTYPE Operation against a key holding the wrong kind of value/,
    'GET on a hash');
  step('connection still usable after errors');
  eq(await c.ping(), 'PONG', 'PING after errors');
  eq(await c.hGet(K.cart, 'note'), 'gift wrap please', 'failed HINCRBY left the field alone');

  step('DEL');
  eq(await c.del([K.cart, K.session, K.orders, K.bin, K.big, K.missing]), 5,
    'DEL of 5 existing + 1 missing');
  eq(await c.exists([K.cart, K.session, K.orders]), 0, 'EXISTS after DEL');

  step('close');
  await close(c);
}

async function auth({ pkg, url }) {
  const tag = `${pkg}-resp${resp}-auth`;
  step('connect with password in the URL');
  const c = await connect(url);
  eq(await c.ping(), 'PONG', 'PING when authenticated');
  step('HSET when authenticated');
  eq(await c.hSet(`${tag}:cart`, 'item:1', 1), 1, 'HSET');
  await checkProtocol(c, `${tag}:cart`);
  step('SET/GET when authenticated');
  eq(await c.set(`${tag}:k`, 'v'), 'OK', 'SET');
  eq(await c.get(`${tag}:k`), 'v', 'GET');
  eq(await c.del([`${tag}:k`, `${tag}:cart`]), 2, 'DEL');
  await close(c);

  const u = new URL(url);
  u.username = '';
  u.password = '';
  step('no password: commands are refused with NOAUTH');
  await rejects((async () => {
    const anon = await connect(u.toString());
    try {
      return await anon.get(`${tag}:k`);
    } finally {
      anon.destroy ? anon.destroy() : anon.disconnect();
    }
  })(), /NOAUTH/, 'GET without a password');

  step('wrong password is refused');
  u.password = 'not-the-secret';
  await rejects((async () => {
    const bad = await connect(u.toString());
    try {
      return await bad.get(`${tag}:k`);
    } finally {
      bad.destroy ? bad.destroy() : bad.disconnect();
    }
  })(), /WRONGPASS|invalid password/, 'connect with a wrong password');
}

run(opts.mode === 'auth' ? auth : cart, opts);

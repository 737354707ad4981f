'use strict';
// A shopping-cart session through ioredis, as an application would run it.
//
//   node cart_ioredis.js ioredis5 redis://127.0.0.1:6379            (RESP2: ioredis 5 has no RESP3)
//   node cart_ioredis.js ioredis6 redis://127.0.0.1:6379 --resp 3   (HELLO 3, RESP3 maps checked)
//   node cart_ioredis.js ioredis6 redis://:secret@127.0.0.1:6379 --resp 3 --mode auth
//
// PACKAGE_ALIAS is one of the npm aliases in package.json. Exits 0 when every step
// matched, 1 with a one-line "FAIL at step ...: ..." message otherwise.

const {
  parseArgs, step, fail, eq, ok, plain, rejects, allBytes, isBinaryEqual, run, show,
  CART_AFTER_EDITS,
} = require('./common');

const opts = parseArgs(process.argv, 'cart_ioredis.js');
const Redis = require(opts.pkg);
const major = Number(require(`${opts.pkg}/package.json`).version.split('.')[0]);
const resp = opts.resp ?? (major >= 6 ? 3 : 2);
if (resp === 3 && major < 6) fail(`${opts.pkg} (ioredis ${major}) cannot speak RESP3`);

function clientOptions(extra = {}) {
  const o = {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // fail fast: never reconnect in a test
    ...extra,
  };
  if (major >= 6) {
    o.protocol = resp;
    // "resp3" hands RESP3 maps back as objects, so we can see the server sent a map.
    if (resp === 3) o.replyMapping = 'resp3';
  }
  return o;
}

// Connects and waits for "ready". ioredis reports handshake failures (AUTH, HELLO)
// through the 'error' event and then only rejects with "Connection is closed", so
// errors seen on the event are appended to whatever the calls reject with.
async function connect(url, extra) {
  const r = new Redis(url, clientOptions(extra));
  const seen = [];
  r.on('error', (e) => seen.push(e && e.message ? e.message : String(e)));
  const withSeen = (e) => {
    if (seen.length && e && typeof e.message === 'string') {
      e.message += ` (client error events: ${seen.join('; ')})`;
    }
    return e;
  };
  try {
    await r.connect();
  } catch (e) {
    throw withSeen(e);
  }
  r.withSeen = withSeen;
  return r;
}

// Checks that the connection really negotiated the protocol we asked for.
async function checkProtocol(r, hashKey) {
  if (major < 6) return;
  step(`negotiated protocol is RESP${resp}`);
  eq(r.condition && r.condition.protocol, resp,
    `protocol in use after connect (2 means the server rejected HELLO ${resp} and the client downgraded)`);
  if (resp === 3) {
    step('HELLO 3 reply');
    const hello = plain(await r.call('HELLO', '3'));
    ok(hello && typeof hello === 'object' && !Array.isArray(hello),
      `HELLO 3 must reply with a RESP3 map, got ${show(hello)}`);
    eq(hello.proto, 3, 'HELLO 3 reply field proto');
  }
  step(`raw HGETALL reply type under RESP${resp}`);
  const raw = await r.call('HGETALL', hashKey);
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
  const r = await connect(url);

  step('PING');
  eq(await r.ping(), 'PONG', 'PING');

  step('clean slate');
  await r.del(K.cart, K.session, K.orders, K.missing, K.bin, K.big);

  step('HSET one field');
  eq(await r.hset(K.cart, 'item:1', 2), 1, 'HSET cart item:1 2');
  step('HSET several fields');
  eq(await r.hset(K.cart, { 'item:2': '1', 'item:3': '7' }), 2, 'HSET cart item:2 1 item:3 7');
  step('HSET existing field');
  eq(await r.hset(K.cart, 'item:3', '7'), 0, 'HSET of an existing field returns 0');

  step('HINCRBY');
  eq(await r.hincrby(K.cart, 'item:1', 3), 5, 'HINCRBY cart item:1 3');

  step('HGETALL');
  eq(plain(await r.hgetall(K.cart)), { 'item:1': '5', 'item:2': '1', 'item:3': '7' }, 'HGETALL cart');

  await checkProtocol(r, K.cart);

  step('HDEL');
  eq(await r.hdel(K.cart, 'item:3'), 1, 'HDEL cart item:3');
  eq(await r.hdel(K.cart, 'item:3'), 0, 'HDEL of a missing field');
  step('HLEN');
  eq(await r.hlen(K.cart), 2, 'HLEN cart');
  step('HGET');
  eq(await r.hget(K.cart, 'item:1'), '5', 'HGET cart item:1');
  eq(await r.hget(K.cart, 'item:9'), null, 'HGET of a missing field');
  eq(plain(await r.hgetall(K.cart)), CART_AFTER_EDITS, 'HGETALL after HDEL');
  eq(plain(await r.hgetall(K.missing)), {}, 'HGETALL of a missing key');

  step('EXPIRE + TTL');
  eq(await r.ttl(K.cart), -1, 'TTL before EXPIRE');
  eq(await r.expire(K.cart, 3600), 1, 'EXPIRE cart 3600');
  const ttl = await r.ttl(K.cart);
  ok(ttl >= 3590 && ttl <= 3600, `TTL cart must be in [3590, 3600], got ${show(ttl)}`);
  eq(await r.ttl(K.missing), -2, 'TTL of a missing key');

  step('SET EX NX');
  eq(await r.set(K.session, 'tok-abc123', 'EX', 60, 'NX'), 'OK', 'SET session EX 60 NX');
  eq(await r.set(K.session, 'tok-other', 'EX', 60, 'NX'), null, 'second SET NX on an existing key');
  const sttl = await r.ttl(K.session);
  ok(sttl >= 50 && sttl <= 60, `TTL session must be in [50, 60], got ${show(sttl)}`);
  step('GET');
  eq(await r.get(K.session), 'tok-abc123', 'GET session');
  eq(await r.get(K.missing), null, 'GET of a missing key');
  step('MGET');
  eq(await r.mget(K.session, K.missing, K.cart), ['tok-abc123', null, null],
    'MGET session missing cart (a hash reads as nil)');

  step('INCR');
  eq(await r.incr(K.orders), 1, 'first INCR');
  eq(await r.incr(K.orders), 2, 'second INCR');
  eq(await r.incrby(K.orders, 10), 12, 'INCRBY 10');

  step('MULTI/EXEC');
  const tx = await r.multi()
    .hset(K.cart, 'item:3', 1)
    .hincrby(K.cart, 'item:1', 1)
    .hlen(K.cart)
    .incr(K.orders)
    .get(K.session)
    .exec();
  eq(tx, [[null, 1], [null, 6], [null, 3], [null, 13], [null, 'tok-abc123']], 'MULTI/EXEC results');
  eq(plain(await r.hgetall(K.cart)), { 'item:1': '6', 'item:2': '1', 'item:3': '1' }, 'cart after EXEC');

  step('pipeline of 100 commands');
  const p = r.pipeline();
  const expected = [];
  for (let i = 0; i < 100; i++) {
    if (i % 2 === 0) {
      p.set(K.pipe(i), `value-${i}`);
      expected.push([null, 'OK']);
    } else {
      p.get(K.pipe(i - 1));
      expected.push([null, `value-${i - 1}`]);
    }
  }
  eq(await p.exec(), expected, 'pipeline results');
  const pipeKeys = Array.from({ length: 50 }, (_, j) => K.pipe(2 * j));
  eq(await r.del(...pipeKeys), 50, 'DEL of the 50 pipelined keys');

  step('binary value round trip');
  const bytes = allBytes();
  eq(await r.set(K.bin, bytes), 'OK', 'SET of bytes 0..255');
  const got = await r.getBuffer(K.bin);
  ok(isBinaryEqual(got, bytes), `GET returned ${show(got)}, not bytes 0..255`);
  eq(await r.strlen(K.bin), 256, 'STRLEN of the binary value');
  step('binary hash field value');
  eq(await r.hset(K.cart, 'gift-card', bytes), 1, 'HSET binary field value');
  const hv = await r.hgetBuffer(K.cart, 'gift-card');
  ok(isBinaryEqual(hv, bytes), `HGET returned ${show(hv)}, not bytes 0..255`);
  eq(await r.hdel(K.cart, 'gift-card'), 1, 'HDEL binary field');
  step('binary key');
  const binKey = Buffer.concat([Buffer.from(`${tag}:`), bytes]);
  eq(await r.set(binKey, 'under a binary key'), 'OK', 'SET with a binary key');
  eq(await r.get(binKey), 'under a binary key', 'GET with a binary key');
  eq(await r.del(binKey), 1, 'DEL binary key');
  step('1 MiB value');
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
  eq(await r.set(K.big, big), 'OK', 'SET 1 MiB');
  const bigBack = await r.getBuffer(K.big);
  ok(isBinaryEqual(bigBack, big), `1 MiB value came back different (length ${bigBack && bigBack.length})`);

  step('error: HINCRBY on a non-integer field');
  eq(await r.hset(K.cart, 'note', 'gift wrap please'), 1, 'HSET note');
  await rejects(r.hincrby(K.cart, 'note', 1), /^ERR hash value is not an integer/,
    'HINCRBY cart note 1');
  step('error: INCR on a non-integer string');
  await rejects(r.incr(K.session), /^ERR value is not an integer or out of range/, 'INCR session');
  step('error: WRONGTYPE');
  await rejects(r.get(K.cart), /^WRONGTYPE Operation against a key holding the wrong kind of value/,
    'GET on a hash');
  step('connection still usable after errors');
  eq(await r.ping(), 'PONG', 'PING after errors');
  eq(await r.hget(K.cart, 'note'), 'gift wrap please', 'failed HINCRBY left the field alone');

  step('DEL');
  eq(await r.del(K.cart, K.session, K.orders, K.bin, K.big, K.missing), 5, 'DEL of 5 existing + 1 missing');
  eq(await r.exists(K.cart, K.session, K.orders), 0, 'EXISTS after DEL');

  step('QUIT');
  eq(await r.quit(), 'OK', 'QUIT');
}

async function auth({ pkg, url }) {
  const tag = `${pkg}-resp${resp}-auth`;
  step('connect with password in the URL');
  const r = await connect(url);
  eq(await r.ping(), 'PONG', 'PING when authenticated');
  step('HSET when authenticated');
  eq(await r.hset(`${tag}:cart`, 'item:1', 1), 1, 'HSET');
  await checkProtocol(r, `${tag}:cart`);
  step('SET/GET when authenticated');
  eq(await r.set(`${tag}:k`, 'v'), 'OK', 'SET');
  eq(await r.get(`${tag}:k`), 'v', 'GET');
  eq(await r.del(`${tag}:k`, `${tag}:cart`), 2, 'DEL');
  await r.quit();

  step('no password: commands are refused with NOAUTH');
  const u = new URL(url);
  u.username = '';
  u.password = '';
  await rejects((async () => {
    const anon = await connect(u.toString(), { enableReadyCheck: false });
    try {
      return await anon.get(`${tag}:k`);
    } catch (e) {
      throw anon.withSeen(e);
    } finally {
      anon.disconnect();
    }
  })(), /NOAUTH/, 'GET without a password');

  step('wrong password is refused');
  u.password = 'not-the-secret';
  await rejects((async () => {
    const bad = await connect(u.toString(), { enableReadyCheck: false });
    try {
      return await bad.get(`${tag}:k`);
    } catch (e) {
      throw bad.withSeen(e);
    } finally {
      bad.disconnect();
    }
  })(), /WRONGPASS|invalid password/, 'connect with a wrong password');
}

run(opts.mode === 'auth' ? auth : cart, opts);

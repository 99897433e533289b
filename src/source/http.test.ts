// HttpDevice against a real HTTP server on loopback (node:http), which
// counts requests so caching, coalescing and sharing are checked by what
// actually went over the wire.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpDevice, type HttpDeviceOptions } from './http.js';
import { FsError } from '../errors.js';
import { RangeServer, type RangeServerBehaviour } from '../../test/helpers/range-server.js';
import { prng } from '../../test/helpers/fuzz.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BS = 256 * KiB;
const fast: HttpDeviceOptions = { retry: { baseDelayMs: 2, maxDelayMs: 10 }, timeoutMs: 5000 };

function pattern(size: number, seed: number): Uint8Array {
  const r = prng(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = (r() * 2 ** 32) >>> 0;
    out[i] = v & 0xff;
    if (i + 1 < size) out[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < size) out[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < size) out[i + 3] = v >>> 24;
  }
  return out;
}

const content = pattern(3 * MiB + 777, 7);

async function withServer(behaviour: RangeServerBehaviour, fn: (s: RangeServer) => Promise<void>, body = content): Promise<void> {
  const s = await RangeServer.start(body, behaviour);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

async function readAt(dev: HttpDevice, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  await dev.read(buf, offset);
  return buf;
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  if (Buffer.compare(actual, expected) !== 0) {
    let i = 0;
    while (actual[i] === expected[i]) i++;
    assert.fail(`${what}: bytes differ first at ${i}`);
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<FsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FsError, `expected FsError, got ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

describe('HttpDevice: opening', () => {
  test('size and validators from one HEAD; describe()', async () => {
    await withServer({ lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT' }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      assert.equal(dev.size, content.length);
      assert.equal(dev.readOnly, true);
      assert.equal(s.count(), 1);
      assert.equal(s.log[0]!.method, 'HEAD');
      assert.equal(s.log[0]!.headers['accept-encoding'], 'identity');
      const d = dev.describe();
      assert.equal(d.format, 'http');
      assert.equal(d.summary, `${s.origin}/file.img, 3 MiB`);
      assert.deepEqual(d.details, {
        url: s.url,
        size: content.length,
        etag: '"v1-abc"',
        lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
        acceptRanges: 'bytes',
      });
      await dev.close();
    });
  });

  test('HEAD refused (405): the size comes from a bytes=0-0 GET', async () => {
    await withServer({ headStatus: 405 }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      assert.equal(dev.size, content.length);
      assert.deepEqual(s.ranges(), ['bytes=0-0']);
      sameBytes(await readAt(dev, 1000, 5000), content.subarray(1000, 6000), 'after probe');
      await dev.close();
    });
  });

  test('no Accept-Ranges in HEAD: a range probe confirms support', async () => {
    await withServer({ noAcceptRanges: true }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      assert.equal(dev.size, content.length);
      assert.deepEqual(s.ranges(), ['bytes=0-0']);
      await dev.close();
    });
  });

  test('an empty file has size 0', async () => {
    await withServer({}, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      assert.equal(dev.size, 0);
      await dev.read(new Uint8Array(0), 0);
      await rejectsWith(dev.read(new Uint8Array(1), 0), 'EINVAL');
      await dev.close();
    }, new Uint8Array(0));
  });

  test('an empty file behind a refused HEAD (416 bytes */0 to the probe)', async () => {
    await withServer({ headStatus: 405 }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      assert.equal(dev.size, 0);
      await dev.close();
    }, new Uint8Array(0));
  });

  test('404 → ENOENT naming the URL', async () => {
    await withServer({}, async (s) => {
      await rejectsWith(HttpDevice.open(`${s.origin}/missing`, fast), 'ENOENT', /\/missing: .*404/);
    });
  });

  test('redirects are followed and the final URL is kept', async () => {
    await withServer({}, async (s) => {
      const dev = await HttpDevice.open(`${s.origin}/redirect`, fast);
      assert.equal(dev.url, s.url);
      assert.equal(dev.describe().details!.url, s.url);
      s.resetLog();
      sameBytes(await readAt(dev, 0, 100), content.subarray(0, 100), 'after redirect');
      assert.deepEqual(s.log.map((r) => r.path), ['/file.img'], 'reads go straight to the final URL');
      await dev.close();
    });
  });

  test('headers option carries Authorization; without it → EACCES', async () => {
    await withServer({ authorization: 'Bearer t0ken' }, async (s) => {
      await rejectsWith(HttpDevice.open(s.url, fast), 'EACCES', /401/);
      const dev = await HttpDevice.open(s.url, { ...fast, headers: { Authorization: 'Bearer t0ken' } });
      sameBytes(await readAt(dev, 5, 10), content.subarray(5, 15), 'with auth');
      assert.equal(s.log.at(-1)!.headers.authorization, 'Bearer t0ken');
      await dev.close();
    });
  });

  test('credentials in the URL become Basic auth and stay out of messages', async () => {
    const basic = `Basic ${Buffer.from('us er:p@ss').toString('base64')}`;
    await withServer({ authorization: basic }, async (s) => {
      const withCreds = s.url.replace('http://', 'http://us%20er:p%40ss@');
      const dev = await HttpDevice.open(withCreds, fast);
      assert.equal(dev.url, s.url);
      assert.doesNotMatch(dev.describe().summary, /p%40ss|p@ss/);
      sameBytes(await readAt(dev, 0, 10), content.subarray(0, 10), 'basic auth');
      await dev.close();
    });
  });

  test('bad options and URLs → EINVAL', async () => {
    await rejectsWith(HttpDevice.open('ftp://example.com/x'), 'EINVAL');
    await rejectsWith(HttpDevice.open('not a url'), 'EINVAL');
    await rejectsWith(HttpDevice.open('http://127.0.0.1:1/x', { blockSize: 100 }), 'EINVAL');
    await rejectsWith(HttpDevice.open('http://127.0.0.1:1/x', { retry: { retries: -1 } }), 'EINVAL');
  });
});

describe('HttpDevice: reading', () => {
  let s: RangeServer;
  before(async () => (s = await RangeServer.start(content)));
  after(async () => s.close());

  test('random offsets and lengths read the bytes served', async () => {
    const dev = await HttpDevice.open(s.url, { ...fast, cacheBytes: 512 * KiB });
    const r = prng(11);
    for (let i = 0; i < 200; i++) {
      const len = r() < 0.3 ? Math.floor(r() * 700 * KiB) : Math.floor(r() * 9000);
      const off = Math.floor(r() * (content.length - len + 1));
      sameBytes(await readAt(dev, off, len), content.subarray(off, off + len), `read ${i} at ${off}+${len}`);
    }
    // The last bytes of the file, ending exactly at its size.
    sameBytes(await readAt(dev, content.length - 3, 3), content.subarray(-3), 'tail');
    assert.ok(dev.stats.cachedBytes <= 512 * KiB, `cache holds ${dev.stats.cachedBytes} bytes`);
    await dev.close();
  });

  test('a sequential pass reads the bytes served', async () => {
    const dev = await HttpDevice.open(s.url, fast);
    const out = new Uint8Array(content.length);
    for (let off = 0; off < content.length; off += 100_000) {
      const n = Math.min(100_000, content.length - off);
      await dev.read(out.subarray(off, off + n), off);
    }
    sameBytes(out, content, 'sequential');
    await dev.close();
  });

  test('re-reads come from the cache: no second request', async () => {
    const dev = await HttpDevice.open(s.url, fast);
    s.resetLog();
    await readAt(dev, 300_000, 4096);
    await readAt(dev, 300_000, 4096);
    await readAt(dev, 262_144, 1000); // same 256 KiB block
    assert.deepEqual(s.ranges(), [`bytes=${BS}-${2 * BS - 1}`]);
    await dev.close();
  });

  test('a read over several missing blocks is one request; a cached block in the middle splits it', async () => {
    const dev = await HttpDevice.open(s.url, fast);
    s.resetLog();
    await readAt(dev, 2 * BS + 10, 4096); // caches block 2
    await readAt(dev, 10, 5 * BS); // blocks 0..5, block 2 cached: two runs
    assert.equal(s.ranges()[0], `bytes=${2 * BS}-${3 * BS - 1}`);
    // The two runs go out together, so their order on the wire may vary.
    assert.deepEqual(s.ranges().slice(1).sort(), [`bytes=0-${2 * BS - 1}`, `bytes=${3 * BS}-${6 * BS - 1}`].sort());
    await dev.close();
  });

  test('concurrent reads of the same block share one request', async () => {
    s.behaviour = { delayMs: 30 };
    try {
      const dev = await HttpDevice.open(s.url, fast);
      s.resetLog();
      const reads = await Promise.all([readAt(dev, 1000, 100), readAt(dev, 5000, 100), readAt(dev, 200_000, 50_000)]);
      sameBytes(reads[2]!, content.subarray(200_000, 250_000), 'shared block');
      assert.equal(s.count('GET'), 1);
      assert.ok(dev.stats.shared >= 2, `shared ${dev.stats.shared}`);
      await dev.close();
    } finally {
      s.behaviour = {};
    }
  });

  test('sequential reads trigger readahead in growing requests', async () => {
    const dev = await HttpDevice.open(s.url, { ...fast, readaheadBytes: 2 * MiB });
    s.resetLog();
    const chunk = 64 * KiB;
    for (let off = 0; off + chunk <= 3 * MiB; off += chunk) {
      sameBytes(await readAt(dev, off, chunk), content.subarray(off, off + chunk), `seq at ${off}`);
    }
    const sizes = s.ranges().map((r) => {
      const m = /bytes=(\d+)-(\d+)/.exec(r)!;
      return Number(m[2]) - Number(m[1]) + 1;
    });
    // 48 reads of 64 KiB over 12 blocks: without readahead that is 12 one-block requests.
    assert.ok(sizes.length <= 6, `requests: ${sizes.join(', ')}`);
    assert.ok(Math.max(...sizes) >= MiB, `largest request ${Math.max(...sizes)}`);
    await dev.close();
  });

  test('closing while readahead is in flight settles every request', async () => {
    // Node 20's fetch once left a body read pending forever when the abort
    // came after the last byte but before the end of the stream.
    for (let i = 0; i < 6; i++) {
      const dev = await HttpDevice.open(s.url, { ...fast, readaheadBytes: 2 * MiB });
      // Up to the last block, which readahead fetches but nobody waits for.
      for (let off = 0; off + 64 * KiB <= 3 * MiB; off += 64 * KiB) await readAt(dev, off, 64 * KiB);
      if (i) await new Promise((r) => setTimeout(r, i - 1));
      await dev.close();
      await waitFor(() => dev.stats.inFlight === 0, 1000);
    }
  });

  test('random reads fetch one block each, no readahead', async () => {
    const dev = await HttpDevice.open(s.url, fast);
    s.resetLog();
    await readAt(dev, 2 * MiB + 5, 4096);
    await readAt(dev, 100, 4096);
    await readAt(dev, MiB, 4096);
    assert.deepEqual(s.ranges(), [`bytes=${8 * BS}-${9 * BS - 1}`, `bytes=0-${BS - 1}`, `bytes=${4 * BS}-${5 * BS - 1}`]);
    await dev.close();
  });

  test('the cache stays within its budget', async () => {
    const dev = await HttpDevice.open(s.url, { ...fast, cacheBytes: MiB });
    for (let off = 0; off < content.length; off += BS) await readAt(dev, off, 1);
    assert.ok(dev.stats.cachedBytes <= MiB, `${dev.stats.cachedBytes}`);
    assert.ok(dev.stats.cachedBytes >= MiB - BS, `${dev.stats.cachedBytes}`);
    await dev.close();
  });

  test('writes → EROFS; reads outside → EINVAL; after close → EBADF', async () => {
    const dev = await HttpDevice.open(s.url, fast);
    await rejectsWith(dev.write(new Uint8Array(1), 0), 'EROFS');
    await rejectsWith(dev.read(new Uint8Array(2), content.length - 1), 'EINVAL');
    await rejectsWith(dev.read(new Uint8Array(1), -1), 'EINVAL');
    await dev.flush();
    await dev.close();
    await rejectsWith(dev.read(new Uint8Array(1), 0), 'EBADF');
  });

  test('closing during a read cancels it with ECANCELED', async () => {
    s.behaviour = { delayMs: 300 };
    try {
      const dev = await HttpDevice.open(s.url, fast);
      const p = readAt(dev, 0, 10);
      await new Promise((r) => setTimeout(r, 100)); // the GET is waiting for its answer
      await dev.close();
      await rejectsWith(p, 'ECANCELED');
    } finally {
      s.behaviour = {};
    }
  });
});

describe('HttpDevice: failures and retries', () => {
  test('503 on the first two GETs: retried, then the right bytes', async () => {
    await withServer({ failFirst: 2 }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      sameBytes(await readAt(dev, 123, 456), content.subarray(123, 579), 'after 503s');
      assert.equal(s.count('GET'), 3);
      await dev.close();
    });
  });

  test('503 forever: EIO after the last attempt, naming the URL and range', async () => {
    await withServer({ failFirst: 1000 }, async (s) => {
      const dev = await HttpDevice.open(s.url, { ...fast, retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 } });
      const e = await rejectsWith(readAt(dev, 0, 10), 'EIO');
      assert.equal(e.message, `${s.url}: bytes=0-${BS - 1}: server answered 503 Service Unavailable (gave up after 4 attempts)`);
      assert.equal(s.count('GET'), 4);
      await dev.close();
    });
  });

  test('429 with Retry-After is honoured (within the cap)', async () => {
    await withServer({ failFirst: 1, failStatus: 429, retryAfter: '5' }, async (s) => {
      const dev = await HttpDevice.open(s.url, { ...fast, retry: { baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 250 } });
      const t0 = Date.now();
      sameBytes(await readAt(dev, 0, 10), content.subarray(0, 10), 'after 429');
      const waited = Date.now() - t0;
      assert.ok(waited >= 240, `waited only ${waited} ms`);
      assert.ok(waited < 3000, `waited ${waited} ms: cap not applied`);
      await dev.close();
    });
  });

  test('connections reset before the answer: retried', async () => {
    await withServer({ resetFirst: 2 }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      sameBytes(await readAt(dev, 7, 70_000), content.subarray(7, 70_007), 'after resets');
      await dev.close();
    });
  });

  test('a body cut short: the retry resumes at the first missing byte', async () => {
    await withServer({ truncateFirst: 1 }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      sameBytes(await readAt(dev, 0, 3 * BS), content.subarray(0, 3 * BS), 'after truncation');
      const ranges = s.ranges();
      assert.equal(ranges.length, 2, ranges.join(' '));
      assert.equal(ranges[0], `bytes=0-${3 * BS - 1}`);
      const resumed = Number(/bytes=(\d+)-/.exec(ranges[1]!)![1]);
      assert.ok(resumed > 0 && resumed <= 1.5 * BS, `resumed at ${resumed}`);
      assert.equal(ranges[1], `bytes=${resumed}-${3 * BS - 1}`);
      await dev.close();
    });
  });

  test('connection refused → ECONNREFUSED after the retries', async () => {
    const s = await RangeServer.start(content);
    const url = s.url;
    await s.close();
    const e = await rejectsWith(HttpDevice.open(url, { ...fast, retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } }), 'ECONNREFUSED');
    assert.match(e.message, /127\.0\.0\.1:\d+\/file\.img: HEAD: .*gave up after 3 attempts/);
  });

  test('no answer within the timeout → ETIMEDOUT', async () => {
    await withServer({}, async (s) => {
      const dev = await HttpDevice.open(s.url, { ...fast, timeoutMs: 100, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } });
      s.behaviour = { delayMs: 400 };
      const t0 = Date.now();
      const e = await rejectsWith(readAt(dev, 0, 10), 'ETIMEDOUT');
      assert.match(e.message, /bytes=0-262143: no progress for 100 ms \(gave up after 2 attempts\)/);
      assert.ok(Date.now() - t0 < 2000);
      await dev.close();
    });
  });

  test('a server that ignores Range: EOPNOTSUPP at open, body not downloaded', async () => {
    const big = new Uint8Array(64 * MiB);
    await withServer({ ignoreRange: true, noAcceptRanges: true }, async (s) => {
      const e = await rejectsWith(HttpDevice.open(s.url, fast), 'EOPNOTSUPP');
      assert.equal(e.message, `${s.url}: server ignores Range requests (answered 200 to bytes=0-0); download the file first`);
      await waitFor(() => s.log.at(-1)!.aborted);
      assert.ok(s.log.at(-1)!.bytesSent < 32 * MiB, `server sent ${s.log.at(-1)!.bytesSent} bytes`);
    }, big);
  });

  test('a server that claims Accept-Ranges but ignores Range: EOPNOTSUPP on read, body not downloaded', async () => {
    const big = new Uint8Array(64 * MiB);
    await withServer({ ignoreRange: true }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      const e = await rejectsWith(readAt(dev, 5 * MiB, 10), 'EOPNOTSUPP');
      assert.equal(e.message, `${s.url}: server ignores Range requests (answered 200 to bytes=${5 * MiB}-${5 * MiB + BS - 1}); download the file first`);
      assert.equal(s.count('GET'), 1, 'not retried');
      await waitFor(() => s.log.at(-1)!.aborted);
      assert.ok(s.log.at(-1)!.bytesSent < 32 * MiB, `server sent ${s.log.at(-1)!.bytesSent} bytes`);
      await dev.close();
    }, big);
  });

  test('ETag changes (server honours If-Range: 200 with the new version) → EIO remote file changed', async () => {
    await withServer({ changeEtagAfter: 1 }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      await readAt(dev, 0, 10);
      assert.equal(s.log.at(-1)!.ifRange, '"v1-abc"');
      const e = await rejectsWith(readAt(dev, MiB, 10), 'EIO', /remote file changed \(ETag was "v1-abc", now "v1-abc-changed"\)/);
      assert.match(e.message, new RegExp(`^${s.url}: bytes=${MiB}-`));
      // Sticky: the cached block 0 is no longer trusted to match anything new either.
      await rejectsWith(readAt(dev, 2 * MiB, 10), 'EIO', /remote file changed/);
      await dev.close();
    });
  });

  test('ETag changes on a 206 (server ignores If-Range) → EIO remote file changed', async () => {
    await withServer({ changeEtagAfter: 1, honourIfRange: false }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      await readAt(dev, 0, 10);
      await rejectsWith(readAt(dev, MiB, 10), 'EIO', /remote file changed \(ETag was/);
      await dev.close();
    });
  });

  test('Last-Modified as the only validator goes in If-Range', async () => {
    const lm = 'Wed, 21 Oct 2015 07:28:00 GMT';
    await withServer({ lastModified: lm, etag: 'W/"weak"' }, async (s) => {
      const dev = await HttpDevice.open(s.url, fast);
      await readAt(dev, 0, 10);
      assert.equal(s.log.at(-1)!.ifRange, lm, 'a weak ETag may not be used in If-Range');
      await dev.close();
    });
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

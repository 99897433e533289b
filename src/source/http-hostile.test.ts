// HttpDevice against servers that lie: a raw TCP server on loopback writes
// hand-made (and fuzzed) HTTP responses. Every case must end in an FsError
// with a fitting errno — never a crash, a hang or an unbounded buffer.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { HttpDevice, type HttpDeviceOptions } from './http.js';
import { FsError } from '../errors.js';
import { concatBytes } from '../binary/reader.js';
import { prng } from '../../test/helpers/fuzz.js';

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** What to write back: bytes (then the connection closes), or a function that takes over the socket. */
type Responder = (req: RawRequest) => string | Uint8Array | ((socket: Socket) => void);

class RawServer {
  responder: Responder = () => 'HTTP/1.1 500 Unset\r\nContent-Length: 0\r\n\r\n';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 65536) socket.destroy();
          return;
        }
        socket.off('data', onData);
        const [line, ...lines] = head.slice(0, end).split('\r\n');
        const [method = '', path = ''] = line!.split(' ');
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const i = l.indexOf(':');
          if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const answer = this.responder({ method, path, headers });
        if (typeof answer === 'function') return answer(socket);
        socket.end(typeof answer === 'string' ? Buffer.from(answer, 'latin1') : answer);
      };
      socket.on('data', onData);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/img`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const SIZE = 1 << 20;
const BS = 256 * 1024;
const opts: HttpDeviceOptions = { timeoutMs: 300, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } };
const goodHead = `HTTP/1.1 200 OK\r\nContent-Length: ${SIZE}\r\nAccept-Ranges: bytes\r\nETag: "e1"\r\nConnection: close\r\n\r\n`;

function partial(first: number, last: number, extra = '', body?: Uint8Array): Uint8Array {
  const b = body ?? new Uint8Array(last - first + 1).fill(0x5a);
  const head = `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${first}-${last}/${SIZE}\r\nContent-Length: ${b.length}\r\nETag: "e1"\r\nConnection: close\r\n${extra}\r\n`;
  return concatBytes([Buffer.from(head, 'latin1'), b]);
}


/** The range a request asked for, as numbers. */
function asked(req: RawRequest): [number, number] {
  const m = /bytes=(\d+)-(\d+)/.exec(req.headers['range'] ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, SIZE - 1];
}

async function expectError(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FsError, `not an FsError: ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

describe('HttpDevice: hostile servers', () => {
  const srv = new RawServer();
  before(() => srv.start());
  after(() => srv.close());

  const withGet = (get: Responder, head: Responder = () => goodHead): void => {
    srv.responder = (req) => (req.method === 'HEAD' ? head(req) : get(req));
  };
  const read = async (offset = 0, length = 100) => {
    const dev = await HttpDevice.open(srv.url, opts);
    try {
      await dev.read(new Uint8Array(length), offset);
    } finally {
      await dev.close();
    }
  };

  test('Content-Length of 2^60 → EFBIG, nothing allocated', async () => {
    withGet(() => goodHead, () => goodHead.replace(`Content-Length: ${SIZE}`, 'Content-Length: 1152921504606846976'));
    await expectError(HttpDevice.open(srv.url, opts), 'EFBIG', /Content-Length 1152921504606846976 is beyond 2\^53/);
  });

  test('Content-Length 2^50 is a valid size; reads stay lazy', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      return partialOf(a, b, 2 ** 50);
    }, () => goodHead.replace(`Content-Length: ${SIZE}`, `Content-Length: ${2 ** 50}`));
    const dev = await HttpDevice.open(srv.url, opts);
    assert.equal(dev.size, 2 ** 50);
    const buf = new Uint8Array(10);
    await dev.read(buf, 2 ** 50 - 10);
    assert.deepEqual([...buf], new Array(10).fill(0x5a));
    await dev.close();
  });

  test('a Content-Range starting elsewhere → EIO', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      return partial(a + 1, b);
    });
    await expectError(read(), 'EIO', /bytes=0-262143: server answered bytes 1-262143\/1048576/);
  });

  test('a Content-Range with another total → EIO remote file changed', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      const r = partial(a, b);
      return Buffer.from(Buffer.from(r).toString('latin1').replace(`/${SIZE}`, `/${SIZE * 2}`), 'latin1');
    });
    await expectError(read(), 'EIO', /remote file changed \(size was 1048576, Content-Range says 2097152\)/);
  });

  test('206 without Content-Range, or with garbage in it → EIO', async () => {
    withGet(() => 'HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\n\r\nabc');
    await expectError(read(), 'EIO', /206 with no Content-Range/);
    withGet(() => 'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes abc-def/ghi\r\nContent-Length: 3\r\n\r\nabc');
    await expectError(read(), 'EIO', /malformed Content-Range "bytes abc-def\/ghi"/);
    withGet(() => 'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-262143/1152921504606846976\r\nContent-Length: 3\r\n\r\nabc');
    await expectError(read(), 'EIO', /malformed Content-Range/);
  });

  test('a body shorter than promised (connection closed) → EIO after the retries', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      return partial(a, b).subarray(0, 1000);
    });
    await expectError(read(), 'EIO', /bytes=0-262143: .*gave up after 2 attempts/);
  });

  test('a chunked body longer than the range → EIO', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      const n = b - a + 1 + 5000;
      const head = `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${a}-${b}/${SIZE}\r\nTransfer-Encoding: chunked\r\nETag: "e1"\r\n\r\n`;
      return concatBytes([Buffer.from(`${head}${n.toString(16)}\r\n`, 'latin1'), new Uint8Array(n), Buffer.from('\r\n0\r\n\r\n')]);
    });
    await expectError(read(), 'EIO', /server sent more bytes than the 262144 asked for/);
  });

  test('Content-Length that disagrees with Content-Range → EIO', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      return partial(a, b, '', new Uint8Array(b - a + 11));
    });
    await expectError(read(), 'EIO', /Content-Length "262154" does not match Content-Range bytes 0-262143/);
  });

  test('not HTTP at all → EIO', async () => {
    withGet(() => 'SSH-2.0-OpenSSH_9.2\r\n\r\n');
    await expectError(read(), 'EIO');
    srv.responder = () => '\x00\x01\x02garbage\r\n\r\n';
    await expectError(HttpDevice.open(srv.url, opts), 'EIO');
  });

  test('garbage header values in HEAD → EIO', async () => {
    withGet(() => '', () => goodHead.replace(`Content-Length: ${SIZE}`, 'Content-Length: 12abc'));
    await expectError(HttpDevice.open(srv.url, opts), 'EIO');
    withGet(() => '', () => `HTTP/1.1 200 OK\r\nContent-Length: ${SIZE}\r\nAccept-Ranges: bytes\r\nX-\x01bad: \x7f\r\n\r\n`);
    await expectError(HttpDevice.open(srv.url, opts), 'EIO');
  });

  test('a compressed 206 → EOPNOTSUPP', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      return partial(a, b, 'Content-Encoding: gzip\r\n');
    });
    await expectError(read(), 'EOPNOTSUPP', /Content-Encoding: gzip/);
  });

  test('416 to a range inside the size → EIO remote file changed', async () => {
    withGet(() => 'HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */10\r\nContent-Length: 0\r\n\r\n');
    await expectError(read(), 'EIO', /remote file changed: 416 Range Not Satisfiable \(size now 10, was 1048576\)/);
  });

  test('an endless 200 body to a range request → EOPNOTSUPP without reading it', async () => {
    let sent = 0;
    withGet(() => (socket: Socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: "e1"\r\n\r\n');
      const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000), Buffer.from('\r\n')]);
      const pump = () => {
        while (!socket.destroyed && sent < 1 << 30) {
          sent += 0x10000;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    await expectError(read(), 'EOPNOTSUPP', /server ignores Range requests \(answered 200 to bytes=0-262143\)/);
    assert.ok(sent < 64 << 20, `server wrote ${sent} bytes`);
  });

  test('headers then silence → ETIMEDOUT', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      return (socket: Socket) => socket.write(partial(a, b).subarray(0, 300));
    });
    const t0 = Date.now();
    await expectError(read(), 'ETIMEDOUT', /no progress for 300 ms \(gave up after 2 attempts\)/);
    assert.ok(Date.now() - t0 < 3000);
  });

  test('a body trickling just inside the idle timeout → ETIMEDOUT once slower than the minimum rate', async () => {
    withGet((req) => {
      const [a, b] = asked(req);
      const whole = partial(a, b);
      return (socket: Socket) => {
        const headEnd = Buffer.from(whole).indexOf('\r\n\r\n') + 4;
        socket.write(whole.subarray(0, headEnd));
        let at = headEnd;
        const drip = setInterval(() => {
          if (socket.destroyed || at >= whole.length) return clearInterval(drip);
          socket.write(whole.subarray(at, ++at));
        }, 50);
        socket.on('close', () => clearInterval(drip));
      };
    });
    const dev = await HttpDevice.open(srv.url, { ...opts, blockSize: 4096, minBytesPerSecond: 16384 });
    const t0 = Date.now();
    await expectError(dev.read(new Uint8Array(10), 0), 'ETIMEDOUT', /bytes=0-4095: transfer slower than 16384 bytes\/s \(gave up after 2 attempts\)/);
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    await dev.close();
  });

  test('redirect loop → EIO', async () => {
    srv.responder = () => 'HTTP/1.1 302 Found\r\nLocation: /img\r\nContent-Length: 0\r\n\r\n';
    await expectError(HttpDevice.open(srv.url, opts), 'EIO');
  });

  test('fuzzed range answers: FsError or success, never a crash or hang', async (t) => {
    const base = partial(0, BS - 1, '', new Uint8Array(BS).fill(7));
    let bytes = base;
    withGet(() => bytes);
    const result = await fuzzResponses(base, 3, 2500, async (mutated) => {
      bytes = mutated;
      await read(0, 4096);
    });
    t.diagnostic(JSON.stringify(result));
    assert.ok(result.cases > 20, `only ${result.cases} cases`);
    assert.ok(result.errors > 0 && result.ok > 0, JSON.stringify(result));
  });

  test('fuzzed HEAD answers: FsError or success, never a crash or hang', async (t) => {
    const base = new Uint8Array(Buffer.from(goodHead, 'latin1'));
    let head: Uint8Array = base;
    srv.responder = (req) => (req.method === 'HEAD' ? head : partial(...asked(req)));
    const result = await fuzzResponses(base, 4, 2000, async (mutated) => {
      head = mutated;
      const dev = await HttpDevice.open(srv.url, opts);
      try {
        if (dev.size > 0) await dev.read(new Uint8Array(Math.min(100, dev.size)), Math.max(0, Math.min(dev.size, SIZE) - 100));
      } finally {
        await dev.close();
      }
    });
    t.diagnostic(JSON.stringify(result));
    assert.ok(result.cases > 20, `only ${result.cases} cases`);
  });
});

/**
 * Seeded, HTTP-aware mutations of a valid response (numbers swapped for
 * extreme values, header lines dropped or doubled, status codes changed,
 * control bytes inserted, truncation, extra bytes), each run through `run`:
 * it may succeed or throw an FsError; anything else, or a case over 3 s, fails.
 */
async function fuzzResponses(base: Uint8Array, seed: number, budgetMs: number, run: (bytes: Uint8Array) => Promise<void>) {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const headEnd = Buffer.from(base).indexOf('\r\n\r\n') + 4;
  const numbers = ['0', '1', '-1', '9007199254740991', '9007199254740993', '1152921504606846976', String(SIZE - 1), String(SIZE + 1), '99999999999999999999999'];
  const statuses = ['200', '204', '206', '301', '304', '404', '416', '429', '500', '503', '999', 'abc'];
  const result = { cases: 0, ok: 0, errors: 0, codes: {} as Record<string, number> };
  const start = Date.now();
  while (Date.now() - start < budgetMs && result.cases < 400) {
    let head = Buffer.from(base.subarray(0, headEnd)).toString('latin1');
    let body: Uint8Array = base.subarray(headEnd);
    for (let round = 1 + int(3); round > 0; round--) {
      const lines = head.split('\r\n');
      switch (int(7)) {
        case 0: { // a number → an extreme one
          const nums = [...head.matchAll(/\d+/g)];
          if (nums.length) {
            const m = nums[int(nums.length)]!;
            head = head.slice(0, m.index) + numbers[int(numbers.length)] + head.slice(m.index! + m[0].length);
          }
          break;
        }
        case 1: // drop a header line
          lines.splice(1 + int(Math.max(1, lines.length - 3)), 1);
          head = lines.join('\r\n');
          break;
        case 2: { // double a header line, maybe with another value
          const i = 1 + int(Math.max(1, lines.length - 3));
          lines.splice(i, 0, (lines[i] ?? '').replace(/\d/, String(int(10))));
          head = lines.join('\r\n');
          break;
        }
        case 3: // another status
          head = head.replace(/^HTTP\/1\.1 \S+/, `HTTP/1.1 ${statuses[int(statuses.length)]}`);
          break;
        case 4: { // control bytes somewhere in the head
          const at = int(head.length);
          head = head.slice(0, at) + ['\r', '\n', '\x00', ':', ' ', '\x7f', ','][int(7)] + head.slice(at);
          break;
        }
        case 5: // truncate the body
          body = body.subarray(0, int(body.length + 1));
          break;
        default: // extra bytes after the body
          body = concatBytes([body, new Uint8Array(1 + int(5000)).fill(0x41)]);
      }
    }
    const bytes = concatBytes([Buffer.from(head, 'latin1'), body]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`case ${result.cases} (seed ${seed}) hung:\n${head}`)), 3000);
    });
    try {
      await Promise.race([run(bytes), hang]);
      result.ok++;
    } catch (e) {
      if (!(e instanceof FsError)) assert.fail(`case ${result.cases} (seed ${seed}) threw ${(e as Error)?.stack ?? e}\nresponse head:\n${head}`);
      result.errors++;
      result.codes[e.code] = (result.codes[e.code] ?? 0) + 1;
    } finally {
      clearTimeout(timer);
    }
    result.cases++;
  }
  return result;
}

/** A 206 of filler bytes for a file of `total` bytes. */
function partialOf(first: number, last: number, total: number): Uint8Array {
  const body = new Uint8Array(last - first + 1).fill(0x5a);
  const head = `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${first}-${last}/${total}\r\nContent-Length: ${body.length}\r\nETag: "e1"\r\n\r\n`;
  return concatBytes([Buffer.from(head, 'latin1'), body]);
}

// HttpDevice against nginx on loopback: a real, widely deployed Range
// implementation. The truth is the file nginx serves, read from disk.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpDevice } from './http.js';
import { FsError } from '../errors.js';
import { fixture } from '../../test/helpers/fixtures.js';
import { needNginx, startNginx, type NginxServer } from '../../test/helpers/nginx.js';
import { prng } from '../../test/helpers/fuzz.js';
import { run } from '../../test/helpers/tools.js';

const skip = needNginx();
const MiB = 1 << 20;

describe('HttpDevice over nginx', { skip }, () => {
  let nginx: NginxServer;
  let root: string;
  let random: Uint8Array;

  before(async () => {
    const made = await fixture('source/files.sh');
    root = await mkdtemp(join(tmpdir(), 'anymount-http-'));
    for (const name of await readdir(made)) await copyFile(join(made, name), join(root, name));
    random = new Uint8Array(await readFile(join(root, 'random.bin')));
    nginx = await startNginx(root);
  });

  after(async () => {
    await nginx?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('size, ETag and Last-Modified as nginx reports them (curl -I)', async () => {
    const dev = await HttpDevice.open(nginx.url('random.bin'));
    assert.equal(dev.size, random.length);
    const head = await run('curl', ['-sSI', nginx.url('random.bin')]);
    const field = (name: string) => new RegExp(`^${name}: (.*?)\\r?$`, 'im').exec(head)?.[1];
    const d = dev.describe();
    assert.equal(d.details!.etag, field('ETag'));
    assert.equal(d.details!.lastModified, field('Last-Modified'));
    assert.equal(d.details!.acceptRanges, 'bytes');
    assert.equal(d.summary, `${nginx.origin}/random.bin, 5 MiB`);
    await dev.close();
  });

  test('random offsets and lengths equal the file', async () => {
    const dev = await HttpDevice.open(nginx.url('random.bin'), { cacheBytes: 2 * MiB });
    const r = prng(5);
    for (let i = 0; i < 300; i++) {
      const len = r() < 0.2 ? Math.floor(r() * 3 * MiB) : Math.floor(r() * 20000);
      const off = Math.floor(r() * (random.length - len + 1));
      const buf = new Uint8Array(len);
      await dev.read(buf, off);
      assert.ok(Buffer.compare(buf, random.subarray(off, off + len)) === 0, `read ${i}: ${len} bytes at ${off}`);
    }
    await dev.close();
  });

  test('a sequential pass equals the file, in few requests', async () => {
    const dev = await HttpDevice.open(nginx.url('random.bin'));
    const out = new Uint8Array(random.length);
    const step = 128 * 1024;
    for (let off = 0; off < out.length; off += step) await dev.read(out.subarray(off, Math.min(out.length, off + step)), off);
    assert.ok(Buffer.compare(out, random) === 0);
    // 21 blocks of 256 KiB: readahead merges them into a handful of requests.
    assert.ok(dev.stats.requests <= 8, `requests ${dev.stats.requests}`);
    assert.equal(dev.stats.bytesFetched, random.length);
    await dev.close();
  });

  test('small and oddly named files', async () => {
    const empty = await HttpDevice.open(nginx.url('empty.bin'));
    assert.equal(empty.size, 0);
    await empty.close();
    const one = await HttpDevice.open(nginx.url('one.bin'));
    const b = new Uint8Array(1);
    await one.read(b, 0);
    assert.equal(String.fromCharCode(b[0]!), 'x');
    await one.close();
    const name = 'name with space+plus.bin';
    const odd = await HttpDevice.open(nginx.url(name));
    const expected = await readFile(join(root, name));
    const buf = new Uint8Array(odd.size);
    await odd.read(buf, 0);
    assert.ok(Buffer.compare(buf, expected) === 0);
    await odd.close();
  });

  test('a missing file → ENOENT', async () => {
    await assert.rejects(HttpDevice.open(nginx.url('nope.bin')), (e: unknown) => e instanceof FsError && e.code === 'ENOENT' && /nope\.bin.*404/.test(e.message));
  });

  test('the file replaced under the reader → EIO remote file changed', async () => {
    const path = join(root, 'changing.bin');
    await writeFile(path, random.subarray(0, 2 * MiB));
    await utimes(path, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const dev = await HttpDevice.open(nginx.url('changing.bin'));
    await dev.read(new Uint8Array(100), 0);
    // Same size, new bytes and mtime: nginx's ETag (mtime-size) and Last-Modified change.
    await writeFile(path, random.subarray(MiB, 3 * MiB));
    await utimes(path, new Date('2021-01-01T00:00:00Z'), new Date('2021-01-01T00:00:00Z'));
    await assert.rejects(dev.read(new Uint8Array(100), MiB + 5), (e: unknown) => e instanceof FsError && e.code === 'EIO' && /remote file changed \(ETag was/.test(e.message));
    await dev.close();
  });
});

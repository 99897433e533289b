// FileDevice on regular files and, as root, on loop block devices. For
// block devices the truth is the kernel: `blockdev --getsize64/--getss`
// and the bytes of the file behind the loop device.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDevice } from './file-device.js';
import { blockDeviceGeometry, deviceNumbers, probeSizeByReading, sysfsGeometry } from './block-geometry.js';
import { FsError } from '../errors.js';
import { needRoot, needTools, run } from '../../test/helpers/tools.js';

const MiB = 1 << 20;

async function rejectsWith(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FsError, `not an FsError: ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

function same(a: Uint8Array, b: Uint8Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  assert.ok(Buffer.compare(a, b) === 0, `${what}: bytes differ`);
}

describe('FileDevice on regular files', () => {
  let dir: string;
  let path: string;
  let bytes: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anymount-filedev-'));
    path = join(dir, 'img.raw');
    bytes = randomBytes(MiB + 333);
    await writeFile(path, bytes);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('opens read-only by default; size from fstat; reads equal the file', async () => {
    const dev = await FileDevice.open(path);
    assert.equal(dev.size, bytes.length);
    assert.equal(dev.readOnly, true);
    assert.equal(dev.isBlockDevice, false);
    assert.equal(dev.sectorSize, 512);
    for (const [off, len] of [[0, 1], [0, bytes.length], [5000, 70000], [bytes.length - 1, 1], [bytes.length, 0]] as const) {
      const buf = new Uint8Array(len);
      await dev.read(buf, off);
      same(buf, bytes.subarray(off, off + len), `read ${len} at ${off}`);
    }
    assert.deepEqual(dev.describe(), { format: 'raw', summary: 'raw, 1 MiB', details: { path, name: 'img.raw', blockDevice: false } });
    await dev.close();
  });

  test('reads past the end or at bad offsets → EINVAL', async () => {
    const dev = await FileDevice.open(path);
    await rejectsWith(dev.read(new Uint8Array(2), bytes.length - 1), 'EINVAL', /outside the device/);
    await rejectsWith(dev.read(new Uint8Array(1), -1), 'EINVAL');
    await rejectsWith(dev.read(new Uint8Array(1), 0.5), 'EINVAL');
    await rejectsWith(dev.read(new Uint8Array(1), 2 ** 60), 'EINVAL');
    await dev.close();
  });

  test('read-only: write and resize → EROFS', async () => {
    const dev = await FileDevice.open(path);
    await rejectsWith(dev.write(new Uint8Array(1), 0), 'EROFS');
    await rejectsWith(dev.resize(10), 'EROFS');
    await dev.flush();
    await dev.close();
    same(await readFile(path), bytes, 'file untouched');
  });

  test('writable: write, flush, resize (grow zero-filled, shrink)', async () => {
    const p = join(dir, 'rw.raw');
    await writeFile(p, bytes);
    const dev = await FileDevice.open(p, { write: true });
    assert.equal(dev.readOnly, false);
    const data = randomBytes(10000);
    await dev.write(data, 4096);
    await rejectsWith(dev.write(new Uint8Array(2), bytes.length - 1), 'EINVAL');
    await dev.flush();
    const expected = Buffer.from(bytes);
    data.copy(expected, 4096);
    same(await readFile(p), expected, 'after write');

    await dev.resize(bytes.length + 5000);
    assert.equal(dev.size, bytes.length + 5000);
    assert.equal((await stat(p)).size, bytes.length + 5000);
    const tail = new Uint8Array(5000).fill(1);
    await dev.read(tail, bytes.length);
    same(tail, new Uint8Array(5000), 'grown tail reads zeros');
    await dev.write(new Uint8Array([7, 7]), bytes.length + 4998);

    await dev.resize(100);
    assert.equal((await stat(p)).size, 100);
    await rejectsWith(dev.read(new Uint8Array(1), 100), 'EINVAL');
    await rejectsWith(dev.resize(-1), 'EINVAL');
    await rejectsWith(dev.resize(1.5), 'EINVAL');
    await dev.close();
  });

  test('missing file → ENOENT; directory → EISDIR', async () => {
    await rejectsWith(FileDevice.open(join(dir, 'nope')), 'ENOENT', /nope/);
    await rejectsWith(FileDevice.open(dir), 'EISDIR');
    await rejectsWith(FileDevice.open(dir, { write: true }), 'EISDIR');
  });

  test('a file that shrinks under the reader → EIO', async () => {
    const p = join(dir, 'shrinks.raw');
    await writeFile(p, bytes);
    const dev = await FileDevice.open(p);
    await truncate(p, 1000);
    await rejectsWith(dev.read(new Uint8Array(100), 5000), 'EIO', /unexpected end of file at 5000/);
    await dev.close();
  });

  test('after close: EBADF; close twice is fine', async () => {
    const dev = await FileDevice.open(path);
    await dev.close();
    await dev.close();
    await rejectsWith(dev.read(new Uint8Array(1), 0), 'EBADF');
  });

  test('the probe by reading finds a regular file size too', async () => {
    for (const size of [0, 1, 511, 512, 513, 4096, 100_001]) {
      const p = join(dir, `probe-${size}`);
      await writeFile(p, new Uint8Array(size));
      const h = await open(p, 'r');
      try {
        assert.equal(await probeSizeByReading(h), size, `size ${size}`);
      } finally {
        await h.close();
      }
    }
  });

  test('dev_t split like glibc gnu_dev_major/minor', () => {
    // makedev(7, 0), makedev(259, 2), makedev(8, 300) and a large one, as glibc builds them.
    const makedev = (ma: number, mi: number) =>
      Number((BigInt(ma & 0xfff) << 8n) | (BigInt(ma & 0xfffff000) << 32n) | BigInt(mi & 0xff) | (BigInt(mi & 0xffffff00) << 12n));
    for (const [ma, mi] of [[7, 0], [259, 2], [8, 300], [4095, 1048575], [5000, 70000]] as const) {
      assert.deepEqual(deviceNumbers(makedev(ma, mi)), { major: ma, minor: mi });
    }
  });
});

/** Attaches `file` to a free loop device, runs `fn`, and always detaches it (and any partitions added). */
async function withLoop<T>(file: string, args: string[], fn: (dev: string) => Promise<T>): Promise<T> {
  const dev = (await run('losetup', ['-f', '--show', ...args, file])).trim();
  try {
    return await fn(dev);
  } finally {
    await run('partx', ['-d', dev]).catch(() => {});
    await run('losetup', ['-d', dev]);
  }
}

const blockSkip = needRoot('loop devices') ?? needTools('losetup', 'blockdev');

describe('FileDevice on loop block devices', { skip: blockSkip }, () => {
  let dir: string;
  let file: string;
  let bytes: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anymount-loop-'));
    file = join(dir, 'disk.raw');
    bytes = randomBytes(3 * MiB + 8192);
    await writeFile(file, bytes);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('size and sector size from sysfs equal blockdev; bytes equal the file', async () => {
    await withLoop(file, [], async (loop) => {
      const dev = await FileDevice.open(loop);
      assert.equal(dev.isBlockDevice, true);
      assert.equal((await stat(loop)).size, 0, 'fstat says 0 for a block device');
      assert.equal(dev.size, Number((await run('blockdev', ['--getsize64', loop])).trim()));
      assert.equal(dev.size, bytes.length);
      assert.equal(dev.sectorSize, Number((await run('blockdev', ['--getss', loop])).trim()));
      const all = new Uint8Array(dev.size);
      await dev.read(all, 0);
      same(all, bytes, 'whole device');
      await rejectsWith(dev.read(new Uint8Array(1), dev.size), 'EINVAL');
      await rejectsWith(dev.write(new Uint8Array(1), 0), 'EROFS');
      assert.match(dev.describe().summary, /^block device, 3 MiB, 512-byte sectors$/);
      await dev.close();
    });
  });

  test('without sysfs, probing by reading finds the same size', async () => {
    await withLoop(file, [], async (loop) => {
      const st = await stat(loop);
      const h = await open(loop, 'r');
      try {
        const fromSysfs = await sysfsGeometry(st.rdev);
        assert.equal(fromSysfs?.size, bytes.length);
        assert.equal(await probeSizeByReading(h), bytes.length);
        const fallback = await blockDeviceGeometry(h, st.rdev, join(dir, 'no-sysfs'));
        assert.deepEqual(fallback, { size: bytes.length, sectorSize: 512, source: 'probe' });
      } finally {
        await h.close();
      }
    });
  });

  test('--sector-size 4096: the device reports 4096-byte sectors', async (t) => {
    let loop: string;
    try {
      loop = (await run('losetup', ['-f', '--show', '--sector-size', '4096', file])).trim();
    } catch (e) {
      t.skip(`losetup --sector-size 4096 not supported here: ${(e as Error).message}`);
      return;
    }
    try {
      const dev = await FileDevice.open(loop);
      assert.equal(dev.sectorSize, 4096);
      assert.equal(dev.sectorSize, Number((await run('blockdev', ['--getss', loop])).trim()));
      assert.equal(dev.size, Number((await run('blockdev', ['--getsize64', loop])).trim()));
      const buf = new Uint8Array(10000);
      await dev.read(buf, 12345);
      same(buf, bytes.subarray(12345, 22345), 'read on 4K device');
      await dev.close();
    } finally {
      await run('losetup', ['-d', loop]);
    }
  });

  test('a partition of a 4K-sector disk: size from sysfs, sector size from its disk', { skip: needTools('sfdisk', 'partx') }, async () => {
    const disk = join(dir, 'parted.raw');
    await writeFile(disk, new Uint8Array(8 * MiB));
    await withLoop(disk, ['--sector-size', '4096'], async (loop) => {
      // sfdisk cannot make the kernel re-read the table here; partx adds the partition device.
      await run('sfdisk', ['-q', '--no-reread', loop], { input: 'start=256,size=1024\n' });
      await run('partx', ['-d', loop]).catch(() => {});
      await run('partx', ['-a', loop]);
      const part = `${loop}p1`;
      const dev = await FileDevice.open(part);
      assert.equal(dev.isBlockDevice, true);
      assert.equal(dev.size, Number((await run('blockdev', ['--getsize64', part])).trim()));
      assert.equal(dev.size, 1024 * 4096);
      assert.equal(dev.sectorSize, Number((await run('blockdev', ['--getss', part])).trim()));
      assert.equal(dev.sectorSize, 4096);
      await dev.close();
    });
  });

  test('writable block device: writes land in the backing file; resize → EINVAL', async () => {
    const copy = join(dir, 'rw-disk.raw');
    await writeFile(copy, bytes);
    await withLoop(copy, [], async (loop) => {
      const dev = await FileDevice.open(loop, { write: true });
      const data = randomBytes(4096);
      await dev.write(data, MiB);
      await dev.flush();
      await rejectsWith(dev.resize(10), 'EINVAL', /cannot resize a block device/);
      await dev.close();
      const after = await readFile(copy);
      same(after.subarray(MiB, MiB + 4096), data, 'written through the loop device');
    });
  });
});

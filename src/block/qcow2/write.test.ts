// Seeded random writes into qcow2 images made by QEMU, checked against a plain
// in-memory model of the disk, then by QEMU itself: `qemu-img check` finds no
// errors or leaks, and `qemu-img convert -O raw` gives exactly the model.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools, run } from '../../../test/helpers/tools.js';
import { prng } from '../../../test/helpers/fuzz.js';
import { openQcow2 } from '../../../test/qcow2/open-context.js';
import { qemuCheck } from '../../../test/qcow2/qemu-check.js';
import { FsError } from '../../errors.js';
import type { Qcow2Device } from './device.js';
import { firstDifference, randomBytes, randomWrite } from '../../../test/qcow2/bytes.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = skip ? '' : await fixture('qcow2/write.sh');

interface Case {
  name: string;
  /** Files to copy: the image first, then its backing files. */
  files: string[];
  ops: number;
  /** Write the whole disk first (grows the file past the first refcount structures). */
  fillFirst?: boolean;
  snapshots?: string[];
  /** Tiny caches: every table is evicted and read again between uses. */
  tinyCaches?: boolean;
}

const CASES: Case[] = [
  { name: 'plain', files: ['plain.qcow2'], ops: 80 },
  { name: 'v2', files: ['v2.qcow2'], ops: 60 },
  { name: 'zero', files: ['zero.qcow2'], ops: 60 },
  { name: 'zlib', files: ['zlib.qcow2'], ops: 60 },
  { name: 'zstd', files: ['zstd.qcow2'], ops: 40 },
  { name: 'extl2', files: ['extl2.qcow2', 'base.raw'], ops: 80 },
  { name: 'extl2-nobacking', files: ['extl2-nobacking.qcow2'], ops: 60 },
  { name: 'overlay', files: ['overlay.qcow2', 'base.qcow2'], ops: 60 },
  { name: 'snap', files: ['snap.qcow2'], ops: 60, snapshots: ['first', 'second'] },
  { name: 'small', files: ['small.qcow2'], ops: 40, fillFirst: true },
  { name: 'rc1', files: ['rc1.qcow2'], ops: 40 },
  { name: 'snap-tiny-caches', files: ['snap.qcow2'], ops: 40, snapshots: ['first', 'second'], tinyCaches: true },
  { name: 'zlib-tiny-caches', files: ['zlib.qcow2'], ops: 40, tinyCaches: true },
];

async function copyCase(c: Case): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), `qcow2-write-${c.name}-`));
  for (const f of c.files) await copyFile(join(dir, f), join(tmp, f));
  return tmp;
}

async function assertMatches(dev: Qcow2Device, model: Uint8Array, what: string): Promise<void> {
  const got = new Uint8Array(model.length);
  for (let off = 0; off < model.length; off += 1 << 20) await dev.read(got.subarray(off, Math.min(model.length, off + (1 << 20))), off);
  assert.equal(firstDifference(got, model), -1, `${what}: our read differs from the model`);
}

for (const c of CASES) {
  test(`qcow2 write ${c.name}: random writes, then qemu-img check and convert agree with the model`, { skip }, async () => {
    const tmp = await copyCase(c);
    let dev: Qcow2Device | undefined;
    try {
      const path = join(tmp, c.files[0]!);
      const model = new Uint8Array(await readFile(join(dir, c.files[0]!.replace(/\.qcow2$/, '.raw'))));
      const headerBefore = (await readFile(path)).subarray(0, 72);
      const rand = prng(0x51 + c.name.length * 131);
      const rw = await openQcow2(path, { write: true, ...(c.tinyCaches ? { qcow2: { l2CacheBytes: 1, compressedCacheBytes: 1 } } : {}) });
      dev = rw;
      const cs = rw.header.clusterSize;
      assert.equal(rw.readOnly, false);
      if (c.fillFirst) {
        for (let off = 0; off < model.length; off += 256 << 10) {
          const data = randomBytes(rand, Math.min(256 << 10, model.length - off));
          await dev.write(data, off);
          model.set(data, off);
        }
      }
      for (let i = 0; i < c.ops; i++) {
        if (i % 10 === 9) {
          // Three writes at once, in different quarters of the disk, with a read alongside.
          const q = Math.floor(model.length / 4);
          const ws = [0, 1, 2].map((k) => {
            const w = randomWrite(rand, q, cs);
            return { offset: k * q + w.offset, data: randomBytes(rand, w.length) };
          });
          const readBuf = new Uint8Array(q);
          const before = model.slice(3 * q, 4 * q);
          await Promise.all([...ws.map((w) => rw.write(w.data, w.offset)), rw.read(readBuf, 3 * q)]);
          for (const w of ws) model.set(w.data, w.offset);
          assert.equal(firstDifference(readBuf, before), -1, `${c.name}: concurrent read of an untouched quarter`);
        } else {
          const w = randomWrite(rand, model.length, cs);
          const data = randomBytes(rand, w.length);
          await dev.write(data, w.offset);
          model.set(data, w.offset);
        }
        if (i % 20 === 0) {
          // Read back a random range right away (through the caches).
          const off = Math.floor(rand() * (model.length - 70000));
          const buf = new Uint8Array(70000);
          await dev.read(buf, off);
          assert.equal(firstDifference(buf, model.subarray(off, off + 70000)), -1, `${c.name}: read-back after write ${i}`);
        }
      }
      await assertMatches(dev, model, c.name);
      await dev.close();

      const check = qemuCheck(path);
      assert.equal(check.status, 0, `${c.name}: qemu-img check: ${check.output}`);
      assert.equal(check.corruptions + check.leaks + check.checkErrors, 0, check.output);
      const raw = join(tmp, 'out.raw');
      await run('qemu-img', ['convert', '-O', 'raw', path, raw]);
      assert.equal(firstDifference(new Uint8Array(await readFile(raw)), model), -1, `${c.name}: qemu-img convert differs from the model`);
      for (const s of c.snapshots ?? []) {
        const out = join(tmp, `snap-${s}.raw`);
        await run('qemu-img', ['convert', '-O', 'raw', '-l', `snapshot.name=${s}`, path, out]);
        const want = new Uint8Array(await readFile(join(dir, `snap-${s}.raw`)));
        assert.equal(firstDifference(new Uint8Array(await readFile(out)), want), -1, `${c.name}: snapshot ${s} changed`);
      }
      if (c.fillFirst) {
        const headerAfter = (await readFile(path)).subarray(0, 72);
        assert.notDeepEqual(headerAfter.subarray(48, 60), headerBefore.subarray(48, 60), 'the refcount table grew and moved');
      }
      dev = await openQcow2(path);
      await assertMatches(dev, model, `${c.name} reopened`);
    } finally {
      await dev?.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

test('qcow2 write into an overlay leaves the base image byte-identical', { skip }, async () => {
  const c: Case = { name: 'overlay-base', files: ['overlay.qcow2', 'base.qcow2'], ops: 30 };
  const tmp = await copyCase(c);
  try {
    const base = join(tmp, 'base.qcow2');
    const before = await readFile(base);
    const dev = await openQcow2(join(tmp, 'overlay.qcow2'), { write: true });
    const rand = prng(7);
    for (let i = 0; i < c.ops; i++) {
      const w = randomWrite(rand, dev.size, dev.header.clusterSize);
      await dev.write(randomBytes(rand, w.length), w.offset);
    }
    await dev.close();
    assert.ok(before.equals(await readFile(base)), 'base unchanged');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('qcow2 write refusals: read-only, corrupt bit, dirty bit', { skip }, async () => {
  const readDir = await fixture('qcow2/read.sh');
  const tmp = await mkdtemp(join(tmpdir(), 'qcow2-refuse-'));
  try {
    const ro = await openQcow2(join(readDir, 'v3.qcow2'));
    await assert.rejects(ro.write(new Uint8Array(1), 0), (e: unknown) => e instanceof FsError && e.code === 'EROFS' && /read-only/.test(e.message));
    await ro.close();
    for (const [name, why] of [['corrupt', /corrupt/], ['dirty', /dirty/]] as const) {
      await copyFile(join(readDir, `${name}.qcow2`), join(tmp, `${name}.qcow2`));
      const before = await readFile(join(tmp, `${name}.qcow2`));
      const dev = await openQcow2(join(tmp, `${name}.qcow2`), { write: true });
      assert.equal(dev.readOnly, true);
      await assert.rejects(dev.write(new Uint8Array(512), 0), (e: unknown) => e instanceof FsError && e.code === 'EROFS' && why.test(e.message));
      await dev.close();
      assert.ok(before.equals(await readFile(join(tmp, `${name}.qcow2`))), `${name}: file untouched`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('qcow2 write into an image with a bitmap clears the bitmaps autoclear bit (QEMU then treats the bitmap as stale)', { skip }, async () => {
  const tmp = await copyCase({ name: 'bitmap', files: ['bitmap.qcow2'], ops: 0 });
  try {
    const path = join(tmp, 'bitmap.qcow2');
    const before = JSON.parse(await run('qemu-img', ['info', '--output=json', path]));
    assert.equal(before['format-specific'].data.bitmaps.length, 1);
    const model = new Uint8Array(await readFile(join(dir, 'bitmap.raw')));
    const dev = await openQcow2(path, { write: true });
    const data = randomBytes(prng(3), 100000);
    await dev.write(data, 12345);
    model.set(data, 12345);
    await dev.close();
    const header = await readFile(path);
    assert.equal(header.readBigUInt64BE(88), 0n, 'autoclear_features cleared');
    // The bitmap's clusters are no longer accounted for by a valid extension: leaks, never corruption.
    const check = qemuCheck(path);
    assert.equal(check.corruptions + check.checkErrors, 0, check.output);
    assert.ok(check.status === 0 || check.status === 3, check.output);
    const raw = join(tmp, 'out.raw');
    await run('qemu-img', ['convert', '-O', 'raw', path, raw]);
    assert.equal(firstDifference(new Uint8Array(await readFile(raw)), model), -1);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

// Hostile VHDX input: seeded fuzzing of real images (plain, with a pending log) plus hand-made corruptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { containerFixture, exercise, fuzzImage, memoryContext } from '../../../test/containers/helpers.js';
import { patched, rejectsWith } from '../../../test/containers/hostile.js';
import { MemoryDevice } from '../memory.js';
import { crc32c } from '../../util/crc32.js';
import { vhdxFormat } from './index.js';

const skip = needTools('qemu-img', 'qemu-io', '/usr/bin/python3');
const dir = () => containerFixture('vhdx.sh');
const open = (bytes: Uint8Array) => vhdxFormat.open(new MemoryDevice(bytes, { readOnly: true }), memoryContext());
const load = async (n: string) => new Uint8Array(readFileSync(join(await dir(), n)));
const MiB = 1 << 20;

/** Fixes the CRC-32C of the 4 KiB header at `at` (or a 64 KiB region table). */
function reseal(b: Uint8Array, at: number, len = 4096): Uint8Array {
  const v = new DataView(b.buffer);
  v.setUint32(at + 4, 0, true);
  v.setUint32(at + 4, crc32c(b.subarray(at, at + len)), true);
  return b;
}

/** Where the BAT and metadata regions are (from region table 1). */
function regions(b: Uint8Array): { bat: number; md: number } {
  const v = new DataView(b.buffer);
  const out = { bat: 0, md: 0 };
  for (let i = 0; i < v.getUint32(0x30000 + 8, true); i++) {
    const o = 0x30000 + 16 + 32 * i;
    const off = Number(v.getBigUint64(o + 16, true));
    if (v.getUint32(o, true) === 0x2dc27766) out.bat = off;
    else out.md = off;
  }
  return out;
}

async function readAll(bytes: Uint8Array): Promise<void> {
  const dev = await open(bytes);
  try {
    await dev.read(new Uint8Array(dev.size), 0);
  } finally {
    await dev.close();
  }
}

for (const name of ['small.vhdx', 'log.vhdx']) {
  test(`vhdx fuzz: ${name}`, { skip }, async () => {
    const base = await load(name);
    const { bat, md } = regions(base);
    const r = await fuzzImage({
      base,
      seed: name.length,
      iterations: 300,
      timeBudgetMs: 3000,
      hotspots: [[0x10000, 0x11000], [0x20000, 0x21000], [0x30000, 0x30100], [MiB, MiB + 16384], [bat, bat + 4096], [md, md + 65536 + 4096]],
      run: async (b) => exercise(await open(b)),
    });
    assert.ok(r.cases > 30 && r.fsErrors > 0, JSON.stringify(r));
  });
}

test('vhdx hostile: headers and region tables', { skip }, async () => {
  const base = await load('small.vhdx');
  await rejectsWith(open(new Uint8Array(2 * MiB)), 'EIO', /no "vhdxfile" signature/);
  await rejectsWith(open(base.slice(0, 100000)), 'EIO', /vhdx/);
  // One header damaged: the other is used, with a warning; both: EIO.
  const one = base.slice();
  one[0x10000 + 200] ^= 1;
  const dev = await open(one);
  assert.match(dev.describe!().warnings?.join() ?? '', /header at 65536: checksum mismatch/);
  await dev.close();
  const both = one.slice();
  both[0x20000 + 200] ^= 1;
  await rejectsWith(open(both), 'EIO', /headers at offset 65536 .*neither copy is valid/);
  // Both region tables damaged.
  const rt = base.slice();
  rt[0x30000 + 100] ^= 1;
  rt[0x40000 + 100] ^= 1;
  await rejectsWith(open(rt), 'EIO', /region tables .* neither copy is valid/);
  // A region past the end of the file; an unknown required region.
  const far = reseal(reseal(patched(base, [[0x30000 + 16 + 16, 2n ** 40n, 8], [0x40000 + 16 + 16, 2n ** 40n, 8]]), 0x30000, 65536), 0x40000, 65536);
  await rejectsWith(open(far), 'EIO', /region .* not a 1 MiB-aligned area inside the file/);
  const req = reseal(reseal(patched(base, [[0x30000 + 16, 0x12345678, 4], [0x40000 + 16, 0x12345678, 4], [0x30000 + 16 + 28, 1, 4], [0x40000 + 16 + 28, 1, 4]]), 0x30000, 65536), 0x40000, 65536);
  await rejectsWith(open(req), 'EOPNOTSUPP', /required region 12345678-.* is unknown/);
});

test('vhdx hostile: metadata values', { skip }, async () => {
  const base = await load('small.vhdx');
  const { md } = regions(base);
  const v = new DataView(base.buffer);
  const item = (guidFirst: number): number => {
    for (let i = 0; i < v.getUint16(md + 10, true); i++) {
      const o = md + 32 + 32 * i;
      if (v.getUint32(o, true) === guidFirst) return md + v.getUint32(o + 16, true);
    }
    throw new Error('no item');
  };
  await rejectsWith(open(patched(base, [[item(0xcaa16737), 0, 4]])), 'EIO', /block size 0 is not a power of two/);
  await rejectsWith(open(patched(base, [[item(0x2fa54224), 2n ** 60n, 8]])), 'EIO', /virtual disk size .* up to 64 TiB/);
  await rejectsWith(open(patched(base, [[item(0x8141bf1d), 1000, 4]])), 'EIO', /logical sector size .* 1000/);
  // An unknown item marked required.
  const unk = patched(base, [[md + 32, 0xdeadbeef, 4], [md + 32 + 24, 4, 4]]);
  await rejectsWith(open(unk), 'EOPNOTSUPP', /required metadata item DEADBEEF-.* is unknown/);
  // Entry count absurd.
  await rejectsWith(open(patched(base, [[md + 10, 65535, 2]])), 'EIO', /entry count 65535/);
  // HasParent without a parent locator.
  await rejectsWith(open(patched(base, [[item(0xcaa16737) + 4, 2, 4]])), 'EIO', /differencing disk without a parent locator/);
});

test('vhdx hostile: BAT entries pointing past the end, into the header section, unknown states', { skip }, async () => {
  const base = await load('small.vhdx');
  const { bat } = regions(base);
  await rejectsWith(readAll(patched(base, [[bat, (0xfffffn << 20n) | 6n, 8]])), 'EIO', /BAT entry for block 0 at offset .* lies outside/);
  await rejectsWith(readAll(patched(base, [[bat, 6n, 8]])), 'EIO', /BAT entry for block 0 .* block at 0 lies outside/);
  await rejectsWith(readAll(patched(base, [[bat, 5n | (4n << 20n), 8]])), 'EIO', /unknown payload block state 5/);
  await rejectsWith(readAll(patched(base, [[bat, 7n | (4n << 20n), 8]])), 'EIO', /partially present block in a disk without a parent/);
});

test('vhdx hostile: a log that is garbage is ignored like an empty one; a log too big is refused', { skip }, async () => {
  const base = await load('log.vhdx');
  // Break every entry's checksum: no active sequence, nothing replayed (QEMU does the same).
  const b = base.slice();
  for (let at = MiB; at < 2 * MiB; at += 4096) if (String.fromCharCode(...b.subarray(at, at + 4)) === 'loge') b[at + 200] ^= 1;
  const dev = await open(b);
  assert.equal(dev.describe!().details!['logReplayed'], 0);
  await dev.close();
  // LogLength past the end of the file.
  const h = base.slice();
  for (const at of [0x10000, 0x20000]) {
    new DataView(h.buffer).setUint32(at + 68, 1 << 30, true);
    reseal(h, at);
  }
  await rejectsWith(open(h), 'EIO', /log at 1048576 \(1073741824 bytes\) is not a 1 MiB-aligned area inside the file/);
});

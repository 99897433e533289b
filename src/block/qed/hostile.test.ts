// Hostile QED input: seeded fuzzing of a real image (with a raw backing file) plus hand-made corruptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { containerFixture, exercise, fuzzImage, memoryContext } from '../../../test/containers/helpers.js';
import { patched, rejectsWith } from '../../../test/containers/hostile.js';
import { MemoryDevice } from '../memory.js';
import { qedFormat } from './index.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = () => containerFixture('qed.sh');
const load = async (n: string) => new Uint8Array(readFileSync(join(await dir(), n)));

async function setup() {
  const base = await load('small.qed');
  const backing = await load('small.raw');
  const asked: string[] = [];
  const open = (bytes: Uint8Array) => qedFormat.open(new MemoryDevice(bytes, { readOnly: true }), memoryContext({ 'small.raw': async () => new MemoryDevice(backing, { readOnly: true }) }, asked));
  return { base, open, asked };
}

test('qed fuzz', { skip }, async () => {
  const { base, open } = await setup();
  const v = new DataView(base.buffer);
  const l1 = Number(v.getBigUint64(40, true));
  const l2 = Number(v.getBigUint64(l1, true));
  const r = await fuzzImage({ base, seed: 9, iterations: 400, timeBudgetMs: 3000, hotspots: [[0, 128], [l1, l1 + 64], [l2, l2 + 4096]], run: async (b) => exercise(await open(b)) });
  assert.ok(r.cases > 50 && r.fsErrors > 0, JSON.stringify(r));
});

test('qed hostile: header fields', { skip }, async () => {
  const { base, open } = await setup();
  await rejectsWith(open(patched(base, [[0, 0, 4]])), 'EIO', /qed: header at offset 0 .*: bad magic/);
  await rejectsWith(open(patched(base, [[16, 1n << 40n, 8]])), 'EOPNOTSUPP', /unknown incompatible feature bits 0x10000000000/);
  await rejectsWith(open(patched(base, [[4, 0, 4]])), 'EIO', /cluster size 0/);
  await rejectsWith(open(patched(base, [[4, 1 << 30, 4]])), 'EIO', /cluster size 1073741824/);
  await rejectsWith(open(patched(base, [[8, 3, 4]])), 'EIO', /table size 3 clusters/);
  await rejectsWith(open(patched(base, [[48, 2n ** 62n, 8]])), 'EIO', /image size .* exceeds/);
  await rejectsWith(open(patched(base, [[40, 2n ** 40n, 8]])), 'EIO', /L1 table offset/);
  await rejectsWith(open(patched(base, [[60, 100000, 4]])), 'EIO', /backing file name .* outside the header/);
  await rejectsWith(open(base.slice(0, 32)), 'EIO', /qed: header/);
});

test('qed hostile: L1/L2 entries pointing past the end or into the header', { skip }, async () => {
  const { base, open, asked } = await setup();
  const v = new DataView(base.buffer);
  const l1 = Number(v.getBigUint64(40, true));
  const l2 = Number(v.getBigUint64(l1, true));
  const readAll = async (b: Uint8Array) => {
    const dev = await open(b);
    try {
      await dev.read(new Uint8Array(dev.size), 0);
    } finally {
      await dev.close();
    }
  };
  await rejectsWith(readAll(patched(base, [[l1, 2n ** 40n, 8]])), 'EIO', /L1 entry 0 at offset \d+ .*: L2 table offset \d+ is invalid/);
  await rejectsWith(readAll(patched(base, [[l1, 4096 + 1, 8]])), 'EIO', /L2 table offset 4097 is invalid/);
  // Cluster 1 (data at 4 KiB) pointed inside a cluster of the header, and past the end.
  await rejectsWith(readAll(patched(base, [[l2 + 8, 100, 8]])), 'EIO', /entry 1: cluster offset 100 is invalid/);
  await rejectsWith(readAll(patched(base, [[l2 + 8, 2n ** 40n, 8]])), 'EIO', /entry 1: cluster offset 1099511627776 is invalid/);
  assert.ok(asked.every((n) => n === 'small.raw'), 'only the named backing file was asked for');
});

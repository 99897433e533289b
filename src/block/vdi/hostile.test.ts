// Hostile VDI input: seeded fuzzing of a real image plus hand-made corruptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { containerFixture, exercise, fuzzImage, memoryContext } from '../../../test/containers/helpers.js';
import { patched, rejectsWith } from '../../../test/containers/hostile.js';
import { MemoryDevice } from '../memory.js';
import { vdiFormat } from './index.js';

const skip = needTools('qemu-img');
const dir = () => containerFixture('vdi.sh');
const open = (bytes: Uint8Array) => vdiFormat.open(new MemoryDevice(bytes, { readOnly: true }), memoryContext());
const load = async (n: string) => new Uint8Array(readFileSync(join(await dir(), n)));

test('vdi fuzz', { skip }, async () => {
  const base = await load('small.vdi');
  const bmap = new DataView(base.buffer).getUint32(340, true);
  const r = await fuzzImage({ base, seed: 5, iterations: 400, timeBudgetMs: 3000, hotspots: [[0, 512], [bmap, bmap + 64]], run: async (b) => exercise(await open(b)) });
  assert.ok(r.cases > 50 && r.fsErrors > 0, JSON.stringify(r));
});

test('vdi hostile: header fields, types, versions', { skip }, async () => {
  const base = await load('small.vdi');
  await rejectsWith(open(patched(base, [[64, 0x12345678, 4]])), 'EIO', /bad signature 0x12345678/);
  await rejectsWith(open(patched(base, [[68, 0, 4]])), 'EOPNOTSUPP', /header version 0\.0/);
  await rejectsWith(open(patched(base, [[76, 4, 4]])), 'EOPNOTSUPP', /diff image: VirtualBox finds its parent \(UUID [0-9a-f-]{36}\)/);
  await rejectsWith(open(patched(base, [[76, 3, 4]])), 'EOPNOTSUPP', /undo image/);
  await rejectsWith(open(patched(base, [[376, 0, 4]])), 'EIO', /block size 0/);
  await rejectsWith(open(patched(base, [[360, 4096, 4]])), 'EOPNOTSUPP', /sector size 4096/);
  await rejectsWith(open(patched(base, [[368, 2n ** 50n, 8]])), 'EIO', /disk size .* exceeds/);
  await rejectsWith(open(patched(base, [[384, 0xffffffff, 4]])), 'EIO', /data offset \d+ overlaps the block map/);
  await rejectsWith(open(patched(base, [[384, 0xffffffff, 4], [344, 0xfffffe00, 4], [368, 2n ** 40n, 8]])), 'EIO', /data offset .* past the end|block map/);
  await rejectsWith(open(base.slice(0, 200)), 'EIO', /vdi: header/);
});

test('vdi hostile: block map entries pointing past the end', { skip }, async () => {
  const base = await load('small.vdi');
  const bmap = new DataView(base.buffer).getUint32(340, true);
  const dev = await open(patched(base, [[bmap, 0x00ffffff, 4]]));
  try {
    await rejectsWith(dev.read(new Uint8Array(4096), 0), 'EIO', /block map entry 0 at offset \d+ .* block 16777215 lies outside/);
  } finally {
    await dev.close();
  }
  // A truncated file: allocated blocks now lie past the end.
  const cut = await open(base.slice(0, base.length - 300000));
  try {
    await rejectsWith(cut.read(new Uint8Array(cut.size), 0), 'EIO', /lies outside the data area/);
  } finally {
    await cut.close();
  }
});

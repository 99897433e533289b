// Hostile VHD input: seeded fuzzing of real images plus hand-made corruptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { containerFixture, exercise, fuzzImage, memoryContext } from '../../../test/containers/helpers.js';
import { patched, rejectsWith } from '../../../test/containers/hostile.js';
import { MemoryDevice } from '../memory.js';
import { vhdFormat } from './index.js';
import { vhdChecksum } from './footer.js';

const skip = needTools('qemu-img', 'qemu-io', '/usr/bin/python3');
const dir = () => containerFixture('vhd.sh');
const open = (bytes: Uint8Array, related: Record<string, () => Promise<MemoryDevice>> = {}, asked: string[] = []) =>
  vhdFormat.open(new MemoryDevice(bytes, { readOnly: true }), memoryContext(related, asked));
const load = async (n: string) => new Uint8Array(readFileSync(join(await dir(), n)));

/** Re-seals the footer copies (start and end) and the dynamic header after an edit. */
function seal(b: Uint8Array, dynAt = 512): Uint8Array {
  const v = new DataView(b.buffer);
  for (const at of [0, b.length - 512]) v.setUint32(at + 64, vhdChecksum(b.subarray(at, at + 512), 64), false);
  v.setUint32(dynAt + 36, vhdChecksum(b.subarray(dynAt, dynAt + 1024), 36), false);
  return b;
}

async function readAll(bytes: Uint8Array, related: Record<string, () => Promise<MemoryDevice>> = {}): Promise<void> {
  const dev = await open(bytes, related);
  try {
    await dev.read(new Uint8Array(dev.size), 0);
  } finally {
    await dev.close();
  }
}

test('vhd fuzz: dynamic', { skip }, async () => {
  const base = await load('small.vhd');
  const r = await fuzzImage({ base, seed: 11, iterations: 400, timeBudgetMs: 3000, hotspots: [[0, 2048], [1536, 1600], [base.length - 512, base.length]], run: async (b) => exercise(await open(b)) });
  assert.ok(r.cases > 50 && r.fsErrors > 0, JSON.stringify(r));
});

test('vhd fuzz: differencing (parent intact)', { skip }, async () => {
  const base = await load('diff.vhd');
  const parent = await load('dynamic.vhd');
  const related = { 'dynamic.vhd': async () => (await vhdFormat.open(new MemoryDevice(parent, { readOnly: true }), memoryContext())) as MemoryDevice };
  const r = await fuzzImage({ base, seed: 12, iterations: 300, timeBudgetMs: 3000, hotspots: [[0, 4096], [base.length - 512, base.length]], run: async (b) => exercise(await open(b, related)) });
  assert.ok(r.cases > 30 && r.fsErrors > 0, JSON.stringify(r));
});

test('vhd hostile: footers, checksums, headers', { skip }, async () => {
  const base = await load('small.vhd');
  const end = base.length - 512;
  // Bad end footer, good copy at the start: readable, with a warning.
  const b1 = base.slice();
  b1[end + 100] ^= 0xff;
  const dev = await open(b1);
  assert.match(dev.describe!().warnings?.[0] ?? '', /checksum mismatch, using the copy at offset 0/);
  await dev.close();
  // Both copies bad: EIO, as QEMU.
  const b2 = b1.slice();
  b2[100] ^= 0xff;
  await rejectsWith(open(b2), 'EIO', /vhd: footer at offset \d+ .*: checksum mismatch/);
  await rejectsWith(open(new Uint8Array(4096)), 'EIO', /no "conectix" footer/);
  await rejectsWith(open(base.slice(0, 100)), 'EIO', /too short/);
  // Block size 0 / not a power of two; BAT too small; BAT of 2^32-1 entries past the end (no allocation).
  await rejectsWith(open(seal(patched(base, [[512 + 32, 0, 4, true]]))), 'EIO', /block size 0 is not a power of two/);
  await rejectsWith(open(seal(patched(base, [[512 + 32, 3 << 20, 4, true]]))), 'EIO', /block size 3145728/);
  await rejectsWith(open(seal(patched(base, [[512 + 28, 1, 4, true]]))), 'EIO', /1 BAT entries .* cannot hold/);
  await rejectsWith(open(seal(patched(base, [[512 + 28, 0xffffffff, 4, true]]))), 'EIO', /BAT at offset 1536 .* 4294967295 entries .* extend past the end/);
  // Disk type unknown; absurd size (over 2040 GiB).
  await rejectsWith(open(seal(patched(base, [[60, 9, 4, true], [end + 60, 9, 4, true]]))), 'EOPNOTSUPP', /disk type 9/);
  await rejectsWith(open(seal(patched(base, [[28, 0x71656d32, 4, true], [end + 28, 0x71656d32, 4, true], [48, 2n ** 60n, 8, true], [end + 48, 2n ** 60n, 8, true]]))), 'EOPNOTSUPP', /2040 GiB/);
  // Dynamic header offset past the end; wrong cookie.
  await rejectsWith(open(seal(patched(base, [[16, 2n ** 40n, 8, true], [end + 16, 2n ** 40n, 8, true]]))), 'EIO', /dynamic disk header at offset/);
  const b3 = base.slice();
  b3[512] = 0x41;
  await rejectsWith(open(b3), 'EIO', /no "cxsparse" cookie/);
});

test('vhd hostile: BAT entries pointing past the end or into the footer copy', { skip }, async () => {
  const base = await load('small.vhd');
  await rejectsWith(readAll(patched(base, [[1536, 0x7ffffff0, 4, true]])), 'EIO', /BAT entry 0 at offset 1536 .* block at sector 2147483632 lies outside the file/);
  await rejectsWith(readAll(patched(base, [[1536, 0, 4, true]])), 'EIO', /BAT entry 0 .* lies outside the file/);
  // A truncated file: the last block is cut off.
  await rejectsWith(readAll(base.slice(0, base.length - 700000)), 'EIO', /BAT entry 1 .* lies outside the file|footer/);
});

test('vhd hostile: differencing parents — none reachable, locator lengths, no openRelated', { skip }, async () => {
  const base = await load('diff.vhd');
  const asked: string[] = [];
  await rejectsWith(open(base, {}, asked), 'ENOENT', /no such file/);
  assert.deepEqual(asked, ['dynamic.vhd', '/nonexistent/dynamic.vhd'], 'each distinct name tried once, no recursion');
  // W2ru locator (first entry at 576) claims 1 GiB of data.
  await rejectsWith(open(seal(patched(base, [[512 + 576 + 8, 1 << 30, 4, true]]))), 'EIO', /parent locator W2ru .* data length 1073741824 is absurd/);
  await rejectsWith(vhdFormat.open(new MemoryDevice(base, { readOnly: true }), { readOnly: true }), 'EOPNOTSUPP', /no access to related files/);
});

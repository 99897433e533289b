// Hostile APM, BSD and RDB tables: parted-made images with counts, pointers and chains rewritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFsError } from '../../errors.js';
import { MemoryDevice } from '../memory.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { readApm } from './apm.js';
import { readBsd } from './bsd.js';
import { readRdb } from './rdb.js';

const skip = needTools('parted');
const image = async (name: string) => new Uint8Array(readFileSync(join(await fixture('partition/legacy.sh'), name)));
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

test('apm hostile: a map count of 2^32-1 is capped and the map ends at the first non-PM block', { skip }, async () => {
  const b = await image('apm-fuzz.img');
  const good = (await readApm(new MemoryDevice(b)))!;
  view(b).setUint32(512 + 4, 0xffffffff, false);
  const t = (await readApm(new MemoryDevice(b)))!;
  assert.ok(t.warnings.some((w) => /pmMapBlkCnt 4294967295 .* reading \d+ entries/.test(w)), t.warnings.join('\n'));
  assert.ok(t.warnings.some((w) => /has no 'PM' signature: map ends there/.test(w)));
  assert.deepEqual(t.partitions.map((p) => [p.start, p.size]), good.partitions.map((p) => [p.start, p.size]));
});

test('apm hostile: entries past the end are clamped or dropped; a zero map count is EIO; no PM is no APM', { skip }, async () => {
  const b = await image('apm-fuzz.img');
  view(b).setUint32(2 * 512 + 8, 0x7fffffff, false); // entry 2 starts far past the end
  view(b).setUint32(3 * 512 + 12, 0x7fffffff, false); // entry 3 runs past the end
  const t = (await readApm(new MemoryDevice(b)))!;
  assert.ok(!t.partitions.some((p) => p.index === 2));
  assert.equal(t.partitions.find((p) => p.index === 3)!.start + t.partitions.find((p) => p.index === 3)!.size, b.length);
  assert.ok(t.warnings.some((w) => /partition 2 starts .* dropped/.test(w)));
  const z = await image('apm-fuzz.img');
  view(z).setUint32(512 + 4, 0, false);
  await assert.rejects(readApm(new MemoryDevice(z)), (e: unknown) => isFsError(e, 'EIO') && /pmMapBlkCnt is 0/.test(e.message));
  const n = await image('apm-fuzz.img');
  n[512] = 0;
  assert.equal(await readApm(new MemoryDevice(n)), undefined);
});

test('bsd hostile: d_npartitions 65535 is capped; partitions past the end clamped; one magic is not a label', { skip }, async () => {
  const b = await image('bsd-fuzz.img');
  const v = view(b);
  v.setUint16(64 + 138, 0xffff, true);
  v.setUint32(64 + 148 + 16, 0x7fffffff, true); // slot b size: runs past the end
  const t = (await readBsd(new MemoryDevice(b)))!;
  assert.ok(t.warnings.some((w) => /d_npartitions 65535 is more than 16/.test(w)));
  assert.ok(t.warnings.some((w) => /partition 2 ends .* clamped/.test(w)));
  const one = await image('bsd-fuzz.img');
  view(one).setUint32(64 + 132, 0, true); // d_magic2 gone
  assert.equal(await readBsd(new MemoryDevice(one)), undefined);
});

/** Rewrites the checksum (long 2) of the 512-byte block at `off` so its SummedLongs longs sum to 0. */
function resum(b: Uint8Array, off: number): void {
  const v = view(b);
  const longs = v.getUint32(off + 4, false) & 0x7f;
  v.setInt32(off + 8, 0, false);
  let sum = 0;
  for (let i = 0; i < longs; i++) sum = (sum + v.getUint32(off + 4 * i, false)) >>> 0;
  v.setUint32(off + 8, (0x1_0000_0000 - sum) >>> 0, false);
}

function findBlocks(b: Uint8Array, id: string): number[] {
  const out: number[] = [];
  for (let o = 0; o < Math.min(b.length, 64 * 512); o += 512) if (new TextDecoder().decode(b.subarray(o, o + 4)) === id) out.push(o);
  return out;
}

test('rdb hostile: a PART chain that loops, or points past the end, stops with a warning', { skip }, async () => {
  const b = await image('amiga-fuzz.img');
  const parts = findBlocks(b, 'PART');
  assert.ok(parts.length >= 2);
  const first = parts[0]! / 512;
  view(b).setUint32(parts[1]! + 16, first, false); // the second PART links back to the first
  resum(b, parts[1]!);
  const t = (await readRdb(new MemoryDevice(b)))!;
  assert.equal(t.partitions.length, 2);
  assert.ok(t.warnings.some((w) => new RegExp(`loops back to PART block ${first}`).test(w)), t.warnings.join('\n'));
  view(b).setUint32(parts[1]! + 16, 0x7ffffff0, false);
  resum(b, parts[1]!);
  const u = (await readRdb(new MemoryDevice(b)))!;
  assert.ok(u.warnings.some((w) => /lies past the end of the disk/.test(w)), u.warnings.join('\n'));
});

test('rdb hostile: a bad PART checksum skips it; rdb_BlockBytes 0 is EIO; a bad RDSK checksum is no RDB', { skip }, async () => {
  const b = await image('amiga-fuzz.img');
  const parts = findBlocks(b, 'PART');
  b[parts[0]! + 40] ^= 1;
  const t = (await readRdb(new MemoryDevice(b)))!;
  assert.equal(t.partitions.length, 1);
  assert.ok(t.warnings.some((w) => /bad checksum: skipped/.test(w)));
  const z = await image('amiga-fuzz.img');
  const rdsk = findBlocks(z, 'RDSK')[0]!;
  view(z).setUint32(rdsk + 16, 0, false);
  resum(z, rdsk);
  await assert.rejects(readRdb(new MemoryDevice(z)), (e: unknown) => isFsError(e, 'EIO') && /rdb_BlockBytes 0/.test(e.message));
  const c = await image('amiga-fuzz.img');
  c[findBlocks(c, 'RDSK')[0]! + 100] ^= 1;
  assert.equal(await readRdb(new MemoryDevice(c)), undefined);
});

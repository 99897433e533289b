// Hostile GPTs: a real sgdisk image with header fields and entries rewritten (CRCs recomputed, so the
// checks behind the CRC are what is tested): huge counts, bad entry sizes, header sizes, LBAs past the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFsError } from '../../errors.js';
import { crc32 } from '../../util/crc32.js';
import { setU64le } from '../../binary/reader.js';
import { MemoryDevice } from '../memory.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { partxTruth } from '../../../test/helpers/partition-truth.js';
import { readGpt } from './gpt.js';

const skip = needTools('sgdisk', 'partx');
const SS = 512;

async function base(): Promise<Uint8Array> {
  return new Uint8Array(readFileSync(join(await fixture('partition/gpt.sh'), 'fuzz.img')));
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const lastLba = (b: Uint8Array) => b.length / SS - 1;

/** Edits the header at `lba` and recomputes its CRC (over HeaderSize, capped to the sector). */
function editHeader(b: Uint8Array, lba: number, edit: (v: DataView, o: number) => void): void {
  const v = view(b);
  const o = lba * SS;
  edit(v, o);
  const size = Math.min(Math.max(v.getUint32(o + 12, true), 92), SS);
  v.setUint32(o + 16, 0, true);
  v.setUint32(o + 16, crc32(b.subarray(o, o + size)), true);
}

/** Edits entry `i` of the array the header at `lba` points to, then fixes both CRCs. */
function editEntry(b: Uint8Array, lba: number, i: number, edit: (v: DataView, o: number) => void): void {
  const v = view(b);
  const h = lba * SS;
  const arrayLba = Number(v.getBigUint64(h + 72, true));
  const n = v.getUint32(h + 80, true);
  const es = v.getUint32(h + 84, true);
  edit(v, arrayLba * SS + i * es);
  const crc = crc32(b.subarray(arrayLba * SS, arrayLba * SS + n * es));
  editHeader(b, lba, (hv, o) => hv.setUint32(o + 88, crc, true));
}

const both = (b: Uint8Array, edit: (v: DataView, o: number) => void) => {
  editHeader(b, 1, edit);
  editHeader(b, lastLba(b), edit);
};

const headerCases: Array<[what: string, edit: (v: DataView, o: number) => void, reason: RegExp]> = [
  ['NumberOfPartitionEntries 2^32-1', (v, o) => v.setUint32(o + 80, 0xffffffff, true), /NumberOfPartitionEntries 4294967295 .* exceeds the limit/],
  ['NumberOfPartitionEntries 128 Ki + 1', (v, o) => v.setUint32(o + 80, 128 * 1024 + 1, true), /NumberOfPartitionEntries 131073/],
  ['NumberOfPartitionEntries that the disk cannot hold', (v, o) => v.setUint32(o + 80, 100_000, true), /entry array .* lies past the end of the disk/],
  ['SizeOfPartitionEntry 0', (v, o) => v.setUint32(o + 84, 0, true), /SizeOfPartitionEntry 0 /],
  ['SizeOfPartitionEntry 2^31', (v, o) => v.setUint32(o + 84, 0x80000000, true), /SizeOfPartitionEntry 2147483648 /],
  ['SizeOfPartitionEntry 130', (v, o) => v.setUint32(o + 84, 130, true), /SizeOfPartitionEntry 130 /],
  ['HeaderSize 91', (v, o) => v.setUint32(o + 12, 91, true), /HeaderSize 91 is outside 92..512/],
  ['HeaderSize 513', (v, o) => v.setUint32(o + 12, 513, true), /HeaderSize 513 is outside/],
  ['PartitionEntryLBA past the end', (v, o) => setU64le(v, o + 72, 1e9), /entry array at LBA 1000000000 .* past the end/],
  ['PartitionEntryLBA 2^64-1', (v, o) => v.setBigUint64(o + 72, 0xffffffffffffffffn, true), /entry array at LBA .* past the end/],
  ['PartitionEntryLBA over the header', (v, o) => setU64le(v, o + 72, v.getUint32(o + 24, true) === 1 ? 1 : v.getUint32(o + 24, true) - 1), /overlaps the header|CRC32/],
  ['MyLBA wrong', (v, o) => setU64le(v, o + 24, 7), /MyLBA is 7/],
  ['FirstUsableLBA after LastUsableLBA', (v, o) => setU64le(v, o + 40, 1e12), /FirstUsableLBA .* is after LastUsableLBA/],
];

for (const [what, edit, reason] of headerCases) {
  test(`gpt hostile: ${what} in the primary → backup with a warning; in both → EIO`, { skip }, async () => {
    const good = await base();
    const expected = (await readGpt(new MemoryDevice(good)))!.partitions;
    const one = good.slice();
    editHeader(one, 1, edit);
    const t = (await readGpt(new MemoryDevice(one)))!;
    assert.ok(t.warnings.some((w) => /primary GPT is damaged/.test(w) && reason.test(w)), t.warnings.join('\n'));
    assert.deepEqual(t.partitions, expected);
    const two = good.slice();
    both(two, edit);
    await assert.rejects(readGpt(new MemoryDevice(two)), (e: unknown) => {
      assert.ok(isFsError(e, 'EIO'), String(e));
      assert.match(e.message, reason);
      assert.match(e.message, /backup header at LBA \d+/);
      return true;
    });
  });
}

test('gpt hostile: the base image reads as partx reads it', { skip }, async () => {
  const path = join(await fixture('partition/gpt.sh'), 'fuzz.img');
  const partx = await partxTruth(path);
  const t = (await readGpt(new MemoryDevice(await base())))!;
  assert.deepEqual(t.partitions.map((p) => [p.index, p.start, p.size, p.name]), partx.map((p) => [p.index, p.start, p.size, p.name]));
  assert.deepEqual(t.warnings, []);
});

test('gpt hostile: entries past the end are clamped or dropped, reversed ones ignored, overlaps kept — all with warnings', { skip }, async () => {
  const b = await base();
  const sectors = b.length / SS;
  for (const lba of [1, lastLba(b)]) {
    editEntry(b, lba, 0, (v, o) => setU64le(v, o + 40, sectors + 100)); // ends past the end
    editEntry(b, lba, 1, (v, o) => {
      setU64le(v, o + 32, sectors + 5); // starts past the end
      setU64le(v, o + 40, sectors + 10);
    });
    editEntry(b, lba, 3, (v, o) => {
      setU64le(v, o + 32, 100); // end before start
      setU64le(v, o + 40, 50);
    });
    editEntry(b, lba, 7, (v, o) => {
      // a new entry overlapping partition 1
      v.setUint32(o, 0x0fc63daf, true);
      v.setUint32(o + 4, 1, true);
      setU64le(v, o + 32, 60);
      setU64le(v, o + 40, 70);
    });
  }
  const t = (await readGpt(new MemoryDevice(b)))!;
  assert.deepEqual(t.partitions.map((p) => p.index), [1, 8]);
  assert.equal(t.partitions[0]!.start + t.partitions[0]!.size, b.length);
  const w = t.warnings.join('\n');
  assert.match(w, /partition 1 ends at byte .* clamped/);
  assert.match(w, /partition 2 starts at byte .* dropped/);
  assert.match(w, /entry 4: EndingLBA 50 is before StartingLBA 100: ignored/);
  assert.match(w, /partition 8 overlaps partition 1/);
  assert.match(w, /outside the usable LBAs/);
});

test('gpt hostile: zeroed headers behind a protective MBR are EIO; a zeroed sector 0 only warns', { skip }, async () => {
  const b = await base();
  const z = b.slice();
  z.fill(0, SS, 2 * SS);
  z.fill(0, z.length - SS);
  await assert.rejects(readGpt(new MemoryDevice(z)), (e: unknown) => isFsError(e, 'EIO') && /no usable GPT header/.test(e.message));
  const noPmbr = b.slice();
  noPmbr.fill(0, 0, SS);
  const t = (await readGpt(new MemoryDevice(noPmbr)))!;
  assert.ok(t.warnings.includes('gpt: no protective MBR in sector 0'));
  assert.equal(t.partitions.length, 3);
  // nothing at all: not a GPT
  assert.equal(await readGpt(new MemoryDevice(new Uint8Array(b.length))), undefined);
});

test('gpt hostile: a valid MBR without an 0xEE entry hides a stale GPT unless asked', { skip }, async () => {
  const b = await base();
  const v = view(b);
  v.setUint8(0x1be + 4, 0x83); // the protective entry becomes a Linux partition
  assert.equal(await readGpt(new MemoryDevice(b)), undefined);
  const t = (await readGpt(new MemoryDevice(b), { ignoreMbr: true }))!;
  assert.equal(t.partitions.length, 3);
  assert.ok(t.warnings.some((w) => /MBR without a protective entry/.test(w)));
});

test('gpt hostile: bit flips in the primary header fall back; the array of the backup is checked too', { skip }, async () => {
  const b = await base();
  b[SS + 60] ^= 0x10; // DiskGUID bit: CRC mismatch
  const t = (await readGpt(new MemoryDevice(b)))!;
  assert.ok(t.warnings.some((w) => /HeaderCRC32/.test(w)));
  const arrayStart = Number(view(b).getBigUint64(b.length - SS + 72, true)) * SS;
  b[arrayStart + 3] ^= 1; // backup array damaged as well
  await assert.rejects(readGpt(new MemoryDevice(b)), (e: unknown) => isFsError(e, 'EIO') && /backup partition entry array/.test(e.message));
});

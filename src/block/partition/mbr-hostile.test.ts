// Hand-made hostile MBRs: EBR loops, very long chains, entries past the end, overlaps, boot sectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDevice } from '../memory.js';
import { MAX_EBR_CHAIN, readMbr } from './mbr.js';

interface Entry {
  boot?: number;
  type: number;
  start: number;
  sectors: number;
}

/** Writes a 55AA sector with up to four entries at sector `lba` of `disk`. */
function putTable(disk: Uint8Array, lba: number, entries: Entry[], signature = 0x12345678): void {
  const o = lba * 512;
  const v = new DataView(disk.buffer, disk.byteOffset + o, 512);
  if (lba === 0) v.setUint32(0x1b8, signature, true);
  entries.forEach((e, i) => {
    const p = 0x1be + 16 * i;
    v.setUint8(p, e.boot ?? 0);
    v.setUint8(p + 4, e.type);
    v.setUint32(p + 8, e.start, true);
    v.setUint32(p + 12, e.sectors, true);
  });
  v.setUint8(510, 0x55);
  v.setUint8(511, 0xaa);
}

const disk = (sectors: number) => new Uint8Array(sectors * 512);

test('mbr hostile: an EBR linking back to an earlier EBR stops the chain with a warning', async () => {
  const d = disk(4096);
  putTable(d, 0, [{ type: 0x05, start: 100, sectors: 3000 }]);
  putTable(d, 100, [{ type: 0x83, start: 5, sectors: 10 }, { type: 0x05, start: 100, sectors: 50 }]); // → 200
  putTable(d, 200, [{ type: 0x83, start: 5, sectors: 10 }, { type: 0x05, start: 200, sectors: 50 }]); // → 300
  putTable(d, 300, [{ type: 0x83, start: 5, sectors: 10 }, { type: 0x05, start: 100, sectors: 50 }]); // → 200 again
  const t = (await readMbr(new MemoryDevice(d)))!;
  assert.deepEqual(t.partitions.map((p) => [p.index, p.start / 512]), [[1, 100], [5, 105], [6, 205], [7, 305]]);
  assert.ok(t.warnings.some((w) => /loops back to EBR at sector 200/.test(w)), t.warnings.join('\n'));
});

test('mbr hostile: an EBR linking to itself stops at once', async () => {
  const d = disk(4096);
  putTable(d, 0, [{ type: 0x0f, start: 100, sectors: 3000 }]);
  putTable(d, 100, [{ type: 0x83, start: 5, sectors: 10 }, { type: 0x05, start: 100, sectors: 50 }]); // → 200
  putTable(d, 200, [{ type: 0x83, start: 5, sectors: 10 }, { type: 0x05, start: 100, sectors: 50 }]); // → 200
  const t = (await readMbr(new MemoryDevice(d)))!;
  assert.deepEqual(t.partitions.map((p) => p.index), [1, 5, 6]);
  assert.ok(t.warnings.some((w) => /loops back to EBR at sector 200/.test(w)));
});

test('mbr hostile: a chain of 10,000 EBRs is cut at the cap, quickly', async () => {
  const n = 10_000;
  const d = disk(2 * n + 200);
  putTable(d, 0, [{ type: 0x05, start: 100, sectors: 2 * n + 50 }]);
  for (let i = 0; i < n; i++) {
    const entries: Entry[] = [{ type: 0x83, start: 1, sectors: 1 }];
    if (i + 1 < n) entries.push({ type: 0x05, start: 2 * (i + 1), sectors: 2 });
    putTable(d, 100 + 2 * i, entries);
  }
  const t0 = Date.now();
  const t = (await readMbr(new MemoryDevice(d)))!;
  const logicals = t.partitions.filter((p) => p.flags?.includes('logical'));
  assert.equal(logicals.length, MAX_EBR_CHAIN);
  assert.equal(logicals.at(-1)!.index, 4 + MAX_EBR_CHAIN);
  assert.ok(t.warnings.some((w) => /EBR chain longer than 1024 links/.test(w)));
  assert.ok(Date.now() - t0 < 5000);
});

test('mbr hostile: entries past the end are clamped or dropped with warnings, numbers kept', async () => {
  const d = disk(1000);
  putTable(d, 0, [
    { type: 0x83, start: 10, sectors: 100 },
    { type: 0x83, start: 900, sectors: 500 }, // ends past the end
    { type: 0x83, start: 5000, sectors: 10 }, // starts past the end
    { type: 0x83, start: 0xffffffff, sectors: 0xffffffff },
  ]);
  const t = (await readMbr(new MemoryDevice(d)))!;
  assert.deepEqual(t.partitions.map((p) => [p.index, p.start / 512, p.size / 512]), [[1, 10, 100], [2, 900, 100]]);
  assert.ok(t.warnings.some((w) => /partition 2 ends .* clamped to 51200 bytes/.test(w)));
  assert.ok(t.warnings.some((w) => /partition 3 starts .* dropped/.test(w)));
  assert.ok(t.warnings.some((w) => /partition 4 starts .* dropped/.test(w)));
});

test('mbr hostile: overlapping primaries are kept with a warning; zero-size entries skipped, numbers kept', async () => {
  const d = disk(1000);
  putTable(d, 0, [{ type: 0x83, start: 10, sectors: 100 }, { type: 0x07, start: 0, sectors: 0 }, { type: 0x0c, start: 50, sectors: 100 }]);
  const t = (await readMbr(new MemoryDevice(d)))!;
  assert.deepEqual(t.partitions.map((p) => p.index), [1, 3]);
  assert.ok(t.warnings.some((w) => /partition 3 overlaps partition 1/.test(w)));
});

test('mbr hostile: a bad boot indicator means no MBR; so does a missing 55AA', async () => {
  const d = disk(100);
  putTable(d, 0, [{ type: 0x83, start: 10, sectors: 10, boot: 0x01 }]);
  assert.equal(await readMbr(new MemoryDevice(d)), undefined);
  const e = disk(100);
  assert.equal(await readMbr(new MemoryDevice(e)), undefined);
  assert.equal(await readMbr(new MemoryDevice(new Uint8Array(300))), undefined);
});

test('mbr hostile: logicals outside the extended partition and links leaving it are refused with warnings', async () => {
  const d = disk(4096);
  putTable(d, 0, [{ type: 0x05, start: 100, sectors: 200 }]);
  putTable(d, 100, [{ type: 0x83, start: 500, sectors: 10 }, { type: 0x05, start: 1000, sectors: 10 }]);
  const t = (await readMbr(new MemoryDevice(d)))!;
  assert.deepEqual(t.partitions.map((p) => p.index), [1]);
  assert.ok(t.warnings.some((w) => /lies outside its extended partition/.test(w)));
  assert.ok(t.warnings.some((w) => /leaves the extended partition/.test(w)));
});

test('mbr hostile: an EBR past the end of the disk or without 55AA ends the chain with a warning', async () => {
  const d = disk(200);
  putTable(d, 0, [{ type: 0x05, start: 150, sectors: 5000 }]);
  putTable(d, 150, [{ type: 0x83, start: 1, sectors: 10 }, { type: 0x05, start: 4000, sectors: 10 }]);
  const t = (await readMbr(new MemoryDevice(d)))!;
  assert.ok(t.warnings.some((w) => /EBR at sector 4150 .* lies past the end of the disk/.test(w)), t.warnings.join('\n'));
  const e = disk(400);
  putTable(e, 0, [{ type: 0x05, start: 100, sectors: 200 }]);
  putTable(e, 100, [{ type: 0x83, start: 1, sectors: 10 }, { type: 0x05, start: 50, sectors: 10 }]);
  e[150 * 512] = 1; // garbage, no 55AA
  const u = (await readMbr(new MemoryDevice(e)))!;
  assert.deepEqual(u.partitions.map((p) => p.index), [1, 5]);
  assert.ok(u.warnings.some((w) => /EBR at sector 150 .* no 55AA/.test(w)));
});

test('mbr hostile: a protective MBR defers to GPT; a hybrid one warns', async () => {
  const d = disk(1000);
  putTable(d, 0, [{ type: 0xee, start: 1, sectors: 0xffffffff }]);
  const t = (await readMbr(new MemoryDevice(d)))!;
  assert.equal(t.supersededBy, 'gpt');
  assert.deepEqual(t.warnings, []);
  assert.deepEqual(t.partitions.map((p) => [p.flags, p.size]), [[['protective'], 999 * 512]]);
  const h = disk(1000);
  putTable(h, 0, [{ type: 0xee, start: 1, sectors: 99 }, { type: 0x0c, start: 100, sectors: 100, boot: 0x80 }]);
  const u = (await readMbr(new MemoryDevice(h)))!;
  assert.equal(u.supersededBy, 'gpt');
  assert.ok(u.warnings.some((w) => /hybrid MBR/.test(w)));
});

// Apple Partition Map, BSD disklabel and Amiga RDB images made by parted (and xorriso for an APM with
// 2048-byte blocks), compared with partx (libblkid) and parted -m.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '../../node/file-device.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needRoot, needTools } from '../../../test/helpers/tools.js';
import { blkidTruth, partedTruth, partxTruth } from '../../../test/helpers/partition-truth.js';
import { readApm } from './apm.js';
import { readBsd } from './bsd.js';
import { readRdb } from './rdb.js';
import { openPartition, readPartitionTable } from './index.js';
import type { PartitionTable } from './table.js';

const skip = needTools('parted', 'partx');
const dir = () => fixture('partition/legacy.sh');

async function read(path: string, f: (d: FileDevice) => Promise<PartitionTable | undefined>) {
  const dev = await FileDevice.open(path);
  try {
    return await f(dev);
  } finally {
    await dev.close();
  }
}

test('apm: parted mklabel mac image matches partx (every map entry) and parted (the named ones)', { skip }, async () => {
  const path = join(await dir(), 'apm.img');
  const partx = await partxTruth(path);
  assert.ok(partx.every((p) => p.scheme === 'mac'));
  const t = (await read(path, readApm))!;
  assert.equal(t.scheme, 'apm');
  assert.deepEqual(t.warnings, []);
  assert.deepEqual(
    t.partitions.map((p) => [p.index, p.start, p.size, p.name, p.type]),
    partx.map((p) => [p.index, p.start, p.size, p.name, p.type]),
  );
  const parted = await partedTruth(path);
  assert.equal(parted.label, 'mac');
  for (const q of parted.partitions) {
    const p = t.partitions.find((x) => x.index === q.index)!;
    assert.deepEqual([p.start, p.size, p.name], [q.start, q.size, q.name]);
  }
  assert.equal((await read(path, readPartitionTable))?.scheme, 'apm');
});

test('apm: an xorriso HFS+ hybrid with 2048-byte map blocks matches partx', { skip: skip ?? needTools('xorriso') }, async () => {
  const path = join(await fixture('partition/hybrid.sh'), 'apm.iso');
  assert.equal((await blkidTruth(path)).TYPE, 'iso9660');
  const partx = await partxTruth(path, { type: 'mac' });
  const t = (await read(path, readApm))!;
  assert.equal(t.sectorSize, 2048);
  assert.deepEqual(
    t.partitions.map((p) => [p.index, p.start, p.size, p.name ?? '', p.type]),
    partx.map((p) => [p.index, p.start, p.size, p.name ?? '', p.type]),
  );
  assert.ok(t.partitions.some((p) => p.type === 'Apple_HFS'));
  // blkid calls the disk's table 'mac', and the whole-disk order agrees
  assert.equal((await blkidTruth(path)).PTTYPE, 'mac');
  assert.equal((await read(path, readPartitionTable))?.scheme, 'apm');
});

test('bsd: parted mklabel bsd image (label at byte 64) matches partx', { skip }, async () => {
  const path = join(await dir(), 'bsd.img');
  const partx = await partxTruth(path);
  assert.ok(partx.length >= 3 && partx.every((p) => p.scheme === 'bsd'));
  const t = (await read(path, readBsd))!;
  // parted 3.5 writes a d_checksum that does not add up; Linux ignores it, and so do we (with a warning)
  assert.ok(t.warnings.every((w) => /d_checksum .* does not match/.test(w)), t.warnings.join('\n'));
  assert.deepEqual(
    t.partitions.map((p) => [p.index, p.start, p.size, Number(p.type)]),
    partx.map((p) => [p.index, p.start, p.size, Number(p.type)]),
  );
  assert.deepEqual(t.partitions.map((p) => p.typeName), ['4.2BSD', 'swap', '4.2BSD']);
  assert.equal((await read(path, readPartitionTable))?.scheme, 'bsd');
});

test('bsd: a label inside an MBR 0xa5 slice (relative offsets) is placed as partx places it', { skip: skip ?? needTools('sfdisk', 'losetup') ?? needRoot('a loop device over the slice') }, async (t) => {
  const d = await fixture('partition/bsd-nested.sh');
  if (existsSync(join(d, 'SKIPPED'))) return t.skip(readFileSync(join(d, 'SKIPPED'), 'utf8').trim());
  const path = join(d, 'bsd-nested.img');
  const partx = await partxTruth(path);
  const nested = partx.filter((p) => p.scheme === 'freebsd');
  assert.equal(nested.length, 2);
  // From the whole disk: the MBR wins; the bsd scheme finds the label in the slice.
  const dev = await FileDevice.open(path);
  try {
    const mbr = (await readPartitionTable(dev))!;
    assert.equal(mbr.scheme, 'mbr');
    const whole = (await readBsd(dev))!;
    assert.deepEqual(whole.partitions.map((p) => [p.start, p.size, Number(p.type)]), nested.map((p) => [p.start, p.size, Number(p.type)]));
    // From the slice as a device of its own: the same partitions, relative to the slice.
    const slice = openPartition(dev, mbr, 1);
    const inner = (await readBsd(slice))!;
    assert.deepEqual(inner.partitions.map((p) => [p.start + slice.start, p.size]), nested.map((p) => [p.start, p.size]));
  } finally {
    await dev.close();
  }
});

test('rdb: parted mklabel amiga image matches parted -m (names, places, boot flag)', { skip }, async () => {
  const path = join(await dir(), 'amiga.img');
  const parted = await partedTruth(path);
  assert.equal(parted.label, 'amiga');
  const t = (await read(path, readRdb))!;
  assert.equal(t.scheme, 'rdb');
  assert.deepEqual(t.warnings, []);
  assert.deepEqual(
    t.partitions.map((p) => [p.index, p.start, p.size, p.name, p.flags?.includes('bootable') ?? false]),
    parted.partitions.map((p) => [p.index, p.start, p.size, p.name, p.flags.split(', ').includes('boot')]),
  );
  // parted writes LNX\0 for ext2 and SWP\0 for linux-swap
  assert.deepEqual(t.partitions.map((p) => p.typeName), ['Linux native', 'Linux native', 'Linux swap']);
  assert.equal((await read(path, readPartitionTable))?.scheme, 'rdb');
});

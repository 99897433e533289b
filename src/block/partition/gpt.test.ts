// GPT tables made by sfdisk and sgdisk (and damaged with dd), compared with sfdisk --json, sgdisk -i and partx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '../../node/file-device.js';
import { isFsError } from '../../errors.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needRoot, needTools } from '../../../test/helpers/tools.js';
import { flagBits, partxTruth, sfdiskTruth, sgdiskInfo, type TruthPartition } from '../../../test/helpers/partition-truth.js';
import { readGpt } from './gpt.js';
import { readMbr } from './mbr.js';
import { readPartitionTable } from './index.js';
import type { PartitionTable } from './table.js';

const skip = needTools('sfdisk', 'sgdisk', 'partx');
const gptDir = () => fixture('partition/gpt.sh');

async function read(path: string, f: (d: FileDevice) => Promise<PartitionTable | undefined> = (d) => readGpt(d)) {
  const dev = await FileDevice.open(path);
  try {
    return await f(dev);
  } finally {
    await dev.close();
  }
}

function ours(table: PartitionTable): TruthPartition[] {
  return table.partitions.map((p) => ({
    index: p.index,
    start: p.start,
    size: p.size,
    type: p.type,
    uuid: p.uuid!,
    name: p.name ?? '',
    attributeBits: flagBits(p.flags),
  }));
}

function normal(parts: TruthPartition[]): TruthPartition[] {
  return parts.map((p) => ({
    index: p.index,
    start: p.start,
    size: p.size,
    type: p.type!.toLowerCase(),
    uuid: p.uuid!.toLowerCase(),
    name: p.name ?? '',
    attributeBits: p.attributeBits ?? [],
  }));
}

for (const name of ['sfdisk', 'sgdisk', 'wide']) {
  test(`gpt: ${name}.img matches sfdisk --json and partx`, { skip }, async () => {
    const path = join(await gptDir(), `${name}.img`);
    const truth = await sfdiskTruth(path);
    assert.equal(truth.label, 'gpt');
    const table = await read(path);
    assert.ok(table);
    assert.equal(table.scheme, 'gpt');
    assert.deepEqual(table.warnings, []);
    assert.equal(table.sectorSize, truth.sectorSize);
    assert.equal(table.diskId, truth.id!.toLowerCase());
    assert.deepEqual(ours(table), normal(truth.partitions));
    const partx = await partxTruth(path);
    assert.deepEqual(
      table.partitions.map((p) => [p.index, p.start, p.size, p.name ?? '', p.uuid]),
      partx.map((p) => [p.index, p.start, p.size, p.name ?? '', p.uuid]),
    );
    // The whole-disk order must defer to the GPT: the protective MBR names it.
    const mbr = await read(path, (d) => readMbr(d));
    assert.equal(mbr?.supersededBy, 'gpt');
    assert.equal((await read(path, (d) => readPartitionTable(d)))?.scheme, 'gpt');
  });
}

test('gpt: names, types, GUIDs and attribute words agree with sgdisk -i', { skip }, async () => {
  const path = join(await gptDir(), 'sgdisk.img');
  const table = (await read(path))!;
  assert.ok(table.partitions.length >= 10);
  for (const p of table.partitions) {
    const info = await sgdiskInfo(path, p.index);
    assert.equal(p.type, info.type.toLowerCase());
    assert.equal(p.uuid, info.uuid.toLowerCase());
    assert.equal(p.start, info.first * 512);
    assert.equal(p.size, (info.last - info.first + 1) * 512);
    assert.equal(p.name, info.name);
    let word = 0n;
    for (const b of flagBits(p.flags)) word |= 1n << BigInt(b);
    assert.equal(word, info.attributes, `attributes of partition ${p.index}`);
  }
  const named = Object.fromEntries(table.partitions.map((p) => [p.index, p.typeName]));
  assert.equal(named[2], 'EFI System');
  assert.equal(named[3], 'Linux swap');
  assert.equal(named[5], 'Microsoft basic data');
  assert.equal(named[8], 'Linux LVM');
  assert.equal(named[1], 'Linux filesystem');
});

const damaged: Array<[file: string, expect: RegExp]> = [
  ['bad-primary-header.img', /primary GPT is damaged \(gpt: primary header at LBA 1 .*HeaderCRC32.*\): using the backup at LBA \d+/],
  ['bad-primary-entries.img', /primary GPT is damaged \(gpt: primary partition entry array at LBA 2 .*PartitionEntryArrayCRC32.*\): using the backup/],
  ['zero-primary.img', /primary GPT is damaged \(no GPT header at LBA 1\): using the backup/],
];
for (const [file, expect] of damaged) {
  test(`gpt: ${file}: falls back to the backup, says so, and matches partx`, { skip }, async () => {
    const dir = await gptDir();
    const pristine = await sfdiskTruth(join(dir, 'sfdisk.img'));
    const table = (await read(join(dir, file)))!;
    assert.ok(table.warnings.some((w) => expect.test(w)), table.warnings.join('\n'));
    assert.deepEqual(ours(table), normal(pristine.partitions));
    // libblkid falls back to the backup as well
    const partx = await partxTruth(join(dir, file));
    assert.deepEqual(table.partitions.map((p) => [p.index, p.start, p.size]), partx.map((p) => [p.index, p.start, p.size]));
  });
}

test('gpt: a damaged backup is a warning; the primary serves', { skip }, async () => {
  const dir = await gptDir();
  const pristine = await sfdiskTruth(join(dir, 'sfdisk.img'));
  const table = (await read(join(dir, 'bad-backup.img')))!;
  assert.ok(table.warnings.some((w) => /backup GPT is damaged.*HeaderCRC32/.test(w)), table.warnings.join('\n'));
  assert.deepEqual(ours(table), normal(pristine.partitions));
});

test('gpt: both headers damaged is EIO naming both (partx finds nothing either)', { skip }, async () => {
  const path = join(await gptDir(), 'bad-both.img');
  assert.deepEqual(await partxTruth(path).catch(() => []), []);
  await assert.rejects(read(path), (e: unknown) => {
    assert.ok(isFsError(e, 'EIO'), String(e));
    assert.match(e.message, /primary header at LBA 1.*HeaderCRC32/);
    assert.match(e.message, /backup header at LBA \d+.*HeaderCRC32/);
    return true;
  });
  // the whole-disk order gives the same EIO rather than a protective MBR
  await assert.rejects(read(path, (d) => readPartitionTable(d)), (e: unknown) => isFsError(e, 'EIO'));
});

test('gpt: a grown disk (backup not at the end) warns and still reads', { skip }, async () => {
  const path = join(await gptDir(), 'grown.img');
  const table = (await read(path))!;
  assert.ok(table.warnings.some((w) => /not at the last LBA .*grown/.test(w)), table.warnings.join('\n'));
  assert.deepEqual(ours(table), normal((await sfdiskTruth(path)).partitions));
});

test('gpt: a truncated image warns, keeps what fits and drops what starts past the end', { skip }, async () => {
  const dir = await gptDir();
  const path = join(dir, 'truncated.img');
  const size = readFileSync(path).length;
  const table = (await read(path))!;
  const pristine = normal((await sfdiskTruth(join(dir, 'sfdisk.img'))).partitions);
  const expected = pristine
    .filter((p) => p.start < size)
    .map((p) => ({ ...p, size: Math.min(p.size, size - p.start) }));
  assert.ok(expected.length < pristine.length, 'the fixture cuts off a partition');
  assert.deepEqual(ours(table), expected);
  assert.ok(table.warnings.some((w) => /backup header should be at LBA .* past the end/.test(w)), table.warnings.join('\n'));
  assert.ok(table.warnings.some((w) => /partition 5 starts at byte .* past the end of the disk.*dropped/.test(w)), table.warnings.join('\n'));
});

test('gpt: 4096-byte sectors (sgdisk on a 4Kn loop device) match partx -S 4096', { skip: skip ?? needRoot('making a 4Kn loop device') ?? needTools('losetup') }, async (t) => {
  const dir = await fixture('partition/gpt4k.sh');
  if (existsSync(join(dir, 'SKIPPED'))) return t.skip(readFileSync(join(dir, 'SKIPPED'), 'utf8').trim());
  for (const file of ['gpt4k.img', 'gpt4k-bad-primary.img']) {
    const path = join(dir, file);
    const partx = await partxTruth(path, { sectorSize: 4096 });
    assert.equal(partx.length, 3);
    const table = (await read(path))!;
    assert.equal(table.sectorSize, 4096);
    assert.deepEqual(
      table.partitions.map((p) => [p.index, p.start, p.size, p.name, p.uuid, p.type]),
      partx.map((p) => [p.index, p.start, p.size, p.name, p.uuid, p.type]),
    );
    assert.deepEqual(flagBits(table.partitions.find((p) => p.index === 2)!.flags), [2]);
    if (file.includes('bad')) assert.ok(table.warnings.some((w) => /using the backup at LBA 4095/.test(w)), table.warnings.join('\n'));
    else assert.deepEqual(table.warnings, []);
  }
});

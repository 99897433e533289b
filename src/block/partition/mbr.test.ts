// MBR tables made by sfdisk, compared with sfdisk --json, partx (libblkid) and blkid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FileDevice } from '../../node/file-device.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { blkidTruth, partxTruth, sfdiskTruth } from '../../../test/helpers/partition-truth.js';
import { readMbr } from './mbr.js';
import { openPartition, readPartitionTable } from './index.js';

const skip = needTools('sfdisk', 'partx', 'blkid', 'mkfs.vfat', 'mkfs.ntfs', 'mkfs.exfat');

async function withImage<T>(path: string, f: (d: FileDevice) => Promise<T>): Promise<T> {
  const dev = await FileDevice.open(path);
  try {
    return await f(dev);
  } finally {
    await dev.close();
  }
}

for (const name of ['primaries', 'logical', 'ext-lba', 'ext-linux', 'fuzz']) {
  test(`mbr: ${name}.img matches sfdisk --json and partx`, { skip }, async () => {
    const path = join(await fixture('partition/mbr.sh'), `${name}.img`);
    const truth = await sfdiskTruth(path);
    const partx = await partxTruth(path);
    assert.equal(truth.label, 'dos');
    const table = await withImage(path, (d) => readMbr(d));
    assert.ok(table, 'an MBR');
    assert.equal(table.scheme, 'mbr');
    assert.deepEqual(table.warnings, []);
    assert.equal(`0x${table.diskId}`, truth.id);
    assert.deepEqual(
      table.partitions.map((p) => ({ index: p.index, start: p.start, size: p.size, type: Number(p.type), bootable: p.flags?.includes('bootable') ?? false })),
      truth.partitions.map((p) => ({ index: p.index, start: p.start, size: p.size, type: parseInt(p.type!, 16), bootable: p.bootable })),
    );
    // libblkid's view: same numbers, PARTUUIDs "<disk id>-<nn>"
    assert.deepEqual(
      table.partitions.map((p) => [p.index, p.start, p.size, p.uuid]),
      partx.map((p) => [p.index, p.start, p.size, p.uuid]),
    );
    for (const p of table.partitions) {
      const t = Number(p.type);
      assert.equal(p.flags?.includes('extended') ?? false, [0x05, 0x0f, 0x85].includes(t), `extended flag of ${p.index}`);
      assert.equal(p.flags?.includes('logical') ?? false, p.index >= 5, `logical flag of ${p.index}`);
    }
  });
}

test('mbr: a FAT volume in logical partition 5 reads through the partition device (blkid --offset agrees)', { skip }, async () => {
  const path = join(await fixture('partition/mbr.sh'), 'logical.img');
  const truth = await sfdiskTruth(path);
  const p5 = truth.partitions.find((p) => p.index === 5)!;
  const blkid = await blkidTruth(path, p5.start);
  assert.equal(blkid.TYPE, 'vfat');
  assert.equal(blkid.LABEL, 'LOGICAL5');
  await withImage(path, async (disk) => {
    const table = (await readPartitionTable(disk))!;
    const dev = openPartition(disk, table, 5);
    assert.equal(dev.size, p5.size);
    const boot = new Uint8Array(512);
    await dev.read(boot, 0);
    // FAT12/16 boot sector: volume label at 0x2b
    assert.equal(new TextDecoder().decode(boot.subarray(0x2b, 0x2b + 8)), blkid.LABEL);
    assert.equal(dev.describe().summary, 'mbr partition 5');
  });
});

test('mbr: an empty table (55AA and a disk id) is an MBR with no partitions', { skip }, async () => {
  const path = join(await fixture('partition/mbr.sh'), 'empty.img');
  const blkid = await blkidTruth(path);
  assert.equal(blkid.PTTYPE, 'dos');
  const table = await withImage(path, (d) => readMbr(d));
  assert.ok(table);
  assert.equal(table.diskId, blkid.PTUUID);
  assert.deepEqual(table.partitions, []);
});

for (const [name, fs] of [['fat12', 'vfat'], ['fat16', 'vfat'], ['fat32', 'vfat'], ['ntfs', 'ntfs'], ['exfat', 'exfat']] as const) {
  test(`mbr: a whole-disk ${name} boot sector ends in 55AA but is not an MBR (as blkid says)`, { skip }, async () => {
    const path = join(await fixture('partition/mbr.sh'), `${name}.img`);
    const blkid = await blkidTruth(path);
    assert.equal(blkid.TYPE, fs);
    if (fs === 'exfat' && blkid.PTTYPE === 'dos') {
      // libblkid before 2.39 (commit 8a0f04e6, "dos: ignore exfat superblocks") also saw an empty
      // DOS table here; it lists no partitions, and newer versions see none at all.
      assert.deepEqual(await partxTruth(path).catch(() => []), []);
    } else assert.equal(blkid.PTTYPE, undefined);
    await withImage(path, async (d) => {
      const sector = new Uint8Array(512);
      await d.read(sector, 0);
      assert.equal(sector[510], 0x55);
      assert.equal(sector[511], 0xaa);
      assert.equal(await readMbr(d), undefined);
      assert.equal(await readPartitionTable(d), undefined);
    });
  });
}

// ISO 9660 hybrids made by xorriso: the ISO volume stays, and the partition table beside it reads as
// sfdisk / partx (libblkid) read it — including isohybrid's partition 1 that starts at sector 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '../../node/file-device.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { blkidTruth, partxTruth, sfdiskTruth } from '../../../test/helpers/partition-truth.js';
import { readGpt } from './gpt.js';
import { readPartitionTable } from './index.js';
import { hasIso9660 } from './bounds.js';
import type { PartitionTable } from './table.js';

const skip = needTools('xorriso', 'mkfs.vfat', 'sfdisk', 'partx', 'blkid');
const dir = () => fixture('partition/hybrid.sh');

async function open(path: string): Promise<{ table: PartitionTable | undefined; iso: boolean; dev: FileDevice }> {
  const dev = await FileDevice.open(path);
  return { table: await readPartitionTable(dev), iso: await hasIso9660(dev), dev };
}

for (const [file, label] of [['mbr-appended.iso', 'dos'], ['gpt-appended.iso', 'gpt'], ['isohybrid.iso', 'dos'], ['isohybrid-efi.iso', 'dos']] as const) {
  test(`hybrid: ${file} keeps its ISO volume and reads its ${label} table as sfdisk and partx do`, { skip }, async (t) => {
    const path = join(await dir(), file);
    if (!existsSync(path)) return t.skip('isolinux package not installed (no isohdpfx.bin template)');
    const blkid = await blkidTruth(path);
    assert.equal(blkid.TYPE, 'iso9660');
    assert.equal(blkid.PTTYPE, label);
    const truth = await sfdiskTruth(path);
    const partx = await partxTruth(path);
    const { table, iso, dev } = await open(path);
    try {
      assert.ok(iso, 'ISO 9660 volume descriptor still there');
      assert.ok(table);
      assert.equal(table.scheme, label === 'dos' ? 'mbr' : 'gpt');
      assert.deepEqual(table.warnings, []);
      assert.deepEqual(
        table.partitions.map((p) => [p.index, p.start, p.size]),
        truth.partitions.map((p) => [p.index, p.start, p.size]),
      );
      assert.deepEqual(table.partitions.map((p) => [p.index, p.uuid ?? '', p.name ?? '']), partx.map((p) => [p.index, p.uuid ?? '', p.name ?? '']));
      // the EFI partition holds the FAT image xorriso appended
      const efi = table.partitions.find((p) => p.type === '0xef' || p.typeName === 'EFI System');
      if (efi) assert.equal((await blkidTruth(path, efi.start)).LABEL, 'EFIBOOT');
      if (file.startsWith('isohybrid')) {
        assert.equal(table.partitions[0]!.start, 0, 'isohybrid partition 1 covers the ISO from sector 0');
        assert.ok(table.partitions[0]!.flags?.includes('bootable'));
      }
    } finally {
      await dev.close();
    }
  });
}

test('hybrid: the GPT behind an isohybrid-gpt-basdat MBR is stale for libblkid, readable on request', { skip }, async (t) => {
  const path = join(await dir(), 'isohybrid-efi.iso');
  if (!existsSync(path)) return t.skip('isolinux package not installed (no isohdpfx.bin template)');
  const mbr = await sfdiskTruth(path);
  const efi = mbr.partitions.find((p) => p.type === 'ef')!;
  const dev = await FileDevice.open(path);
  try {
    assert.equal(await readGpt(dev), undefined);
    const gpt = (await readGpt(dev, { ignoreMbr: true }))!;
    assert.ok(gpt.warnings.some((w) => /MBR without a protective entry/.test(w)));
    // the GPT lists the same EFI image sfdisk sees in the MBR
    assert.ok(gpt.partitions.some((p) => p.start === efi.start && p.size === efi.size), JSON.stringify(gpt.partitions));
  } finally {
    await dev.close();
  }
});

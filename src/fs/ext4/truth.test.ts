// The ext2/3/4 driver against the kernel: every image made by mke2fs -d
// in many configurations (kernel-truth.test.ts: written by the kernel) is walked through
// the driver and compared field by field with what a read-only loop mount
// showed (truth.py): names, types, modes, owners, sizes, blocks, times
// with nanoseconds, crtime, link targets, hardlinks, device numbers,
// xattrs and ACLs, sha256 of every file, statfs.
import { test } from 'node:test';
import { MKFS_IMAGES, checkImage, mkfsImages, needImages } from '../../../test/fixtures/ext4/images.js';

for (const name of MKFS_IMAGES) {
  test(`ext4 truth: mke2fs -d image ${name} reads as the kernel sees it`, { skip: needImages }, async () => {
    await checkImage(await mkfsImages(), name);
  });
}

// The ext2/3/4 driver against the kernel, on images the kernel itself wrote
// (unwritten extents, xattr blocks, ea_inode values, 4000-byte symlinks,
// kernel-grown htrees, inline data): walked through the driver and compared
// field by field with a read-only loop mount (see truth.test.ts).
import { test } from 'node:test';
import { KERNEL_IMAGES, checkImage, kernelImages, needImages } from '../../../test/fixtures/ext4/images.js';

for (const name of KERNEL_IMAGES) {
  test(`ext4 truth: kernel-written image ${name} reads as the kernel sees it`, { skip: needImages }, async () => {
    await checkImage(await kernelImages(), name);
  });
}

// VMDK read against qemu-img's truth: every byte of every subformat QEMU writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { assertRandomReads, assertSameAsRaw, assertStatusConsistent, containerFixture, openImage } from '../../../test/containers/helpers.js';
import { isFsError } from '../../errors.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = () => containerFixture('vmdk.sh');

for (const sub of ['monolithicSparse', 'streamOptimized', 'monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat']) {
  test(`vmdk ${sub}: every byte matches qemu-img convert`, { skip }, async () => {
    const d = await dir();
    const dev = await openImage(join(d, `${sub}.vmdk`), 'vmdk');
    try {
      assert.equal(dev.describe!().details!['createType'], sub);
      assert.match(dev.describe!().summary, new RegExp(`^vmdk ${sub}, `));
      await assertSameAsRaw(dev, join(d, `${sub}.truth`));
      await assertRandomReads(dev, join(d, `${sub}.truth`));
      const st = await assertStatusConsistent(dev, join(d, `${sub}.truth`));
      if (sub.includes('Sparse') || sub === 'streamOptimized') assert.ok(st.zero > 0, 'holes reported as zero');
    } finally {
      await dev.close();
    }
  });
}

test('vmdk streamOptimized with the grain directory at the end (footer, python3-vmdkstream)', { skip }, async () => {
  const d = await dir();
  const dev = await openImage(join(d, 'footer-stream.vmdk'), 'vmdk');
  try {
    assert.equal(dev.describe!().details!['compressed'], true);
    await assertSameAsRaw(dev, join(d, 'footer-stream.truth'));
    await assertRandomReads(dev, join(d, 'footer-stream.truth'));
  } finally {
    await dev.close();
  }
});

for (const sub of ['twoGbMaxExtentSparse', 'twoGbMaxExtentFlat']) {
  test(`vmdk ${sub} over 2 GiB: two extents, reads across the boundary`, { skip }, async () => {
    const d = await dir();
    const dev = await openImage(join(d, `big-${sub}.vmdk`), 'vmdk');
    try {
      assert.equal(dev.describe!().details!['extents'], 2);
      await assertSameAsRaw(dev, join(d, `big-${sub}.truth`), 32 << 20);
    } finally {
      await dev.close();
    }
  });
}

test('vmdk delta link: parent through openRelated, zeroed grains hide parent data', { skip }, async () => {
  const d = await dir();
  const asked: string[] = [];
  const dev = await openImage(join(d, 'child.vmdk'), 'vmdk', { onRelated: (n, o) => asked.push(`${o.role}:${n}`) });
  try {
    assert.deepEqual(asked, ['vmdk parent:monolithicSparse.vmdk']);
    const desc = dev.describe!();
    assert.equal(desc.backing?.format, 'vmdk');
    assert.equal(desc.warnings, undefined);
    await assertSameAsRaw(dev, join(d, 'child.truth'));
    const info = JSON.parse(readFileSync(join(d, 'child.info.json'), 'utf8')) as { 'virtual-size': number };
    assert.equal(dev.size, info['virtual-size']);
    // The zeroed grain at 128 KiB covers parent data (0x11) yet reads as zeros.
    const st = await dev.blockStatus!(131072, 65536);
    assert.deepEqual(st, { kind: 'zero', length: 65536 });
  } finally {
    await dev.close();
  }
});

test('vmdk: writes are refused with EROFS', { skip }, async () => {
  const d = await dir();
  const dev = await openImage(join(d, 'monolithicSparse.vmdk'), 'vmdk');
  try {
    await assert.rejects(dev.write(new Uint8Array(512), 0), (e) => isFsError(e, 'EROFS') && /vmdk/.test((e as Error).message));
  } finally {
    await dev.close();
  }
});

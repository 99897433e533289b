// VDI read against qemu-img's truth: dynamic and static images, every byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { assertRandomReads, assertSameAsRaw, assertStatusConsistent, containerFixture, openImage } from '../../../test/containers/helpers.js';
import { isFsError } from '../../errors.js';

const skip = needTools('qemu-img');
const dir = () => containerFixture('vdi.sh');
const info = (d: string, n: string) => JSON.parse(readFileSync(join(d, `${n}.info.json`), 'utf8')) as { 'virtual-size': number };

for (const name of ['dynamic', 'static']) {
  test(`vdi ${name}: every byte matches qemu-img convert -f vdi`, { skip }, async () => {
    const d = await dir();
    const dev = await openImage(join(d, `${name}.vdi`), 'vdi');
    try {
      const desc = dev.describe!();
      assert.equal(desc.format, 'vdi');
      assert.equal(desc.details!['imageType'], name);
      assert.equal(dev.size, info(d, name)['virtual-size']);
      await assertSameAsRaw(dev, join(d, `${name}.truth`));
      await assertRandomReads(dev, join(d, `${name}.truth`));
      const st = await assertStatusConsistent(dev, join(d, `${name}.truth`));
      if (name === 'dynamic') assert.ok(st.zero > 0);
      await assert.rejects(dev.write(new Uint8Array(512), 0), (e) => isFsError(e, 'EROFS'));
    } finally {
      await dev.close();
    }
  });
}

test('vdi 2 TiB dynamic opens without reading its 8 MiB block map', { skip }, async () => {
  const d = await dir();
  const dev = await openImage(join(d, 'huge.vdi'), 'vdi');
  try {
    assert.equal(dev.size, info(d, 'huge')['virtual-size']);
    const b = new Uint8Array(65536);
    await dev.read(b, dev.size - b.length);
    assert.ok(b.every((x) => x === 0));
  } finally {
    await dev.close();
  }
});

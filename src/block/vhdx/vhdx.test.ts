// VHDX read against qemu-img (dynamic, fixed, 1 MiB blocks, a log needing replay) and libvhdi (differencing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { assertRandomReads, assertSameAsRaw, assertStatusConsistent, containerFixture, openImage } from '../../../test/containers/helpers.js';
import { FileDevice } from '../../node/file-device.js';
import { readBytes } from '../device.js';

const skip = needTools('qemu-img', 'qemu-io', '/usr/bin/python3');
const dir = () => containerFixture('vhdx.sh');
const info = (d: string, n: string) => JSON.parse(readFileSync(join(d, `${n}.info.json`), 'utf8')) as { 'virtual-size': number };

for (const name of ['dynamic', 'blocks1m', 'fixed']) {
  test(`vhdx ${name}: every byte matches qemu-img convert -f vhdx`, { skip }, async () => {
    const d = await dir();
    const dev = await openImage(join(d, `${name}.vhdx`), 'vhdx');
    try {
      const desc = dev.describe!();
      assert.equal(desc.format, 'vhdx');
      assert.equal(desc.details!['hasParent'], false);
      assert.equal(desc.details!['logReplayed'], 0);
      assert.equal(dev.size, info(d, name)['virtual-size']);
      await assertSameAsRaw(dev, join(d, `${name}.truth`));
      await assertRandomReads(dev, join(d, `${name}.truth`));
      const st = await assertStatusConsistent(dev, join(d, `${name}.truth`));
      if (name !== 'fixed') assert.ok(st.zero > 0);
    } finally {
      await dev.close();
    }
  });
}

test('vhdx with a log that needs replay: replayed in memory, reads what QEMU reads after its own replay', { skip }, async () => {
  const d = await dir();
  // QEMU itself refuses this file read-only: the log matters.
  assert.match(readFileSync(join(d, 'log-readonly.err'), 'utf8'), /log that needs to be replayed/);
  const dev = await openImage(join(d, 'log.vhdx'), 'vhdx');
  try {
    const desc = dev.describe!();
    assert.equal(desc.details!['logReplayed'], 1);
    assert.match(desc.warnings?.join('\n') ?? '', /replayed 1 log entries/);
    await assertSameAsRaw(dev, join(d, 'log.truth'));
  } finally {
    await dev.close();
  }
  // The file on disk is untouched (we never write): the BAT page is still zeroed.
  const file = await FileDevice.open(join(d, 'log.vhdx'));
  try {
    assert.ok((await readBytes(file, 2 << 20, 4096)).every((x) => x === 0));
  } finally {
    await file.close();
  }
});

test('vhdx differencing: every byte matches libvhdi over the same parent', { skip }, async () => {
  const d = await dir();
  const asked: string[] = [];
  const dev = await openImage(join(d, 'diff.vhdx'), 'vhdx', { onRelated: (n, o) => asked.push(`${o.role}:${n}`) });
  try {
    assert.deepEqual(asked, ['vhdx parent:blocks1m.vhdx']);
    const desc = dev.describe!();
    assert.equal(desc.details!['hasParent'], true);
    assert.equal(desc.backing?.format, 'vhdx');
    assert.equal(desc.warnings, undefined, 'parent_linkage matches the parent DataWriteGuid');
    // Block 7 is PAYLOAD_BLOCK_ZERO over parent data. [MS-VHDX] says it reads as zeros;
    // libvhdi 20210425 reads the parent there, so that one block is checked on its own.
    const truth = readFileSync(join(d, 'diff.truth'));
    const parentTruth = readFileSync(join(d, 'blocks1m.truth'));
    const z0 = 7 << 20;
    const z1 = 8 << 20;
    assert.ok(parentTruth.subarray(z0, z1).some((x) => x !== 0), 'the parent has data under the zero block');
    const ours = new Uint8Array(dev.size);
    await dev.read(ours, 0);
    assert.ok(ours.subarray(z0, z1).every((x) => x === 0), 'PAYLOAD_BLOCK_ZERO reads as zeros');
    truth.fill(0, z0, z1);
    assert.equal(dev.size, truth.length);
    assert.ok(Buffer.from(ours.buffer).equals(truth), 'every other byte matches libvhdi');
    assert.deepEqual(await dev.blockStatus!(z0, 1 << 20), { kind: 'zero', length: 1 << 20 });
  } finally {
    await dev.close();
  }
});

test('vhdx 2 TiB opens at once', { skip }, async () => {
  const d = await dir();
  const dev = await openImage(join(d, 'huge.vhdx'), 'vhdx');
  try {
    assert.equal(dev.size, info(d, 'huge')['virtual-size']);
    assert.deepEqual(await dev.blockStatus!(dev.size - (64 << 20), 64 << 20), { kind: 'zero', length: 64 << 20 });
  } finally {
    await dev.close();
  }
});

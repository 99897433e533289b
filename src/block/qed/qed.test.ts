// QED read against qemu-img's truth: plain, with raw and probed backing files, zero clusters, need-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';
import { assertRandomReads, assertSameAsRaw, assertStatusConsistent, containerFixture, openImage } from '../../../test/containers/helpers.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = () => containerFixture('qed.sh');
const info = (d: string, n: string) => JSON.parse(readFileSync(join(d, `${n}.info.json`), 'utf8')) as { 'virtual-size': number };

test('qed: every byte matches qemu-img convert -f qed', { skip }, async () => {
  const d = await dir();
  const dev = await openImage(join(d, 'full.qed'), 'qed');
  try {
    assert.equal(dev.describe!().format, 'qed');
    assert.equal(dev.describe!().warnings, undefined);
    await assertSameAsRaw(dev, join(d, 'full.truth'));
    await assertRandomReads(dev, join(d, 'full.truth'));
    assert.ok((await assertStatusConsistent(dev, join(d, 'full.truth'))).zero > 0);
  } finally {
    await dev.close();
  }
});

test('qed with a raw backing file: opened as raw, zero clusters hide backing data', { skip }, async () => {
  const d = await dir();
  const asked: string[] = [];
  const dev = await openImage(join(d, 'child-raw.qed'), 'qed', { onRelated: (n, o) => asked.push(`${o.role}:${n}:${o.format}`) });
  try {
    assert.deepEqual(asked, ['qed backing file:src.raw:raw']);
    assert.equal(dev.describe!().details!['backingFormat'], 'raw');
    await assertSameAsRaw(dev, join(d, 'child-raw.truth'));
    await assertRandomReads(dev, join(d, 'child-raw.truth'));
    assert.deepEqual(await dev.blockStatus!(65536, 65536), { kind: 'zero', length: 65536 });
  } finally {
    await dev.close();
  }
});

test('qed with a probed qed backing file shorter than the image', { skip }, async () => {
  const d = await dir();
  const asked: string[] = [];
  const dev = await openImage(join(d, 'child-probe.qed'), 'qed', { onRelated: (n, o) => asked.push(`${n}:${o.format}`) });
  try {
    assert.deepEqual(asked, ['full.qed:undefined']);
    assert.equal(dev.size, info(d, 'child-probe')['virtual-size']);
    assert.equal(dev.describe!().backing?.format, 'qed');
    await assertSameAsRaw(dev, join(d, 'child-probe.truth'));
    await assertStatusConsistent(dev, join(d, 'child-probe.truth'));
  } finally {
    await dev.close();
  }
});

test('qed need-check (not closed cleanly): readable, says so in warnings', { skip }, async () => {
  const d = await dir();
  const dev = await openImage(join(d, 'dirty.qed'), 'qed');
  try {
    const desc = dev.describe!();
    assert.equal(desc.details!['needCheck'], true);
    assert.match(desc.warnings?.[0] ?? '', /not closed cleanly/);
    await assertSameAsRaw(dev, join(d, 'dirty.truth'));
  } finally {
    await dev.close();
  }
});

test('qed 2 TiB opens at once', { skip }, async () => {
  const d = await dir();
  const dev = await openImage(join(d, 'huge.qed'), 'qed');
  try {
    assert.equal(dev.size, info(d, 'huge')['virtual-size']);
    assert.deepEqual(await dev.blockStatus!(0, dev.size), { kind: 'zero', length: dev.size });
  } finally {
    await dev.close();
  }
});

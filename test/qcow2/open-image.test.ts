// qcow2 through the host's openImage: format detection, QEMU-style backing
// name resolution and the loop guard, with our opener passing names through.
import '../../src/node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { needTools, run } from '../helpers/tools.js';
import { FsError } from '../../src/errors.js';
import { openImage } from '../../src/node/open-image.js';
import { firstDifference } from './bytes.js';
import { qemuCheck } from './qemu-check.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = skip ? '' : await fixture('qcow2/read.sh');

test('qcow2 via openImage: a qcow2 → qcow2 → raw chain reads like qemu-img convert', { skip }, async () => {
  for (const name of ['top', 'top-v2', 'extl2', 'zlib']) {
    const img = await openImage(join(dir, `${name}.qcow2`));
    try {
      assert.equal(img.format, 'qcow2');
      const got = new Uint8Array(img.device.size);
      await img.device.read(got, 0);
      assert.equal(firstDifference(got, new Uint8Array(await readFile(join(dir, `${name}.raw`)))), -1, name);
    } finally {
      await img.device.close();
    }
  }
});

test('qcow2 via openImage: backing names naming the image itself or a cycle are ELOOP', { skip }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'qcow2-loop-'));
  try {
    for (const [file, backing] of [['self.qcow2', 'self.qcow2'], ['a.qcow2', 'b.qcow2'], ['b.qcow2', 'a.qcow2']]) {
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', backing!, '-F', 'qcow2', join(tmp, file!), '1M']);
    }
    for (const f of ['self.qcow2', 'a.qcow2']) {
      await assert.rejects(openImage(join(tmp, f)), (e: unknown) => e instanceof FsError && e.code === 'ELOOP', f);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('qcow2 via openImage: written through the host opener, checked by QEMU', { skip }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'qcow2-open-write-'));
  try {
    for (const f of ['mid.qcow2', 'base.raw']) await copyFile(join(dir, f), join(tmp, f));
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', 'mid.qcow2', '-F', 'qcow2', join(tmp, 'new.qcow2')]);
    const model = new Uint8Array(await readFile(join(dir, 'mid.raw')));
    const img = await openImage(join(tmp, 'new.qcow2'), { write: true });
    const data = new Uint8Array(300000).map((_, i) => (i * 7) & 0xff);
    await img.device.write(data, 1000);
    model.set(data, 1000);
    await img.device.close();
    assert.equal(qemuCheck(join(tmp, 'new.qcow2')).status, 0);
    await run('qemu-img', ['convert', '-O', 'raw', join(tmp, 'new.qcow2'), join(tmp, 'out.raw')]);
    assert.equal(firstDifference(new Uint8Array(await readFile(join(tmp, 'out.raw'))), model), -1);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

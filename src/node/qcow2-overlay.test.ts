// createOverlay against `qemu-img info` / `check` / `convert`: the backing
// name resolves like qemu-img's, the format is detected, and writing into the
// overlay leaves the base byte-identical.
import './codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { needTools, run } from '../../test/helpers/tools.js';
import { prng } from '../../test/helpers/fuzz.js';
import { firstDifference, randomBytes, randomWrite } from '../../test/qcow2/bytes.js';
import { openQcow2 } from '../../test/qcow2/open-context.js';
import { qemuCheck } from '../../test/qcow2/qemu-check.js';
import { FsError } from '../errors.js';
import { createOverlay } from './qcow2-overlay.js';

const skip = needTools('qemu-img', 'qemu-io');

const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

test('qcow2 overlay over a qcow2 base in another directory, named relative to the working directory', { skip }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'qcow2-overlay-'));
  const cwd = process.cwd();
  try {
    await mkdir(join(tmp, 'images'));
    await mkdir(join(tmp, 'work'));
    const basePath = join(tmp, 'images', 'base.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', basePath, '3M']);
    await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x42 0 1M', '-c', 'write -P 0x43 2M 100k', basePath]);
    const hash = await sha(basePath);
    process.chdir(tmp);
    const made = await createOverlay('images/base.qcow2', 'work/new.qcow2');
    assert.deepEqual(made, { backingName: '../images/base.qcow2', backingFormat: 'qcow2', size: 3 << 20 });
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', join(tmp, 'work', 'new.qcow2')]));
    assert.equal(info['backing-filename'], '../images/base.qcow2');
    assert.equal(info['backing-filename-format'], 'qcow2');
    // QEMU joins the name to the overlay's directory without normalising it.
    assert.equal(info['full-backing-filename'], `${tmp}/work/../images/base.qcow2`);
    assert.equal(info['virtual-size'], 3 << 20);
    assert.equal(qemuCheck(join(tmp, 'work', 'new.qcow2')).status, 0);

    const baseRaw = join(tmp, 'base.raw');
    await run('qemu-img', ['convert', '-O', 'raw', basePath, baseRaw]);
    const model = new Uint8Array(await readFile(baseRaw));
    const dev = await openQcow2(join(tmp, 'work', 'new.qcow2'), { write: true });
    const rand = prng(11);
    for (let i = 0; i < 40; i++) {
      const w = randomWrite(rand, dev.size, dev.header.clusterSize);
      const bytes = randomBytes(rand, w.length);
      await dev.write(bytes, w.offset);
      model.set(bytes, w.offset);
    }
    await dev.close();
    assert.equal(await sha(basePath), hash, 'base unchanged');
    assert.equal(qemuCheck(join(tmp, 'work', 'new.qcow2')).status, 0);
    await run('qemu-img', ['convert', '-O', 'raw', join(tmp, 'work', 'new.qcow2'), join(tmp, 'out.raw')]);
    assert.equal(firstDifference(new Uint8Array(await readFile(join(tmp, 'out.raw'))), model), -1);
    await assert.rejects(createOverlay('images/base.qcow2', 'work/new.qcow2'), (e: unknown) => e instanceof FsError && e.code === 'EEXIST');
    await assert.rejects(createOverlay('images/base.qcow2', 'images/base.qcow2', { overwrite: true }), (e: unknown) => e instanceof FsError && e.code === 'EINVAL');
  } finally {
    process.chdir(cwd);
    await rm(tmp, { recursive: true, force: true });
  }
});

test('qcow2 overlay over raw and vmdk bases, with absolute names', { skip }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'qcow2-overlay-'));
  try {
    const raw = join(tmp, 'disk.img');
    await writeFile(raw, randomBytes(prng(5), 1536 * 1024));
    const a = await createOverlay(raw, join(tmp, 'a.qcow2'));
    assert.deepEqual(a, { backingName: raw, backingFormat: 'raw', size: 1536 * 1024 });
    const vmdk = join(tmp, 'disk.vmdk');
    await run('qemu-img', ['convert', '-O', 'vmdk', raw, vmdk]);
    const b = await createOverlay(vmdk, join(tmp, 'b.qcow2'));
    assert.equal(b.backingFormat, 'vmdk');
    for (const [name, fmt] of [['a.qcow2', 'raw'], ['b.qcow2', 'vmdk']]) {
      const path = join(tmp, name!);
      const info = JSON.parse(await run('qemu-img', ['info', '--output=json', path]));
      assert.equal(info['backing-filename-format'], fmt);
      assert.equal(info['virtual-size'], 1536 * 1024);
      assert.equal(qemuCheck(path).status, 0);
      await run('qemu-img', ['convert', '-O', 'raw', path, join(tmp, 'out.raw')]);
      assert.equal(firstDifference(await readFile(join(tmp, 'out.raw')), await readFile(raw)), -1, `${name} reads as the base`);
    }
    assert.equal(relative(tmp, raw), 'disk.img');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

// Images from createQcow2 as QEMU sees them: qemu-img info reports what we
// asked for, qemu-img check finds nothing, QEMU's own driver writes into them,
// and after our writes qemu-img convert gives what we wrote.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTools, run } from '../../../test/helpers/tools.js';
import { prng } from '../../../test/helpers/fuzz.js';
import { firstDifference, randomBytes, randomWrite } from '../../../test/qcow2/bytes.js';
import { openQcow2 } from '../../../test/qcow2/open-context.js';
import { qemuCheck } from '../../../test/qcow2/qemu-check.js';
import { FsError } from '../../errors.js';
import { FileDevice } from '../../node/file-device.js';
import { MemoryDevice } from '../memory.js';
import { createQcow2, type CreateQcow2Options } from './create.js';
import { Qcow2Device } from './device.js';

const skip = needTools('qemu-img', 'qemu-io');

const VARIANTS: Array<{ name: string; options: CreateQcow2Options }> = [
  { name: 'default', options: { size: 4 << 20 } },
  { name: 'cs512-rc64', options: { size: 2 << 20, clusterSize: 512, refcountBits: 64 } },
  { name: 'cs4k-rc1', options: { size: 3 << 20, clusterSize: 4096, refcountBits: 1 } },
  { name: 'cs2M-rc8', options: { size: 8 << 20, clusterSize: 2 << 20, refcountBits: 8 } },
  { name: 'extl2-zstd', options: { size: 4 << 20, extendedL2: true, compressionType: 'zstd' } },
  { name: 'rc2', options: { size: 1 << 20, refcountBits: 2 } },
  { name: 'rc4-rc32', options: { size: 1 << 20, refcountBits: 4, clusterSize: 16384 } },
  { name: 'rc32', options: { size: 1 << 20, refcountBits: 32 } },
  { name: 'odd-size', options: { size: 3 * 1000 * 512 } },
  { name: 'empty', options: { size: 0 } },
];

async function create(path: string, options: CreateQcow2Options): Promise<void> {
  await writeFile(path, '');
  const file = await FileDevice.open(path, { write: true });
  await createQcow2(file, options);
  await file.close();
}

for (const v of VARIANTS) {
  test(`qcow2 create ${v.name}: qemu-img accepts it, QEMU and we write into it`, { skip }, async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'qcow2-create-'));
    try {
      const path = join(tmp, 'new.qcow2');
      await create(path, v.options);
      const info = JSON.parse(await run('qemu-img', ['info', '--output=json', path]));
      const data = info['format-specific'].data;
      assert.equal(info.format, 'qcow2');
      assert.equal(info['virtual-size'], v.options.size);
      assert.equal(info['cluster-size'], v.options.clusterSize ?? 65536);
      assert.equal(data.compat, '1.1');
      assert.equal(data['refcount-bits'], v.options.refcountBits ?? 16);
      assert.equal(data['extended-l2'], v.options.extendedL2 ?? false);
      assert.equal(data['compression-type'], v.options.compressionType ?? 'zlib');
      let check = qemuCheck(path);
      assert.equal(check.status, 0, check.output);
      if (v.options.size === 0) return;

      // QEMU's driver writes into our image…
      const size = v.options.size!;
      const model = new Uint8Array(size);
      model.fill(0xa5, 0, Math.min(size, 70000));
      await run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0xa5 0 ${Math.min(size, 70000)}`, path]);
      check = qemuCheck(path);
      assert.equal(check.status, 0, check.output);
      // …and so do we.
      const dev = await openQcow2(path, { write: true });
      const rand = prng(size);
      for (let i = 0; i < 30; i++) {
        const w = randomWrite(rand, size, dev.header.clusterSize);
        const bytes = randomBytes(rand, w.length);
        await dev.write(bytes, w.offset);
        model.set(bytes, w.offset);
      }
      await dev.close();
      check = qemuCheck(path);
      assert.equal(check.status, 0, check.output);
      await run('qemu-img', ['convert', '-O', 'raw', path, join(tmp, 'out.raw')]);
      assert.equal(firstDifference(new Uint8Array(await readFile(join(tmp, 'out.raw'))), model), -1);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

test('qcow2 create with a backing file: qemu-img sees the name and format, reads through it', { skip }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'qcow2-create-'));
  try {
    const base = new Uint8Array(1 << 20);
    base.set(randomBytes(prng(9), base.length));
    await writeFile(join(tmp, 'base.raw'), base);
    await create(join(tmp, 'top.qcow2'), { backing: { name: 'base.raw', format: 'raw', size: base.length } });
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', join(tmp, 'top.qcow2')]));
    assert.equal(info['backing-filename'], 'base.raw');
    assert.equal(info['backing-filename-format'], 'raw');
    assert.equal(info['virtual-size'], base.length);
    await run('qemu-img', ['convert', '-O', 'raw', join(tmp, 'top.qcow2'), join(tmp, 'out.raw')]);
    assert.equal(firstDifference(new Uint8Array(await readFile(join(tmp, 'out.raw'))), base), -1);
    // 512-byte clusters leave no room for the feature name table; the backing name still fits.
    await create(join(tmp, 'small.qcow2'), { size: 1 << 20, clusterSize: 512, backing: { name: 'base.raw', format: 'raw' } });
    assert.equal(qemuCheck(join(tmp, 'small.qcow2')).status, 0);
    const small = JSON.parse(await run('qemu-img', ['info', '--output=json', join(tmp, 'small.qcow2')]));
    assert.equal(small['backing-filename'], 'base.raw');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('qcow2 create in memory (no host files): our reader opens it and reads zeros', async () => {
  const mem = new MemoryDevice(new Uint8Array(0));
  await createQcow2(mem, { size: 1 << 30 });
  assert.ok(mem.size < 1 << 20, 'metadata only');
  const dev = await Qcow2Device.open(mem, { readOnly: false });
  const buf = new Uint8Array(4096).fill(1);
  await dev.read(buf, (1 << 30) - 4096);
  assert.ok(buf.every((b) => b === 0));
  await dev.write(new Uint8Array(4096).fill(7), 123456789);
  await dev.read(buf, 123456789);
  assert.ok(buf.every((b) => b === 7));
  assert.deepEqual(await dev.blockStatus(0, 1 << 20), { kind: 'zero', length: 1 << 20 });
});

test('qcow2 create refuses impossible options with EINVAL', async () => {
  const mem = new MemoryDevice(new Uint8Array(0));
  const bad: CreateQcow2Options[] = [
    { size: 1000 },
    { size: -512 },
    {},
    { size: 1 << 20, clusterSize: 1000 },
    { size: 1 << 20, clusterSize: 256 },
    { size: 1 << 20, clusterSize: 4 << 20 },
    { size: 1 << 20, extendedL2: true, clusterSize: 8192 },
    { size: 1 << 20, refcountBits: 3 },
    { size: 1 << 20, refcountBits: 128 },
    { size: 2 ** 50, clusterSize: 512 },
    { size: 1 << 20, backing: { name: 'x'.repeat(2000), format: 'raw' } },
  ];
  for (const o of bad) {
    await assert.rejects(createQcow2(mem, o), (e: unknown) => e instanceof FsError && e.code === 'EINVAL', JSON.stringify(o).slice(0, 80));
  }
});

// openImage: format detection, backing chains resolved like QEMU, loop guard, remote images naming local files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { openImage, resolveRelated } from '../../src/node/open-image.js';
import { readBytes } from '../../src/block/device.js';
import { FsError } from '../../src/errors.js';
import { fixture, repoRoot } from '../helpers/fixtures.js';
import { needTools, run } from '../helpers/tools.js';
import { RangeServer } from '../helpers/range-server.js';

const skip = needTools('qemu-img', 'qemu-io');

async function expectFsError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FsError, `FsError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a three-level chain (qcow2 → qcow2 probed → raw) reads like qemu-img convert', { skip }, async () => {
  const dir = await fixture('node/chains.sh');
  for (const name of ['top.qcow2', 'sub/deep.qcow2']) {
    const path = join(dir, name);
    const raw = join(dir, `${name.replace('/', '_')}.truth`);
    await run('qemu-img', ['convert', '-O', 'raw', path, raw]);
    const truth = await readFile(raw);
    const img = await openImage(path);
    try {
      assert.equal(img.format, 'qcow2');
      assert.equal(img.device.size, truth.length);
      assert.ok(Buffer.from(await readBytes(img.device, 0, img.device.size)).equals(truth), `${name} bytes`);
    } finally {
      await img.device.close();
    }
  }
});

test('backing loops and self references are ELOOP, a missing backing file is ENOENT naming both', { skip }, async () => {
  const dir = await fixture('node/chains.sh');
  await expectFsError(openImage(join(dir, 'loop-a.qcow2')), 'ELOOP', /loop-a\.qcow2 → .*loop-b\.qcow2 → .*loop-a\.qcow2/);
  await expectFsError(openImage(join(dir, 'self.qcow2')), 'ELOOP', /self\.qcow2 → .*self\.qcow2/);
  await expectFsError(openImage(join(dir, 'missing.qcow2')), 'ENOENT', /missing\.qcow2: qcow2 backing file nowhere\.qcow2 not found/);
});

test('a remote image may name remote backing files but not local ones', { skip }, async () => {
  assert.equal(resolveRelated('https://h/a/b/top.qcow2', 'base.qcow2'), 'https://h/a/b/base.qcow2');
  assert.equal(resolveRelated('https://h/a/b/top.qcow2', '../base.qcow2'), 'https://h/a/base.qcow2');
  assert.equal(resolveRelated('/x/y/top.qcow2', '../base.raw'), '/x/base.raw');
  assert.equal(resolveRelated('/x/y/top.qcow2', '/abs/base.raw'), '/abs/base.raw');
  assert.throws(() => resolveRelated('https://h/top.qcow2', '/etc/passwd'), (e: unknown) => e instanceof FsError && e.code === 'EACCES');

  // A real qcow2 naming an absolute local path, served over HTTP.
  const dir = await fixture('node/chains.sh');
  const evil = join(dir, 'evil.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', join(repoRoot, 'samples', 'disk.qcow2'), '-F', 'qcow2', evil, '4M']);
  const server = await RangeServer.start(await readFile(evil));
  try {
    await expectFsError(openImage(server.url), 'EACCES', /remote image may not name the local file/);
  } finally {
    await server.close();
  }
});

test('writing is refused for formats we only read, and for URLs', { skip }, async () => {
  const dir = await fixture('node/chains.sh');
  const vdi = join(dir, 'x.vdi');
  await run('qemu-img', ['convert', '-O', 'vdi', join(dir, 'base.raw'), vdi]);
  await expectFsError(openImage(vdi, { write: true }), 'EROFS', /writing .* is not supported/);
  await expectFsError(openImage('http://127.0.0.1:9/x.img', { write: true }), 'EROFS', /read-only/);
});

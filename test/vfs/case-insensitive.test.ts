// The dentry cache on a case-insensitive filesystem (FAT made by mkfs.fat):
// 'foo' and 'FOO' are one name, so a change under one spelling must not leave
// the other cached, positive or negative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryDevice } from '../../src/block/memory.js';
import { fatDriver } from '../../src/fs/fat/index.js';
import { createFs } from '../../src/api/fs.js';
import { needTools, run } from '../helpers/tools.js';

test('negative and positive dentries follow case-insensitive names', { skip: needTools('mkfs.fat') }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'anymount-ci-'));
  try {
    const img = join(dir, 'fat.img');
    await run('mkfs.fat', ['-C', img, '4096']);
    const fat = await fatDriver.open(new MemoryDevice(new Uint8Array(await readFile(img))), { write: true });
    const fs = await createFs(fat);
    await assert.rejects(fs.stat('/foo'), { code: 'ENOENT' });
    await fs.writeFile('/FOO', 'x');
    assert.equal((await fs.stat('/foo')).size, 1, 'the negative entry for foo went away when FOO was created');
    assert.equal((await fs.stat('/Foo')).size, 1);
    await fs.unlink('/fOO');
    await assert.rejects(fs.stat('/foo'), { code: 'ENOENT' });
    await assert.rejects(fs.stat('/FOO'), { code: 'ENOENT' });
    await fs.mkdir('/Dir');
    await fs.writeFile('/dir/a.txt', 'a');
    await fs.rename('/DIR', '/Other');
    await assert.rejects(fs.stat('/dir/a.txt'), { code: 'ENOENT' });
    assert.equal(await fs.readFile('/OTHER/A.TXT', 'utf8'), 'a');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

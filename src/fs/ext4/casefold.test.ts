// Case-insensitive (casefold) directories, against e2fsprogs: directories
// flagged casefolded and re-indexed by e2fsck -fD (the casefolded hash),
// listed by debugfs. Every stored name is found through the hash index,
// and so is every case variant of it; ordinary directories stay
// case-sensitive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { FileDevice } from '../../node/file-device.js';
import { Ext4FileSystem } from './index.js';

const skip = needTools('mke2fs', 'debugfs', 'e2fsck');

/** debugfs `ls -p` lines: /ino/mode/uid/gid/name/size/ */
async function listing(dir: string, name: string): Promise<Map<string, number>> {
  const text = await readFile(join(dir, `${name}.ls`), 'utf8');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\/(\d+)\/\d+\/\d+\/\d+\/(.*)\/\d*\/$/.exec(line);
    if (m && m[2] !== '.' && m[2] !== '..') out.set(m[2]!, Number(m[1]));
  }
  return out;
}

async function allNames(fs: Ext4FileSystem, ino: number): Promise<string[]> {
  const names: string[] = [];
  for (let cookie = 0; ; ) {
    const batch = await fs.readdir(ino, 0, cookie, 100);
    if (!batch.length) return names.filter((n) => n !== '.' && n !== '..').sort();
    names.push(...batch.map((d) => d.name));
    cookie = batch[batch.length - 1]!.next;
  }
}

test('ext4 casefold: names and their case variants are found through the casefolded htree', { skip }, async () => {
  const dir = await fixture('ext4/casefold.sh');
  assert.match(await readFile(join(dir, 'casefold.fsck'), 'utf8'), /Pass 5/);
  assert.match(await readFile(join(dir, 'cf.stat'), 'utf8'), /Flags: 0x4008[01]000/);
  const dev = await FileDevice.open(join(dir, 'casefold.img'));
  try {
    const fs = await Ext4FileSystem.open(dev);
    for (const d of ['cf', 'cf-small']) {
      const truth = await listing(dir, d);
      assert.ok(truth.size > 3);
      const dirIno = (await fs.lookup(fs.rootIno, d)).ino;
      const scansBefore = fs.lookupStats.linearScans;
      assert.deepEqual(await allNames(fs, dirIno), [...truth.keys()].sort());
      for (const [name, ino] of truth) {
        assert.equal((await fs.lookup(dirIno, name)).ino, ino, `${d}/${name}`);
        for (const variant of [name.toUpperCase(), name.toLowerCase()]) {
          assert.equal((await fs.lookup(dirIno, variant)).ino, ino, `${d}/${variant} (case variant of ${name})`);
        }
      }
      if (d === 'cf') assert.equal(fs.lookupStats.linearScans, scansBefore, 'every name and variant found through the index');
      await assert.rejects(fs.lookup(dirIno, 'no-such-name'), { code: 'ENOENT' });
    }
    // Case folding is per directory: an ordinary one stays case-sensitive.
    const plain = (await fs.lookup(fs.rootIno, 'plain')).ino;
    assert.ok((await fs.lookup(plain, 'Plain')).ino > 0);
    await assert.rejects(fs.lookup(plain, 'PLAIN'), { code: 'ENOENT' });
    await assert.rejects(fs.lookup(fs.rootIno, 'CF'), { code: 'ENOENT' });
    // The index was usable throughout: no linear fallback, nothing skipped.
    assert.deepEqual(fs.warnings, []);
  } finally {
    await dev.close();
  }
});

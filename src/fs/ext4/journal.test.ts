// "Journal present but not replayed": a copy of a mounted volume whose
// journal holds committed transactions (recovery.sh: needs_recovery set,
// journal s_start != 0). The driver opens it read-only, reads exactly what
// the kernel shows without replaying (mount -o ro,noload), and says in its
// warnings that this may be stale — which it is: after e2fsck replays the
// journal the tree differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needRoot, needTools } from '../../../test/helpers/tools.js';
import { FileDevice } from '../../node/file-device.js';
import { compareWithTruth, loadTruth, nameOf } from '../../../test/fixtures/ext4/images.js';
import { Ext4FileSystem } from './index.js';

const skip = needRoot('ext4 recovery image') ?? needTools('mke2fs', 'e2fsck', 'dumpe2fs', 'python3');

test('ext4 journal: needs_recovery with pending transactions opens read-only, reads the on-disk state, and warns', { skip }, async () => {
  const dir = await fixture('ext4/recovery.sh');
  const facts = await readFile(join(dir, 'recovery.dumpe2fs'), 'utf8');
  assert.match(facts, /needs_recovery/);
  const start = Number(/Journal start:\s+(\d+)/.exec(facts)![1]);
  assert.ok(start > 0, 'the journal holds transactions');

  const dev = await FileDevice.open(join(dir, 'recovery.img'));
  try {
    const fs = await Ext4FileSystem.open(dev);
    const warning = fs.warnings.find((w) => w.includes('journal present but not replayed'));
    assert.ok(warning, `warnings: ${fs.warnings.join('; ')}`);
    assert.match(warning, new RegExp(`needs_recovery is set \\(journal s_start=${start}, sequence \\d+\\)`));
    assert.ok(fs.describe().warnings?.includes(warning));

    // What we read is what the kernel reads without replaying …
    const stale = await loadTruth(dir, 'stale');
    const r = await compareWithTruth(fs, stale);
    assert.deepEqual(r.mismatches, []);
    // … and that is not what the kernel shows after replay.
    const replayed = await loadTruth(dir, 'replayed');
    const rootNames = (t: typeof stale): string[] => t.entries[0]!.children!.map(nameOf).sort();
    assert.notDeepEqual(rootNames(stale), rootNames(replayed));
    assert.ok(rootNames(replayed).includes('added-dir') && !rootNames(stale).includes('added-dir'));
    await assert.rejects(fs.lookup(fs.rootIno, 'added-dir'), { code: 'ENOENT' });
  } finally {
    await dev.close();
  }
});

test('ext4 journal: a cleanly unmounted volume has no journal warning', { skip }, async () => {
  const dir = await fixture('ext4/recovery.sh');
  const dev = await FileDevice.open(join(dir, 'replayed.img'));
  try {
    const fs = await Ext4FileSystem.open(dev);
    assert.deepEqual(fs.warnings, []);
    assert.deepEqual((await compareWithTruth(fs, await loadTruth(dir, 'replayed'))).mismatches, []);
  } finally {
    await dev.close();
  }
});

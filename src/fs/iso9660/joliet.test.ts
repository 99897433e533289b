// The Joliet tree of xorriso images (-J -joliet-long), read with
// namespace=joliet, against 7-Zip's extraction (7-Zip reads the Joliet
// tree when there is one): names (UCS-2), types, sizes, mtimes and the
// sha256 of every file. Attributes Joliet cannot hold follow Linux: 0555,
// owner 0:0, one link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isoFixtures, isoSkip, openIso, walkHost, walkIso } from '../../../test/iso9660/tree.js';

const skip = isoSkip;
const dir = skip ? '' : await isoFixtures();

for (const name of ['rr', 'r']) {
  test(`iso9660 ${name}.iso namespace=joliet: every entry equals 7-Zip's extraction of the Joliet tree`, { skip }, async () => {
    const { fs, close } = await openIso(join(dir, `${name}.iso`), { namespace: 'joliet' });
    try {
      assert.equal(fs.info.namespace, 'joliet');
      assert.ok(!fs.capabilities.symlinks && !fs.capabilities.posixPermissions);
      const ours = await walkIso(fs);
      const truth = walkHost(join(dir, `${name}.iso.7z.extract`));
      assert.deepEqual([...ours.keys()].sort(), [...truth.keys()].sort(), 'the same paths');
      for (const [p, t] of truth) {
        const o = ours.get(p)!;
        assert.equal(o.type, t.type, `${p}: type`);
        if (p !== '') assert.equal(o.mtime, t.mtime, `${p}: mtime`);
        assert.equal(o.perms, 0o555, `${p}: Linux's default mode`);
        assert.equal(o.uid, 0, `${p}: uid`);
        assert.equal(o.nlink, 1, `${p}: nlink`);
        if (t.type === 'file') {
          assert.equal(o.size, t.size, `${p}: size`);
          assert.equal(o.sha256, t.sha256, `${p}: content`);
        }
      }
      assert.ok(ours.has('names/日本語のファイル名.txt') && ours.has('names/Кириллица'), 'UCS-2 names');
    } finally {
      await close();
    }
  });
}

test('iso9660 namespace=joliet on an image without Joliet is EINVAL', { skip }, async () => {
  await assert.rejects(openIso(join(dir, 'rr-noserial.iso'), { namespace: 'joliet' }), { code: 'EINVAL' });
  await assert.rejects(openIso(join(dir, 'level1.iso'), { namespace: 'rockridge' }), { code: 'EINVAL' });
});

test('iso9660 namespace choice: Rock Ridge first, then Joliet, then plain', { skip }, async () => {
  for (const [image, expected] of [['rr.iso', 'rockridge'], ['level2.iso', 'plain']] as const) {
    const { fs, close } = await openIso(join(dir, image));
    assert.equal(fs.info.namespace, expected, image);
    await close();
  }
});

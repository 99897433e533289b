// The plain ISO 9660 tree (no Rock Ridge, no Joliet): levels 1 and 2 made
// by xorriso --norock, and the primary tree of a Rock Ridge image read
// with namespace=plain. Truth is isoinfo -l (identifiers as stored, sizes,
// types) and isoinfo -x (file contents). With map=off names are the
// stored identifiers; with the default map=normal they are what Linux's
// map=normal makes of them (lower case, ';1' and '.;1' dropped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBytes } from '../../../test/helpers/tools.js';
import { isoFixtures, isoSkip, openIso, parseIsoinfo, walkIso } from '../../../test/iso9660/tree.js';

const skip = isoSkip;
const dir = skip ? '' : await isoFixtures();

/** Linux map=normal, stated from its documentation (mount(8) iso9660 options). */
function linuxName(raw: string): string {
  return raw.toLowerCase().replace(/\.;1$/, '').replace(/;1$/, '').replace(/;/g, '.');
}

for (const [image, namespace] of [['level1.iso', undefined], ['level2.iso', undefined], ['rr.iso', 'plain']] as const) {
  for (const map of ['off', 'normal'] as const) {
    test(`iso9660 ${image} plain tree map=${map}: names, types and sizes equal isoinfo -l, contents isoinfo -x`, { skip }, async () => {
      const { fs, close } = await openIso(join(dir, image), { ...(namespace ? { namespace } : {}), map });
      try {
        assert.equal(fs.info.namespace, 'plain');
        const ours = await walkIso(fs, { hash: false });
        const rows = parseIsoinfo(readFileSync(join(dir, `${image}.isoinfo-plain`), 'latin1'));
        const expected = new Map<string, { raw: string; size: number; isDir: boolean }>();
        const rawDirs = new Map<string, string>([['', '']]);
        for (const r of rows) {
          const parent = rawDirs.get(r.dir);
          assert.ok(parent !== undefined, `isoinfo lists ${r.dir} before its parent`);
          const name = map === 'off' ? r.name : linuxName(r.name);
          const path = parent ? `${parent}/${name}` : name;
          const isDir = (r.flags & 2) !== 0;
          if (isDir) rawDirs.set(r.dir ? `${r.dir}/${r.name}` : r.name, path);
          expected.set(path, { raw: r.dir ? `/${r.dir}/${r.name}` : `/${r.name}`, size: r.size, isDir });
        }
        assert.deepEqual([...ours.keys()].filter((p) => p !== '').sort(), [...expected.keys()].sort());
        let hashed = 0;
        for (const [p, e] of expected) {
          const o = ours.get(p)!;
          assert.equal(o.type, e.isDir ? 'dir' : 'file', `${p}: type`);
          assert.equal(o.size, e.size, `${p}: size`);
          assert.equal(o.perms, 0o555, `${p}: mode`);
          if (!e.isDir && hashed < 40) {
            hashed++;
            const truth = createHash('sha256').update(await runBytes('isoinfo', ['-i', join(dir, image), '-x', e.raw])).digest('hex');
            const ino = (await fs.lookup(await parentIno(fs, p), p.split('/').pop()!)).ino;
            const data = new Uint8Array(o.size);
            assert.equal(await fs.read(ino, 0, data, 0), o.size);
            assert.equal(createHash('sha256').update(data).digest('hex'), truth, `${p}: content`);
          }
        }
        assert.ok(hashed > 10);
      } finally {
        await close();
      }
    });
  }
}

async function parentIno(fs: import('../filesystem.js').FileSystem, path: string): Promise<number> {
  let ino = fs.rootIno;
  for (const part of path.split('/').slice(0, -1)) ino = (await fs.lookup(ino, part)).ino;
  return ino;
}

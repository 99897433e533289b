// Seeded mutations of real ext2/3/4 images (metadata_csum ext4 read both
// strictly and with ignore-checksums, ext2 with block maps, inline data):
// open, walk the whole tree (bounded depth and entries, cycles cut),
// lookup, stat, read every file, readlink, list and read xattrs, statfs.
// Any non-FsError exception or a hang fails (test/helpers/fuzz.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryDevice } from '../../block/memory.js';
import { fixture } from '../../../test/helpers/fixtures.js';
import { fuzz } from '../../../test/helpers/fuzz.js';
import { needTools } from '../../../test/helpers/tools.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../mode.js';
import { Ext4FileSystem } from './index.js';

const skip = needTools('mke2fs', 'debugfs', 'e2fsck', 'python3');

/** Walks everything reachable, within budgets; FsErrors from one entry do not stop the walk. */
async function exercise(bytes: Uint8Array, ignoreChecksums: boolean): Promise<void> {
  const fs = await Ext4FileSystem.open(new MemoryDevice(bytes, { readOnly: true }), { ignoreChecksums });
  await fs.statfs();
  fs.describe();
  const seen = new Set<number>();
  const buf = new Uint8Array(64 << 10);
  let budget = 4000;
  let firstError: unknown;
  const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      firstError ??= e;
    }
  };
  const visit = async (ino: number, depth: number): Promise<void> => {
    if (depth > 32 || seen.has(ino) || --budget < 0) return;
    seen.add(ino);
    const st = await fs.getattr(ino);
    await attempt(async () => {
      for (const n of await fs.listxattr(ino)) await fs.getxattr(ino, n);
    });
    const type = st.mode & S_IFMT;
    if (type === S_IFREG) {
      await attempt(async () => {
        for (let pos = 0; pos < Math.min(st.size, 128 << 10); pos += buf.length) await fs.read(ino, 0, buf, pos);
        if (st.size > 0) await fs.read(ino, 0, buf, st.size - 1);
      });
    } else if (type === S_IFLNK) {
      await attempt(() => fs.readlink(ino));
    } else if (type === S_IFDIR) {
      let cookie = 0;
      for (let rounds = 0; rounds < 200 && budget > 0; rounds++) {
        const batch = await fs.readdir(ino, 0, cookie, 64);
        if (batch.length === 0) break;
        for (const e of batch) {
          assert.ok(e.next > cookie, 'readdir cookies move forward');
          assert.ok(!e.name.includes('/') && !e.name.includes('\0'));
          if (e.name === '.' || e.name === '..') continue;
          await attempt(async () => {
            const child = await fs.lookup(ino, e.name);
            await visit(child.ino, depth + 1);
          });
        }
        cookie = batch[batch.length - 1]!.next;
      }
    }
  };
  await visit(fs.rootIno, 0);
  if (firstError) throw firstError;
}

/** Byte ranges holding metadata in the clean image, mutated more often. */
async function hotspots(bytes: Uint8Array): Promise<Array<[number, number]>> {
  const fs = await Ext4FileSystem.open(new MemoryDevice(bytes));
  const bs = fs.superblock.blockSize;
  const spots: Array<[number, number]> = [[1024, 2048], [(bs === 1024 ? 2 : 1) * bs, (bs === 1024 ? 3 : 2) * bs]];
  const gd = await fs.volume.groups.get(0);
  spots.push([gd.bg_inode_table * bs, gd.bg_inode_table * bs + 300 * fs.superblock.s_inode_size]);
  for (const path of ['dir', 'big-dir', 'sub', 'fragmented', 'xattrs']) {
    const ino = (await fs.lookup(fs.rootIno, path)).ino;
    const state = await fs.volume.inode(ino);
    if (state.inode.i_file_acl) spots.push([state.inode.i_file_acl * bs, (state.inode.i_file_acl + 1) * bs]);
    if (fs.volume.hasInlineData(state)) continue;
    const run = await fs.volume.mapper(state).map(0, 4);
    if (run.physical) spots.push([run.physical * bs, (run.physical + run.length) * bs]);
  }
  return spots;
}

for (const [name, seed, ignore] of [['csum4k', 4001, true], ['csum4k', 4002, false], ['ext2', 4003, true], ['inline', 4004, true]] as const) {
  test(`ext4 fuzz: mutated ${name} (${ignore ? 'ignore-checksums' : 'strict'}) walks without crashing or hanging`, { skip }, async () => {
    const base = new Uint8Array(await readFile(join(await fixture('ext4/small.sh'), `${name}.img`)));
    await exercise(base, ignore); // the clean image walks without any error
    const result = await fuzz({
      base,
      seed,
      // A fixed number of cases (about 2 s each image on an idle machine); the time budget only guards a slow CI.
      iterations: 40,
      timeBudgetMs: 20_000,
      hotspots: await hotspots(base),
      run: (bytes) => exercise(bytes, ignore),
    });
    assert.ok(result.cases >= 10, `only ${result.cases} cases ran`);
    assert.ok(result.fsErrors > 0 && result.ok > 0, JSON.stringify(result));
  });
}

// extractTree with worker threads (a source and a driver with file
// handles): the tree written is the one unsquashfs writes from the same
// image (types, modes, owners, times, sizes, contents, link targets), the
// files were copied by the workers (the walking thread read no file data
// except the one file with three names, which it copies itself so its
// other names become hardlinks), and warnings, renames and counts are
// those of the copy on one thread. Failures in workers reach the caller as
// FsErrors: a worker that dies (EIO, naming the files that may be
// incomplete), a source whose handles do not match (ESTALE), an abort.
import '../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../../test/helpers/fixtures.js';
import { needTools, run } from '../../test/helpers/tools.js';
import { FsError } from '../errors.js';
import type { FileSystem, Ino } from '../fs/filesystem.js';
import { extractTree, type ExtractStats } from './extract.js';
import { extractTestHooks } from './extract-workers.js';
import { openSource } from './open-source.js';

const skip = needTools('mksquashfs', 'unsquashfs', 'mkfifo');
const dir = skip ? '' : await fixture('squashfs/extract.sh');
const image = join(dir, 'tree.img');

/** Every path below `root`: type, mode, owner, mtime, size, link target, sha256 of the contents. */
async function listing(root: string, rel = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const full = join(root, path);
    const st = await lstat(full);
    let what = '';
    if (st.isSymbolicLink()) what = `-> ${await readlink(full)}`;
    else if (st.isFile()) what = createHash('sha256').update(await readFile(full)).digest('hex');
    out.set(path, `${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${Math.floor(st.mtimeMs / 1000)} ${st.isDirectory() ? '' : st.size} ${what}`);
    if (st.isDirectory()) for (const [k, v] of await listing(root, path)) out.set(k, v);
  }
  return out;
}

/** The filesystem, counting the reads of each inode made through it (on this thread). */
function counting(fs: FileSystem, reads: Map<Ino, number>): FileSystem {
  return new Proxy(fs, {
    get(target, prop) {
      if (prop === 'read') {
        return (ino: Ino, fh: number, buf: Uint8Array, pos: number) => {
          reads.set(ino, (reads.get(ino) ?? 0) + 1);
          return target.read(ino, fh, buf, pos);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function scratch(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'anymount-extract-par-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

test('extract in parallel: the tree unsquashfs writes, copied by the workers, reported as the copy on one thread reports it', { skip }, async () => {
  const s = await scratch();
  const opened = await openSource(image);
  try {
    const reads = new Map<Ino, number>();
    const parallelWarnings: string[] = [];
    const serialWarnings: string[] = [];
    // The walk of so small a tree ends before the workers are up; then this thread would help.
    extractTestHooks.walkingThreadHelps = false;
    const parallel = await extractTree(counting(opened.fs, reads), opened.fs.rootIno, '/', join(s.root, 'parallel'), {
      source: { address: image },
      onWarning: (w) => parallelWarnings.push(w),
    }).finally(() => (extractTestHooks.walkingThreadHelps = true));
    const serial = await extractTree(opened.fs, opened.fs.rootIno, '/', join(s.root, 'serial'), { workers: 0, onWarning: (w) => serialWarnings.push(w) });
    await run('unsquashfs', ['-q', '-n', '-d', join(s.root, 'unsquashfs'), image]);

    const ours = await listing(join(s.root, 'parallel'));
    assert.deepEqual(ours, await listing(join(s.root, 'serial')), 'the same tree as the copy on one thread');
    const truth = await listing(join(s.root, 'unsquashfs'));
    // unsquashfs writes names with control characters as they are; we rewrite them (and say so).
    const unsafe = [...truth.keys()].filter((p) => /[\u0000-\u001f]/.test(p));
    assert.equal(unsafe.length, 2);
    for (const p of unsafe) {
      const renamed = p.replace(/[\u0000-\u001f]/g, '_');
      assert.equal(ours.get(renamed), truth.get(p), `${JSON.stringify(p)} written as ${renamed}`);
      truth.delete(p);
      ours.delete(renamed);
    }
    assert.deepEqual(ours, truth, 'the same tree as unsquashfs writes');

    assert.deepEqual(stripTimes(parallel), stripTimes(serial));
    assert.equal(parallel.files, 308);
    assert.equal(parallel.hardlinks, 2);
    assert.equal(parallel.renamed.length, 2);
    assert.deepEqual(parallelWarnings, serialWarnings);
    assert.equal(parallelWarnings.length, 2, parallelWarnings.join('\n'));
    const trio = await Promise.all(['d0/trio', 'd1/trio-b', 'd2/trio-c'].map((p) => lstat(join(s.root, 'parallel', p))));
    assert.ok(trio.every((st) => st.ino === trio[0]!.ino && st.nlink === 3), 'three names, one inode');

    // This thread read only the file with three names; the workers read everything else.
    const trioIno = (await opened.fs.lookup((await opened.fs.lookup(opened.fs.rootIno, 'd0')).ino, 'trio')).ino;
    assert.deepEqual([...reads.keys()], [trioIno], 'file data read on the walking thread');
  } finally {
    await opened.close();
    await s.cleanup();
  }
});

function stripTimes(st: ExtractStats): ExtractStats {
  return { ...st, renamed: st.renamed.map((r) => ({ from: r.from, to: r.to.replace(/\/(parallel|serial)\//, '/X/') })) };
}

test('extract in parallel: a worker that dies fails the extraction with EIO naming the files that may be incomplete', { skip }, async () => {
  const s = await scratch();
  const opened = await openSource(image);
  extractTestHooks.terminateAtBatch = 1;
  extractTestHooks.walkingThreadHelps = false;
  try {
    const warnings: string[] = [];
    await assert.rejects(
      extractTree(opened.fs, opened.fs.rootIno, '/', s.root, { source: { address: image }, onWarning: (w) => warnings.push(w) }),
      (e: unknown) => e instanceof FsError && e.code === 'EIO' && /extraction worker .*may be missing or incomplete/.test(e.message),
    );
    assert.ok(warnings.some((w) => /entries from \/\S+ to \/\S+ may be missing or incomplete/.test(w)), warnings.join('\n'));
  } finally {
    extractTestHooks.terminateAtBatch = 0;
    extractTestHooks.walkingThreadHelps = true;
    await opened.close();
    await s.cleanup();
  }
});

test('extract in parallel: workers that open a different image fail with ESTALE, not a crash', { skip }, async () => {
  const s = await scratch();
  const opened = await openSource(image);
  try {
    extractTestHooks.walkingThreadHelps = false;
    await assert.rejects(
      extractTree(opened.fs, opened.fs.rootIno, '/', s.root, { source: { address: join(dir, 'other.img') } }),
      (e: unknown) => e instanceof FsError && e.code === 'ESTALE',
    );
  } finally {
    extractTestHooks.walkingThreadHelps = true;
    await opened.close();
    await s.cleanup();
  }
});

test('extract in parallel: an abort stops the walk and the workers', { skip }, async () => {
  const s = await scratch();
  const opened = await openSource(image);
  try {
    const ac = new AbortController();
    let seen = 0;
    await assert.rejects(
      extractTree(opened.fs, opened.fs.rootIno, '/', s.root, {
        source: { address: image },
        signal: ac.signal,
        onProgress: () => {
          if (++seen === 150) ac.abort();
        },
      }),
      (e: unknown) => (e as Error).name === 'AbortError',
    );
  } finally {
    await opened.close();
    await s.cleanup();
  }
  // Nothing of the extraction is left running (workers stopped, images closed).
  assert.ok(!process.getActiveResourcesInfo().includes('Worker'), String(process.getActiveResourcesInfo()));
});

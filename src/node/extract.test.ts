// extractTree: what it keeps (modes, times, links, holes) and what it refuses
// (writes outside DEST, unsafe names, cycles). Trees are built in memfs; the
// hostile cases wrap memfs so that readdir reports names no real directory
// could hold — the names a corrupt or malicious image can contain. The real
// hostile images per format (ISO, FAT, ext) are tested with their drivers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractTree } from './extract.js';
import { MemFileSystem } from '../vfs/memfs/memfs.js';
import type { DirEntry, Entry, FileSystem, Ino } from '../fs/filesystem.js';
import { S_IFDIR, S_IFIFO, S_IFREG } from '../fs/mode.js';
import { isRoot } from '../../test/helpers/tools.js';

const caller = { uid: 1234, gid: 5678 };

async function file(fs: MemFileSystem, dir: Ino, name: string, data: Uint8Array | string, mode = 0o644): Promise<Entry> {
  const { entry, fh } = await fs.create(dir, name, S_IFREG | mode, 1, caller);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  if (bytes.length) await fs.write(entry.ino, fh, bytes, 0);
  await fs.release(entry.ino, fh);
  return entry;
}

async function scratch(): Promise<{ root: string; dest: string; outside: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'anymount-extract-'));
  const dest = join(root, 'dest');
  const outside = join(root, 'outside');
  await mkdir(outside);
  return { root, dest, outside, cleanup: () => rm(root, { recursive: true, force: true }) };
}

test('extract keeps contents, modes, owners, times, symlinks, hardlinks, holes and fifos', async () => {
  const fs = new MemFileSystem();
  const docs = await fs.mkdir(fs.rootIno, 'docs', 0o750, caller);
  const big = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 0xff);
  await file(fs, docs.ino, 'big.bin', big);
  const hello = await file(fs, docs.ino, 'hello.txt', 'hello\n', 0o4755);
  await fs.link(hello.ino, fs.rootIno, 'hard.txt');
  await fs.symlink(docs.ino, 'abs-link', '/etc/passwd', caller);
  await fs.symlink(docs.ino, 'rel-link', '../../outside', caller);
  // 8 MiB file with data only at the end: a hole the copy must keep.
  const sparse = await file(fs, fs.rootIno, 'sparse.img', '');
  const { fh } = { fh: await fs.open(sparse.ino, 2) };
  await fs.write(sparse.ino, fh, new TextEncoder().encode('tail'), (8 << 20) - 4);
  await fs.release(sparse.ino, fh);
  await fs.mknod(fs.rootIno, 'pipe', S_IFIFO | 0o600, 0, caller);
  await fs.setattr(hello.ino, { mtime: { sec: 946684800, nsec: 123456789 }, atime: { sec: 946684801, nsec: 0 } });
  // Before 1970: node:fs would turn a negative number into "now".
  const old = await file(fs, fs.rootIno, 'old.txt', 'from 1960');
  await fs.setattr(old.ino, { mtime: { sec: -315619200, nsec: 0 } });

  const s = await scratch();
  try {
    const stats = await extractTree(fs, fs.rootIno, '/', s.dest);
    assert.deepEqual(await readFile(join(s.dest, 'docs/big.bin')), Buffer.from(big));
    assert.equal(await readFile(join(s.dest, 'docs/hello.txt'), 'utf8'), 'hello\n');
    const h1 = await stat(join(s.dest, 'docs/hello.txt'));
    const h2 = await stat(join(s.dest, 'hard.txt'));
    assert.equal(h1.ino, h2.ino, 'hardlinks share an inode');
    assert.equal(h1.nlink, 2);
    assert.equal(h1.mtime.getTime(), 946684800123);
    assert.equal((await stat(join(s.dest, 'old.txt'))).mtime.getTime(), -315619200000);
    assert.equal((await stat(join(s.dest, 'docs'))).mode & 0o7777, 0o750);
    // Setuid survives only for root, as with tar.
    assert.equal(h1.mode & 0o7777, isRoot ? 0o4755 : 0o755);
    if (isRoot) assert.deepEqual([h1.uid, h1.gid], [1234, 5678]);
    assert.equal(await readlink(join(s.dest, 'docs/abs-link')), '/etc/passwd');
    assert.equal(await readlink(join(s.dest, 'docs/rel-link')), '../../outside');
    const sp = await stat(join(s.dest, 'sparse.img'));
    assert.equal(sp.size, 8 << 20);
    assert.ok(sp.blocks * 512 <= 128 << 10, `sparse file stays sparse (${sp.blocks} blocks)`);
    assert.ok((await lstat(join(s.dest, 'pipe'))).isFIFO());
    assert.equal(stats.hardlinks, 1);
    assert.equal(stats.symlinks, 2);
    assert.equal(stats.special, 1);
    assert.deepEqual(await readdir(s.outside), [], 'nothing written outside DEST');
  } finally {
    await s.cleanup();
  }
});

/**
 * A FileSystem that shows memfs entries under other names: `aliases` maps a
 * stored name to the name readdir reports (and lookup accepts), and `loops`
 * makes a name resolve to another inode, as a corrupt image can.
 */
class HostileView implements FileSystem {
  readonly name = 'hostile';
  constructor(
    private readonly inner: MemFileSystem,
    private readonly aliases: Map<string, string>,
    private readonly loops: Map<string, Ino> = new Map(),
  ) {}
  get capabilities() {
    return this.inner.capabilities;
  }
  get rootIno() {
    return this.inner.rootIno;
  }
  private stored(name: string): string {
    for (const [k, v] of this.aliases) if (v === name) return k;
    return name;
  }
  async lookup(dir: Ino, name: string): Promise<Entry> {
    const loop = this.loops.get(name);
    if (loop !== undefined) return { ino: loop, attr: await this.inner.getattr(loop) };
    return this.inner.lookup(dir, this.stored(name));
  }
  async readdir(ino: Ino, fh: number, cookie: number, limit?: number): Promise<DirEntry[]> {
    const entries = await this.inner.readdir(ino, fh, cookie, limit);
    return entries.map((e) => ({ ...e, name: this.aliases.get(e.name) ?? e.name }));
  }
  getattr(ino: Ino) {
    return this.inner.getattr(ino);
  }
  readlink(ino: Ino) {
    return this.inner.readlink(ino);
  }
  statfs() {
    return this.inner.statfs();
  }
  read(ino: Ino, fh: number, buf: Uint8Array, pos: number) {
    return this.inner.read(ino, fh, buf, pos);
  }
  opendir(ino: Ino) {
    return this.inner.opendir(ino);
  }
  releasedir(ino: Ino, fh: number) {
    return this.inner.releasedir(ino, fh);
  }
}

test('extract never writes outside DEST: unsafe names, symlink then file through it, pre-existing symlinks, cycles', async () => {
  const fs = new MemFileSystem();
  const root = fs.rootIno;
  await file(fs, root, 'dotdot', 'escaped via ..');
  await file(fs, root, 'slash', 'escaped via /');
  await file(fs, root, 'absolute', 'escaped via an absolute name');
  await file(fs, root, 'ctrl', 'terminal escape');
  await file(fs, root, 'empty', 'no name');
  // A symlink pointing outside, then a directory of the same name with a file in it.
  await fs.symlink(root, 'esc-link', 'placeholder', caller); // re-pointed below
  const dir = await fs.mkdir(root, 'esc-dir', 0o755, caller);
  await file(fs, dir.ino, 'pwned', 'must stay inside');
  // A directory whose entry 'again' leads back to itself.
  const cyc = await fs.mkdir(root, 'cyc', 0o755, caller);
  await file(fs, cyc.ino, 'again', 'placeholder');
  // A directory that will meet a symlink already in DEST.
  const pre = await fs.mkdir(root, 'pre', 0o755, caller);
  await file(fs, pre.ino, 'inside.txt', 'data');

  const s = await scratch();
  try {
    // Re-point the symlink at the scratch 'outside' directory now that we know it.
    await fs.unlink(root, 'esc-link');
    await fs.symlink(root, 'esc-link', s.outside, caller);
    const view = new HostileView(
      fs,
      new Map([
        ['dotdot', '..'],
        ['slash', '../../outside/slash'],
        ['absolute', `${s.outside}/absolute`],
        ['ctrl', 'bad\u001b[31mname'],
        ['empty', ''],
        ['esc-link', 'esc'],
        ['esc-dir', 'esc'],
      ]),
      new Map([['again', cyc.ino]]),
    );
    await mkdir(s.dest);
    await symlink(s.outside, join(s.dest, 'pre'));
    const warnings: string[] = [];
    const stats = await extractTree(view, root, '/', s.dest, { onWarning: (w) => warnings.push(w) });

    assert.deepEqual(await readdir(s.outside), [], 'nothing written outside DEST');
    const names = (await readdir(s.dest)).sort();
    for (const n of names) assert.ok(!n.includes('/') && n !== '..' && !/[\u0000-\u001f]/.test(n), `safe name ${JSON.stringify(n)}`);
    // A '..' entry cannot be told from the real one, so it is never followed or written (drivers must not report one).
    assert.ok(!names.includes('__'));
    // The rest were kept under safe names, with their data.
    assert.equal(await readFile(join(s.dest, '.._.._outside_slash'), 'utf8'), 'escaped via /');
    assert.equal(await readFile(join(s.dest, 'bad_[31mname'), 'utf8'), 'terminal escape');
    assert.equal(await readFile(join(s.dest, '_'), 'utf8'), 'no name');
    // Two entries named 'esc' (a symlink to outside, and a directory holding 'pwned'): both land under
    // distinct names, and lookup by the shared name gives the symlink both times, which is copied as a link.
    const escNames = names.filter((n) => n.startsWith('esc'));
    assert.equal(escNames.length, 2);
    for (const n of escNames) assert.equal(await readlink(join(s.dest, n)), s.outside);
    // The symlink planted in DEST was replaced by a real directory, not written through.
    assert.ok((await lstat(join(s.dest, 'pre'))).isDirectory());
    assert.equal(await readFile(join(s.dest, 'pre/inside.txt'), 'utf8'), 'data');
    // The cycle was cut and reported.
    assert.ok(stats.skipped.some((x) => x.path === '/cyc/again' && /contains itself/.test(x.reason)));
    assert.ok(stats.renamed.length >= 5, `renames reported (${stats.renamed.length})`);
    assert.ok(warnings.length >= stats.renamed.length);
  } finally {
    await s.cleanup();
  }
});

test('extracting a single file writes just that file', async () => {
  const fs = new MemFileSystem();
  const f = await file(fs, fs.rootIno, 'one.txt', 'one');
  const s = await scratch();
  try {
    await mkdir(s.dest);
    const target = join(s.dest, 'copy.txt');
    await writeFile(join(s.outside, 'victim'), 'keep');
    await symlink(join(s.outside, 'victim'), target);
    await extractTree(fs, f.ino, '/one.txt', target);
    assert.equal(await readFile(target, 'utf8'), 'one');
    assert.equal(await readFile(join(s.outside, 'victim'), 'utf8'), 'keep', 'a symlink at the target is replaced, not followed');
    assert.equal((await stat(s.dest)).mode & S_IFDIR, S_IFDIR);
  } finally {
    await s.cleanup();
  }
});

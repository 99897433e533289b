// The file commands (ls, stat, find, du, cat, tree, cp, extract, mkdir, mv, rm)
// on images made by mke2fs -d and mkfs.fat. Truth: the same commands of
// coreutils/findutils on the kernel's read-only loop mount of the image
// (root only), debugfs, and mtools/fsck.fat for the FAT writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, readlink, rm, mkdir, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { fixture } from '../helpers/fixtures.js';
import { needRoot, needTools, run } from '../helpers/tools.js';

process.env.TZ = 'UTC';
const skip = needTools('mke2fs', 'mkfs.fat', 'mcopy', 'debugfs');
const skipKernel = skip ?? needRoot('a loop mount');

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string; raw: Buffer }> {
  const chunks: Buffer[] = [];
  let stderr = '';
  const code = await main(argv, {
    stdout: new Writable({
      write(c, _e, cb) {
        chunks.push(Buffer.from(c));
        cb();
      },
    }),
    stderr: new Writable({
      write(c, _e, cb) {
        stderr += c.toString();
        cb();
      },
    }),
  });
  const raw = Buffer.concat(chunks);
  return { code, stdout: raw.toString(), stderr, raw };
}

async function ok(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Mounts the image read-only through the kernel for the duration of fn. */
async function withKernelMount<T>(image: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'anymount-kmnt-'));
  await run('mount', ['-o', 'ro,loop', image, dir]);
  try {
    return await fn(dir);
  } finally {
    await run('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
}

test('ls -l and ls -la print what GNU ls -ln prints on the kernel mount', { skip: skipKernel }, async () => {
  const dir = await fixture('cli/trees.sh');
  const img = join(dir, 'ext4.img');
  await withKernelMount(img, async (mnt) => {
    for (const path of ['/', '/docs', '/big', '/docs/deep']) {
      const ours = await ok('ls', '-l', `${img}:${path}`);
      const theirs = await run('ls', ['-ln', join(mnt, path)]);
      assert.equal(ours, theirs, `ls -l ${path}`);
    }
    assert.equal(await ok('ls', '-la', `${img}:/docs`), await run('ls', ['-lan', join(mnt, 'docs')]));
    assert.equal(await ok('ls', '-lh', `${img}:/big`), await run('ls', ['-lnh', join(mnt, 'big')]));
    assert.equal(await ok('ls', '-1', `${img}:/big`), await run('ls', ['-1', join(mnt, 'big')]));
    assert.equal(await ok('ls', '-R', `${img}:/docs`), (await run('ls', ['-R', join(mnt, 'docs')])).replaceAll(mnt, ''));
  });
});

test('stat, find and du agree with the kernel mount', { skip: skipKernel }, async () => {
  const dir = await fixture('cli/trees.sh');
  const img = join(dir, 'ext4.img');
  await withKernelMount(img, async (mnt) => {
    // find: the same set of paths, per type.
    for (const type of ['f', 'd', 'l', 'p']) {
      const ours = (await ok('find', img, '-type', type)).split('\n').filter(Boolean).sort();
      const theirs = (await run('find', [mnt, '-type', type])).split('\n').filter(Boolean).map((p) => '/' + relative(mnt, p)).map((p) => (p === '/' ? '/' : p)).sort();
      assert.deepEqual(ours, theirs, `find -type ${type}`);
    }
    assert.deepEqual(
      (await ok('find', `${img}:/big`, '-name', 'entry-1?9')).split('\n').filter(Boolean).sort(),
      (await run('find', [join(mnt, 'big'), '-name', 'entry-1?9'])).split('\n').filter(Boolean).map((p) => '/' + relative(mnt, p)).sort(),
    );
    // du: same totals per directory (GNU order differs, so compare as a map).
    const duMap = (text: string, strip: string) => new Map(text.split('\n').filter(Boolean).map((l) => { const [n, p] = l.split('\t'); return ['/' + relative(strip, p!), n]; }));
    // A file with two names is listed once, under whichever name the walk meets first: GNU du walks in
    // readdir (hash) order, we walk sorted, so compare everything else and that one of the two names is there.
    const twins = ['/docs/hello.txt', '/docs/hello-hard.txt'];
    const withoutTwins = (m: Map<string, string | undefined>) => {
      const listed = twins.filter((t) => m.has(t));
      assert.equal(listed.length, 1, `one of ${twins.join(', ')} listed`);
      const size = m.get(listed[0]!);
      for (const t of twins) m.delete(t);
      return { m, size };
    };
    const oursA = withoutTwins(duMap(await ok('du', '-a', img), '/'));
    const theirsA = withoutTwins(duMap(await run('du', ['-a', mnt]), mnt));
    assert.deepEqual(oursA, theirsA);
    assert.deepEqual(duMap(await ok('du', '-b', img), '/'), duMap(await run('du', ['-b', mnt]), mnt));
    // stat: every field stat(1) prints, for each kind of file.
    for (const p of ['/docs/hello.txt', '/docs/hello-link', '/docs/fifo', '/docs', '/big/sparse.img', '/docs/one-byte']) {
      const [ours] = JSON.parse(await ok('stat', '--json', `${img}:${p}`)) as Array<Record<string, unknown>>;
      const t = (await run('stat', ['-c', '%s %b %i %h %a %u %g %X %Y %Z', join(mnt, p)])).trim().split(' ').map(Number);
      const sec = (iso: unknown) => Math.floor(Date.parse(String(iso)) / 1000);
      assert.deepEqual(
        [ours!.size, ours!.blocks, ours!.ino, ours!.nlink, ours!.mode, ours!.uid, ours!.gid, sec(ours!.atime), sec(ours!.mtime), sec(ours!.ctime)],
        [t[0], t[1], t[2], t[3], parseInt(String(t[4]), 8), t[5], t[6], t[7], t[8], t[9]],
        `stat ${p}`,
      );
    }
  });
});

test('cat, cp and extract copy exactly what the image holds', { skip }, async () => {
  const dir = await fixture('cli/trees.sh');
  const img = join(dir, 'ext4.img');
  const work = await mkdtemp(join(tmpdir(), 'anymount-cp-'));
  try {
    // cat: bytes equal to debugfs's dump of the same file.
    for (const p of ['/big/random.bin', '/docs/héllo wörld ✓', '/docs/empty']) {
      const dumped = join(work, 'dumped');
      await run('debugfs', ['-R', `dump "${p}" ${dumped}`, img]);
      assert.ok((await cli('cat', `${img}:${p}`)).raw.equals(await readFile(dumped)), `cat ${p}`);
    }
    // cp of one file into a directory, and -r of a tree.
    await mkdir(join(work, 'out'));
    await ok('cp', `${img}:/docs/hello.txt`, join(work, 'out'));
    assert.equal(await readFile(join(work, 'out/hello.txt'), 'utf8'), 'hello\n');
    assert.equal((await cli('cp', `${img}:/docs`, join(work, 'nope'))).code, 1, 'a directory needs -r');
    await ok('cp', '-r', `${img}:/docs`, join(work, 'docs-copy'));
    assert.equal(await readlink(join(work, 'docs-copy/hello-link')), 'hello.txt');
    // extract: the whole tree, compared with the kernel's mount (as root) or debugfs rdump (which skips FIFOs).
    await ok('extract', img, join(work, 'ours'));
    const ours = await treeFacts(join(work, 'ours'));
    if (needRoot() === undefined) {
      assert.deepEqual(ours, await withKernelMount(img, (mnt) => treeFacts(mnt)));
    } else {
      await mkdir(join(work, 'theirs'));
      await run('debugfs', ['-R', `rdump / ${join(work, 'theirs')}`, img]);
      assert.deepEqual(Object.fromEntries(Object.entries(ours).filter(([, v]) => v[0] !== 'p')), await treeFacts(join(work, 'theirs')));
    }
    const sparse = await lstat(join(work, 'ours/big/sparse.img'));
    assert.ok(sparse.blocks * 512 <= 128 * 1024, 'sparse file stays sparse');
    const h1 = await lstat(join(work, 'ours/docs/hello.txt'));
    const h2 = await lstat(join(work, 'ours/docs/hello-hard.txt'));
    assert.equal(h1.ino, h2.ino, 'hardlink kept');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

/** Path → [type, mode, size, mtime s, sha256 or link target], for comparing two extracted trees. */
async function treeFacts(root: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const visit = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const p = join(dir, name);
      const st = await lstat(p);
      const rel = relative(root, p);
      if (rel === 'lost+found') continue;
      const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFIFO() ? 'p' : 'f';
      const body = st.isFile() ? createHash('sha256').update(await readFile(p)).digest('hex') : st.isSymbolicLink() ? await readlink(p) : '';
      out[rel] = [type, st.isSymbolicLink() ? 0 : st.mode & 0o7777, st.isFile() ? st.size : 0, st.isSymbolicLink() ? 0 : Math.floor(st.mtimeMs / 1000), body];
      if (st.isDirectory()) await visit(p);
    }
  };
  await visit(root);
  return out;
}

test('extract of a hostile image writes nothing outside DEST and reports every rewrite', { skip }, async () => {
  const dir = await fixture('cli/trees.sh');
  const work = await mkdtemp(join(tmpdir(), 'anymount-hostile-'));
  const outside = '/tmp/anymount-outside';
  await rm(outside, { recursive: true, force: true });
  try {
    const r = await cli('extract', join(dir, 'hostile.img'), join(work, 'dest'));
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    // Nothing escaped: not through '../' names, absolute names, nor the symlink named like a directory.
    for (const p of ['/tmp1', '/tmp/abs-escape2', outside, join(work, 'tmp1')]) {
      await assert.rejects(lstat(p), { code: 'ENOENT' }, `${p} must not exist`);
    }
    const names = await readdir(join(work, 'dest'));
    assert.deepEqual(names.filter((n) => n.includes('/') || n === '..' || /[\u0000-\u001f]/.test(n)), []);
    assert.match(r.stderr, /control characters/);
    assert.match(r.stderr, /duplicate name/);
    // The symlink to outside exists as a link (data, never written through).
    assert.equal(await readlink(join(work, 'dest', 'esc')), outside);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  }
});

test('mkdir, cp in, mv and rm change a FAT image as fsck.fat and mtools see it', { skip: skip ?? needTools('fsck.fat', 'mdir', 'mtype') }, async () => {
  const dir = await fixture('cli/trees.sh');
  const work = await mkdtemp(join(tmpdir(), 'anymount-fatw-'));
  const img = join(work, 'fat.img');
  await copyFile(join(dir, 'fat.img'), img);
  const before = await readFile(img);
  try {
    // Read-only unless --rw: refused up front, image untouched.
    const refused = await cli('mkdir', `${img}:/NEW`);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /add --rw/);
    assert.ok((await readFile(img)).equals(before));

    await ok('mkdir', '--rw', '-p', `${img}:/A/B/C`);
    await writeFile(join(work, 'note.txt'), 'written by anymount\n');
    await mkdir(join(work, 'tree/sub'), { recursive: true });
    await writeFile(join(work, 'tree/sub/Long File Name.text'), 'x'.repeat(100000));
    await ok('cp', '--rw', join(work, 'note.txt'), `${img}:/A/B/NOTE.TXT`);
    await ok('cp', '--rw', '-r', join(work, 'tree'), `${img}:/A`);
    await ok('mv', '--rw', `${img}:/KEEP.TXT`, '/A/KEPT.TXT');
    await ok('rm', '--rw', '-r', `${img}:/OLD`);
    await ok('rm', '--rw', '-f', `${img}:/does-not-exist`);
    assert.equal((await cli('rm', '--rw', `${img}:/A/B`)).code, 1, 'rm of a directory needs -r');

    await run('fsck.fat', ['-n', img]);
    const env = ['-i', img];
    assert.equal(await run('mtype', [...env, '::/A/B/NOTE.TXT']), 'written by anymount\n');
    assert.equal(await run('mtype', [...env, '::/A/KEPT.TXT']), 'keep me\n');
    assert.equal(await run('mtype', [...env, '::/A/tree/sub/Long File Name.text']), 'x'.repeat(100000));
    const root = await run('mdir', [...env, '-b', '::/']);
    assert.doesNotMatch(root, /OLD|KEEP/);
    assert.match(await run('mdir', [...env, '-b', '::/A/B']), /C\/?$/m);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('file command errors: missing paths, partitioned disks, usage', { skip }, async () => {
  const dir = await fixture('cli/trees.sh');
  const img = join(dir, 'ext4.img');
  const missing = await cli('ls', `${img}:/nope`);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ENOENT/);
  const notFile = await cli('cat', `${img}:/docs`);
  assert.equal(notFile.code, 1);
  assert.match(notFile.stderr, /EISDIR/);
  assert.equal((await cli('find', img, '-type', 'x')).code, 2);
  assert.equal((await cli('extract', img)).code, 2);
  assert.equal((await cli('tree', '-L', '0', img)).code, 2);
  const treeOut = await ok('tree', '-L', '1', img);
  assert.match(treeOut, /^├── big$/m);
  assert.match(treeOut, /directories, \d+ files?\n$/);
});

// Reads squashfs images made by mksquashfs (every compressor, block sizes,
// fragment/sparse/xattr/export options) and compares the whole tree with
// unsquashfs (-pf listing, -d extraction + sha256 + getfattr, -s) and, as
// root, with the kernel's loop mount (inode numbers, nlink, blocks, rdev).
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needRoot, needTools } from '../../../test/helpers/tools.js';
import { walk, type WalkedEntry } from '../../../test/squashfs/walk.js';
import { extractTruth, kernelTruth, pseudoTruth, superblockTruth } from '../../../test/squashfs/truth.js';
import { FileDevice } from '../../node/file-device.js';
import { devMajor, devMinor, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../mode.js';
import { SquashfsFileSystem } from './filesystem.js';

const skip = needTools('mksquashfs', 'unsquashfs', 'setfattr', 'getfattr', 'openssl');
const dir = skip ? '' : await fixture('squashfs/make.sh');
const images = skip
  ? []
  : (await readFile(join(dir, 'images.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]!);

/** Images the kernel mount double-checks (the kernel has no lzma). */
const KERNEL = new Set(['gzip', 'xz', 'lzo', 'lz4', 'zstd', 'gzip-4k', 'zstd-1m', 'gzip-no-exports', 'gzip-uncompressed', 'lz4-tailends', 'gzip-no-sparse']);

const KIND_IFMT: Record<string, number> = { D: S_IFDIR, R: S_IFREG, S: S_IFLNK, C: S_IFCHR, B: S_IFBLK };

async function open(name: string): Promise<{ fs: SquashfsFileSystem; close: () => Promise<void> }> {
  const dev = await FileDevice.open(join(dir, `${name}.sqfs`));
  return { fs: await SquashfsFileSystem.open(dev), close: () => dev.close() };
}

function compareWithPseudo(name: string, ours: Map<string, WalkedEntry>, truth: Awaited<ReturnType<typeof pseudoTruth>>): void {
  assert.deepEqual([...ours.keys()].sort(), [...truth.keys()].sort(), `${name}: same paths`);
  for (const [path, t] of truth) {
    const o = ours.get(path)!;
    const at = `${name}: ${path || '/'}`;
    if (t.kind === 'L') {
      const other = ours.get(t.linkOf!)!;
      assert.equal(o.stat.ino, other.stat.ino, `${at}: hardlink shares the inode of ${t.linkOf}`);
      continue;
    }
    const ifmt = t.kind === 'I' ? (t.ipc === 's' ? S_IFSOCK : S_IFIFO) : KIND_IFMT[t.kind]!;
    assert.equal(o.stat.mode & S_IFMT, ifmt, `${at}: type`);
    assert.equal(o.dtype, ifmt >>> 12, `${at}: readdir type`);
    assert.equal(o.stat.mode & 0o7777, t.mode, `${at}: mode`);
    assert.equal(o.stat.uid, t.uid, `${at}: uid`);
    assert.equal(o.stat.gid, t.gid, `${at}: gid`);
    assert.equal(o.stat.mtime.sec, t.mtime, `${at}: mtime`);
    if (t.kind === 'R') assert.equal(o.stat.size, t.size, `${at}: size`);
    if (t.kind === 'S') {
      assert.equal(o.target, t.target, `${at}: symlink target`);
      assert.equal(o.stat.size, Buffer.byteLength(t.target!), `${at}: symlink size`);
    }
    // unsquashfs -pf prints major = rdev >> 8 without masking, so only small minors agree with it (the kernel check covers the rest).
    if ((t.kind === 'C' || t.kind === 'B') && t.minor! < 256 && t.major! < 4096) {
      assert.equal(devMajor(o.stat.rdev), t.major, `${at}: major`);
      assert.equal(devMinor(o.stat.rdev), t.minor, `${at}: minor`);
    }
  }
  // nlink of regular files: 1 + number of L lines pointing at it.
  const links = new Map<string, number>();
  for (const t of truth.values()) if (t.kind === 'L') links.set(t.linkOf!, (links.get(t.linkOf!) ?? 1) + 1);
  for (const [path, n] of links) assert.equal(ours.get(path)!.stat.nlink, n, `${name}: ${path}: nlink`);
}

for (const name of images) {
  test(`squashfs ${name}: tree, contents and xattrs match unsquashfs`, { skip }, async () => {
    const image = join(dir, `${name}.sqfs`);
    const { fs, close } = await open(name);
    try {
      const sbt = await superblockTruth(image);
      assert.equal(fs.superblock.block_size, sbt.blockSize);
      assert.equal(fs.compression, sbt.compression);
      assert.equal(fs.superblock.inodes, sbt.inodes);
      assert.equal(fs.superblock.fragments, sbt.fragments);
      assert.equal(fs.superblock.no_ids, sbt.ids);
      assert.equal(fs.superblock.bytes_used, sbt.bytesUsed);
      assert.equal((await fs.statfs()).files, sbt.inodes);

      // Odd page sizes exercise readdir cookies across directory headers.
      const ours = await walk(fs, { xattrs: true, pageSize: name === 'gzip' ? 7 : undefined, chunk: name === 'gzip-4k' ? 3000 : 1 << 20 });
      compareWithPseudo(name, ours, await pseudoTruth(image));

      const x = await extractTruth(image);
      for (const [path, hash] of x.hashes) assert.equal(ours.get(path)?.sha256, hash, `${name}: ${path}: content`);
      for (const [path, e] of ours) if (e.sha256) assert.ok(x.hashes.has(path), `${name}: ${path} extracted too`);
      for (const [path, e] of ours) {
        const want = x.xattrs.get(path) ?? {};
        assert.deepEqual(e.xattrs ?? {}, want, `${name}: ${path || '/'}: xattrs`);
      }
      if (name.includes('no-xattrs')) assert.equal(x.xattrs.size, 0);
      else assert.ok(x.xattrs.size >= 5, `${name}: the tree has xattrs`);
    } finally {
      await close();
    }
  });

  if (KERNEL.has(name)) {
    test(`squashfs ${name}: stat matches the kernel's loop mount`, { skip: skip ?? needRoot('kernel comparison') }, async () => {
      const { fs, close } = await open(name);
      try {
        const ours = await walk(fs, { contents: false });
        const kernel = await kernelTruth(join(dir, `${name}.sqfs`));
        assert.deepEqual([...ours.keys()].sort(), [...kernel.keys()].sort());
        for (const [path, k] of kernel) {
          const o = ours.get(path)!.stat;
          const at = `${name}: ${path || '/'}`;
          assert.deepEqual(
            { ino: o.ino, nlink: o.nlink, blocks: o.blocks, rdev: o.rdev, size: o.size, mode: o.mode, uid: o.uid, gid: o.gid, mtime: o.mtime.sec },
            { ino: k.ino, nlink: k.nlink, blocks: k.blocks, rdev: k.rdev, size: k.size, mode: k.mode, uid: k.uid, gid: k.gid, mtime: k.mtime },
            at,
          );
          if (k.target !== undefined) assert.equal(ours.get(path)!.target, k.target, `${at}: target`);
        }
      } finally {
        await close();
      }
    });
  }
}

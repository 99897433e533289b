// Real images served through FUSE (as root and as a user), checked with find, stat, sha256sum, du, df,
// cp -a and rsync against the kernel's own mount of the same image or the format's own extraction tool.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture } from '../helpers/fixtures.js';
import { isRoot, needTools } from '../helpers/tools.js';
import { needFuse, runAs, serveAddress, testUser, type FuseServer } from '../helpers/fuse.js';
import { checksums, df, du, listing, listingNoDirSizes, sh } from './truth.js';

const skip = needFuse() ?? needTools('mke2fs', 'mksquashfs', 'qemu-img', 'mkfs.fat', 'mcopy', 'xorriso', 'debugfs');
const FULL = '%y %s %m %n %U %G %i %b %T@ %l';

let images: string;
let work: string;
const kernel: Record<string, string> = {};

function loopMount(image: string, name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  sh('mount', ['-o', 'loop,ro', image, dir]);
  return dir;
}

describe('fuse: real images through the mount', { skip }, () => {
  before(async () => {
    images = await fixture('fuse/images.sh');
    work = mkdtempSync(join(tmpdir(), 'anymount-fuse-truth-'));
    chmodSync(work, 0o755);
    if (isRoot) {
      kernel.ext4 = loopMount(join(images, 'ext4.img'), 'ext4');
      kernel.squashfs = loopMount(join(images, 'squashfs.img'), 'squashfs');
    }
  });
  after(() => {
    for (const d of Object.values(kernel)) spawnSync('umount', ['-l', d]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function withMount(image: string, fn: (m: FuseServer) => Promise<void> | void, args: string[] = []): Promise<void> {
    const m = await serveAddress(join(images, image), args);
    try {
      await fn(m);
    } finally {
      assert.equal(await m.stop(), 0, `server exit: ${m.stderr()}`);
    }
  }

  for (const [image, truth] of [['ext4.img', 'ext4'], ['ext4.qcow2', 'ext4'], ['squashfs.img', 'squashfs']] as const) {
    test(`${image}: find, stat, sha256sum, du and df match the kernel's ${truth} mount`, { skip: isRoot ? false : 'needs root (kernel loop mount as truth)' }, async () => {
      await withMount(image, (m) => {
        assert.deepEqual(listing(m.mountpoint, FULL), listing(kernel[truth]!, FULL));
        assert.deepEqual(checksums(m.mountpoint), checksums(kernel[truth]!));
        assert.deepEqual(du(m.mountpoint), du(kernel[truth]!));
        if (truth === 'ext4') assert.equal(df(m.mountpoint), df(kernel[truth]!));
        // st_blksize is the driver's choice (squashfs says its block size, the kernel 1024); ext4 agrees.
        const statFmt = ['-c', `%n %s %b %B ${truth === 'ext4' ? '%o ' : ''}%h %i %f %u %g %X %Y %Z`];
        const names = ['docs/hello.txt', 'sparse.img', 'docs/hello-link', 'many', 'docs/deep'];
        assert.equal(sh('stat', [...statFmt, ...names], m.mountpoint), sh('stat', [...statFmt, ...names], kernel[truth]!));
        assert.equal(sh('ls', ['-la', '--time-style=full-iso', 'many'], m.mountpoint), sh('ls', ['-la', '--time-style=full-iso', 'many'], kernel[truth]!));
      });
    });
  }

  test('ext4.img: cp -a out of the mount gives what rsync finds identical to the kernel mount', { skip: isRoot ? false : 'needs root' }, async () => {
    await withMount('ext4.img', (m) => {
      const copy = join(work, 'copy');
      sh('cp', ['-a', `${m.mountpoint}/.`, copy]);
      const diff = sh('rsync', ['-n', '-a', '-H', '-i', '--checksum', '--delete', `${kernel.ext4}/`, `${copy}/`]);
      assert.equal(diff.split('\n').filter((l) => l && !l.startsWith('.d..t')).join('\n'), '');
      rmSync(copy, { recursive: true, force: true });
    });
  });

  test('fat.img: names, sizes and contents match mcopy -s', async () => {
    const out = mkdtempSync(join(work, 'mcopy-'));
    sh('mcopy', ['-s', '-n', '-m', '-i', join(images, 'fat.img'), '::/*', out]);
    await withMount('fat.img', (m) => {
      assert.deepEqual(listingNoDirSizes(m.mountpoint, '%y %s'), listingNoDirSizes(out, '%y %s'));
      assert.deepEqual(checksums(m.mountpoint), checksums(out));
      // No owners on FAT: the mounting user owns everything, like the kernel's vfat.
      assert.equal(sh('stat', ['-c', '%u %g', 'numbers.txt'], m.mountpoint).trim(), `${process.getuid!()} ${process.getgid!()}`);
    });
  });

  test('iso.img: names, types, modes, sizes, links and contents match xorriso -osirrox', async () => {
    const out = mkdtempSync(join(work, 'osirrox-'));
    sh('xorriso', ['-osirrox', 'on', '-indev', join(images, 'iso.img'), '-extract', '/', out]);
    await withMount('iso.img', (m) => {
      assert.deepEqual(listingNoDirSizes(m.mountpoint, '%y %s %m %l'), listingNoDirSizes(out, '%y %s %m %l'));
      assert.deepEqual(checksums(m.mountpoint), checksums(out));
    });
  });

  test('--uid, --gid and --umask change what stat shows, not the image', async () => {
    await withMount('ext4.img', (m) => {
      assert.equal(sh('stat', ['-c', '%u %g %a', 'docs/hello.txt', 'docs/deep'], m.mountpoint), '1234 5678 600\n1234 5678 700\n');
    }, ['--uid', '1234', '--gid', '5678', '--umask', '077']);
  });

  test('a corrupt file answers EIO; the rest of the mount keeps working', async () => {
    await withMount('corrupt.img', (m) => {
      const bad = spawnSync('cat', [join(m.mountpoint, 'bad.txt')], { encoding: 'utf8' });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /Input\/output error/);
      assert.equal(readFileSync(join(m.mountpoint, 'good.txt'), 'utf8'), 'fine\n');
      assert.equal(readFileSync(join(m.mountpoint, 'dir/other.txt'), 'utf8'), 'also fine\n');
      assert.deepEqual(sh('ls', [m.mountpoint]).split('\n').filter(Boolean).sort(), ['bad.txt', 'dir', 'good.txt', 'lost+found']);
    });
  });

  const user = testUser();
  test('as an unprivileged user (fusermount3): the user reads the same tree; mounts show in /proc/mounts', { skip: user ? false : 'needs root to create a test user' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anymount-fuse-user-'));
    chmodSync(dir, 0o755);
    const image = join(dir, 'ext4.img');
    sh('cp', [join(images, 'ext4.img'), image]);
    sh('chown', ['-R', `${user!.uid}:${user!.gid}`, dir]);
    const m = await serveAddress(image, [], user!);
    try {
      const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.includes(m.mountpoint))!;
      assert.match(mounts, new RegExp(`^${image} \\S+ fuse\\.anymount ro,nosuid,nodev.*user_id=${user!.uid},group_id=${user!.gid}`));
      // cd inside: root itself may not enter a user's mount.
      const list = "find . -type f ! -path ./docs/hello.txt ! -path ./docs/hello-hard.txt ! -path './docs/deep/*' -print0 | xargs -0 sha256sum | sort -k2";
      const theirs = runAs(user, 'sh', ['-c', `cd "$1" && ${list}`, 'sh', m.mountpoint]);
      assert.equal(theirs.status, 0, theirs.stderr);
      assert.equal(theirs.stdout, sh('sh', ['-c', list], join(images, 'src')));
      // default_permissions: the kernel checks modes with the attributes we report (hello.txt is 0600 root, docs/deep 0750).
      const denied = runAs(user, 'cat', [join(m.mountpoint, 'docs/hello.txt')]);
      assert.match(denied.stderr, /Permission denied/);
      // Without allow_other the kernel keeps everyone else out, root included.
      assert.notEqual(spawnSync('ls', [m.mountpoint]).status, 0);
    } finally {
      assert.equal(await m.stop(), 0, m.stderr());
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

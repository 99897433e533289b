// Writes through the mount: a FAT image (checked afterwards with fsck.fat -n and read back with mcopy), and an overlay
// over an ext4 image (compared with the kernel's overlayfs over the kernel's ext4 with the same commands; the image
// itself stays untouched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture } from '../helpers/fixtures.js';
import { isRoot, needTools } from '../helpers/tools.js';
import { needFuse, runAs, serveAddress, serveSpec, testUser, type Creds, type FuseServer } from '../helpers/fuse.js';
import { encode } from '../conformance/setup/host-target.js';
import { hasOverlay } from '../conformance/setup/linux.js';
import { checksums, listingNoDirSizes, sh } from './truth.js';

const skip = needFuse() ?? needTools('mkfs.fat', 'mcopy', 'fsck.fat', 'mke2fs');

const FAT_SCRIPT = `
set -e
mkdir -p new/sub
cp numbers.txt new/sub/copy.txt
printf 'written through fuse\\n' > new/hi.txt
mv many/entry-001 new/moved-001
rm many/entry-002
rm -r empty-dir
head -c 500000 random.bin > new/random-part.bin
truncate -s 1000 numbers.txt
printf 'appended' >> docs/empty
for i in $(seq 1 40); do printf "file $i" > new/sub/f$i; done
mv new/sub new/renamed-sub
`;

async function fatWrites(as?: Creds): Promise<void> {
  const images = await fixture('fuse/images.sh');
  const work = mkdtempSync(join(tmpdir(), 'anymount-fuse-fat-'));
  chmodSync(work, 0o755);
  try {
    const image = join(work, 'fat.img');
    copyFileSync(join(images, 'fat.img'), image);
    if (as) chownSync(image, as.uid, as.gid);
    // Truth: the same commands on the tree mcopy extracts, in a plain directory.
    const truth = join(work, 'truth');
    mkdirSync(truth);
    sh('mcopy', ['-s', '-n', '-m', '-i', image, '::/*', truth]);
    sh('sh', ['-c', FAT_SCRIPT], truth);

    const m = await serveAddress(image, ['--rw'], as);
    try {
      const r = runAs(as, 'sh', ['-c', `cd "$1" && ${FAT_SCRIPT}`, 'sh', m.mountpoint]);
      assert.equal(r.status, 0, r.stderr);
      // FAT has no owners: the mounting user owns everything (root may not even look in).
      if (as) assert.equal(runAs(as, 'stat', ['-c', '%u', join(m.mountpoint, 'new/hi.txt')]).stdout.trim(), String(as.uid));
      // Root cannot look into a user's mount; the image read back below is the check that counts.
      if (!as) assert.deepEqual(listingNoDirSizes(m.mountpoint, '%y %s'), listingNoDirSizes(truth, '%y %s'));
    } finally {
      assert.equal(await m.stop(), 0, m.stderr());
    }
    const fsck = spawnSync('fsck.fat', ['-n', image], { encoding: 'utf8' });
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
    const back = join(work, 'back');
    mkdirSync(back);
    sh('mcopy', ['-s', '-n', '-m', '-i', image, '::/*', back]);
    assert.deepEqual(listingNoDirSizes(back, '%y %s'), listingNoDirSizes(truth, '%y %s'));
    assert.deepEqual(checksums(back), checksums(truth));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test('FAT: tools write through the mount; fsck.fat -n finds the image clean and mcopy reads back what tmpfs holds after the same commands', { skip }, () => fatWrites());

test('FAT mounted by an unprivileged user (fusermount3): the same writes, the same checks', { skip: skip ?? (testUser() ? false : 'needs root to create a test user') }, () => fatWrites(testUser()));

const OVERLAY_SCRIPT = `
set -e
printf 'changed\\n' > docs/hello.txt
chmod 0644 docs/hello-hard.txt
rm docs/empty
mv many new-many
rm new-many/entry-0*5
mkdir -p added/sub
ln -s ../numbers.txt added/link
ln numbers.txt added/hard
truncate -s 100 random.bin
printf 'more' >> sparse.img
mv docs/deep docs/deeper || true
touch -d '2010-01-01 00:00:00' numbers.txt
`;

test('overlay over ext4: the same commands as on the kernel overlayfs over the kernel ext4 give the same tree; the image is unchanged',
  { skip: skip ?? (isRoot ? hasOverlay() : 'needs root (kernel overlayfs as truth)') }, async () => {
    const images = await fixture('fuse/images.sh');
    const work = mkdtempSync(join(tmpdir(), 'anymount-fuse-ovl-'));
    const image = join(images, 'ext4.img');
    const before = createHash('sha256').update(readFileSync(image)).digest('hex');
    const lower = join(work, 'lower');
    const kernelMerged = join(work, 'merged');
    for (const d of [lower, kernelMerged, join(work, 't')]) mkdirSync(d);
    sh('mount', ['-o', 'loop,ro', image, lower]);
    sh('mount', ['-t', 'tmpfs', 'none', join(work, 't')]);
    mkdirSync(join(work, 't/upper'));
    mkdirSync(join(work, 't/work'));
    sh('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${work}/t/upper,workdir=${work}/t/work,index=on,redirect_dir=off,metacopy=off`, kernelMerged]);
    const specFile = join(work, 'spec.json');
    writeFileSync(specFile, encode({ kind: 'overlay-image', address: image }));
    let m: FuseServer | undefined;
    try {
      m = await serveSpec(specFile);
      sh('sh', ['-c', OVERLAY_SCRIPT], kernelMerged);
      sh('sh', ['-c', OVERLAY_SCRIPT], m.mountpoint);
      const fields = '%y %s %m %n %U %G %l %TY-%Tm-%Td';
      assert.deepEqual(listingNoDirSizes(m.mountpoint, fields), listingNoDirSizes(kernelMerged, fields));
      assert.deepEqual(checksums(m.mountpoint), checksums(kernelMerged));
    } finally {
      if (m) assert.equal(await m.stop(), 0, m.stderr());
      for (const d of [kernelMerged, join(work, 't'), lower]) spawnSync('umount', ['-l', d]);
      rmSync(work, { recursive: true, force: true });
    }
    assert.equal(createHash('sha256').update(readFileSync(image)).digest('hex'), before);
  });

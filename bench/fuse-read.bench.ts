/**
 * Sequential read of a 1 GiB file through FUSE mounts, side by side in one
 * run: ours (page cache with 1 MiB read-ahead, and direct I/O) against the
 * kernel's own driver on a loop device, fuse2fs (ext4) and squashfuse
 * (squashfs). Each round mounts afresh, so nobody reads from the mounted
 * file's page cache; the image file itself is warm in the host page cache
 * for everyone. Needs root (loop mounts; our mounts via mount -i).
 * Images live in .cache/bench/fuse: 1 GiB of random data in ext4 and in an
 * uncompressed squashfs (so the codec does not dominate), and 1 GiB of
 * base64 text in a zstd squashfs (the usual case, where decompression does).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAs, serveAddress, testUser, type Creds } from '../test/helpers/fuse.js';
import { benchDir, median, mibps, report } from './harness.js';

const GiB = 1 << 30;
const ROUNDS = 3;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  console.log('fuse-read: skipped (needs root)');
  process.exit(0);
}

const dir = await benchDir('fuse');
const ext4 = join(dir, 'read-ext4.img');
const squash = join(dir, 'read.squashfs');
// The same size of data, compressible (base64 text, ~25% smaller with zstd), compressed the way images usually are.
const squashZstd = join(dir, 'read-zstd.squashfs');
const mnt = mkdtempSync(join(tmpdir(), 'anymount-fuse-bench-'));
if (!existsSync(ext4)) {
  sh('truncate', ['-s', '1100M', `${ext4}.tmp`]);
  sh('mkfs.ext4', ['-q', '-F', '-b', '4096', `${ext4}.tmp`]);
  sh('mount', ['-o', 'loop', `${ext4}.tmp`, mnt]);
  try {
    sh('dd', ['if=/dev/urandom', `of=${mnt}/f`, 'bs=1M', 'count=1024', 'status=none']);
  } finally {
    sh('umount', [mnt]);
  }
  renameSync(`${ext4}.tmp`, ext4);
}
if (!existsSync(squash)) {
  sh('mount', ['-o', 'loop,ro', ext4, mnt]);
  try {
    sh('mksquashfs', [mnt, `${squash}.tmp`, '-noI', '-noD', '-noF', '-noX', '-quiet', '-no-progress']);
  } finally {
    sh('umount', [mnt]);
  }
  renameSync(`${squash}.tmp`, squash);
}

if (!existsSync(squashZstd)) {
  const src = mkdtempSync(join('/dev/shm', 'anymount-squash-src-'));
  try {
    sh('sh', ['-c', `head -c 805306368 /dev/urandom | base64 -w 76 | head -c 1073741824 > '${src}/f'`]);
    sh('mksquashfs', [src, `${squashZstd}.tmp`, '-comp', 'zstd', '-noappend', '-quiet', '-no-progress']);
  } finally {
    sh('rm', ['-rf', src]);
  }
  renameSync(`${squashZstd}.tmp`, squashZstd);
}

const time = (fn: () => void): number => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};
const catFile = (root: string): number => time(() => sh('sh', ['-c', `cat '${root}/f' > /dev/null`]));

async function ours(image: string, args: string[] = [], as?: Creds): Promise<number> {
  const m = await serveAddress(image, args, as);
  try {
    if (!as) return catFile(m.mountpoint);
    // Root may not enter a user's mount: the user reads.
    const t0 = process.hrtime.bigint();
    const r = runAs(as, 'sh', ['-c', 'cat "$1/f" > /dev/null', 'sh', m.mountpoint]);
    if (r.status !== 0) throw new Error(r.stderr);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    await m.stop();
  }
}
function kernel(image: string, type: string): number {
  sh('mount', ['-t', type, '-o', 'loop,ro', image, mnt]);
  try {
    return catFile(mnt);
  } finally {
    sh('umount', [mnt]);
  }
}
function fuseTool(cmd: string, args: string[]): number {
  sh(cmd, args);
  try {
    return catFile(mnt);
  } finally {
    sh('umount', [mnt]);
  }
}

for (const img of [ext4, squash, squashZstd]) sh('sh', ['-c', `cat '${img}' > /dev/null`]);
const user = testUser();
const t: Record<string, number[]> = {};
const add = (k: string, v: number): void => void (t[k] ??= []).push(v);
for (let r = 0; r < ROUNDS; r++) {
  // Rounds alternate contenders so load from elsewhere hits all alike.
  add('ours ext4', await ours(ext4));
  add('ours ext4 direct-io', await ours(ext4, ['--direct-io']));
  add('kernel ext4', kernel(ext4, 'ext4'));
  // As a user (fusermount3): no way to raise the mount's read-ahead, so 128 KiB requests.
  if (user) add('ours ext4 as user', await ours(ext4, [], user));
  if (have('fuse2fs')) add('fuse2fs', fuseTool('fuse2fs', ['-o', 'ro,fakeroot', ext4, mnt]));
  add('ours squashfs', await ours(squash));
  add('kernel squashfs', kernel(squash, 'squashfs'));
  if (have('squashfuse')) add('squashfuse', fuseTool('squashfuse', [squash, mnt]));
  add('ours squashfs zstd', await ours(squashZstd));
  add('kernel squashfs zstd', kernel(squashZstd, 'squashfs'));
  if (have('squashfuse')) add('squashfuse zstd', fuseTool('squashfuse', [squashZstd, mnt]));
}
rmdirSync(mnt);
const m = (k: string): number => median(t[k] ?? [NaN]);
console.log(`fuse read, 1 GiB file, fresh mount each round, medians of ${ROUNDS}: ${Object.keys(t).map((k) => `${k} ${mibps(GiB, m(k))}`).join(', ')}`);
report('fuse ext4 read 1 GiB vs kernel ext4', mibps(GiB, m('ours ext4')), mibps(GiB, m('kernel ext4')), m('kernel ext4') / m('ours ext4'), 0.5);
report('fuse ext4 read 1 GiB vs fuse2fs', mibps(GiB, m('ours ext4')), mibps(GiB, m('fuse2fs')), m('fuse2fs') / m('ours ext4'), 2);
if (user) report('fuse ext4 read 1 GiB as a user vs kernel ext4', mibps(GiB, m('ours ext4 as user')), mibps(GiB, m('kernel ext4')), m('kernel ext4') / m('ours ext4 as user'), 0.5);
report('fuse ext4 read 1 GiB (direct I/O) vs kernel ext4', mibps(GiB, m('ours ext4 direct-io')), mibps(GiB, m('kernel ext4')), m('kernel ext4') / m('ours ext4 direct-io'), 0.5);
report('fuse squashfs read 1 GiB vs kernel squashfs', mibps(GiB, m('ours squashfs')), mibps(GiB, m('kernel squashfs')), m('kernel squashfs') / m('ours squashfs'), 0.5);
report('fuse squashfs read 1 GiB vs squashfuse', mibps(GiB, m('ours squashfs')), mibps(GiB, m('squashfuse')), m('squashfuse') / m('ours squashfs'), 2);
report('fuse squashfs (zstd) read 1 GiB vs kernel squashfs', mibps(GiB, m('ours squashfs zstd')), mibps(GiB, m('kernel squashfs zstd')), m('kernel squashfs zstd') / m('ours squashfs zstd'), 0.5);
report('fuse squashfs (zstd) read 1 GiB vs squashfuse', mibps(GiB, m('ours squashfs zstd')), mibps(GiB, m('squashfuse zstd')), m('squashfuse zstd') / m('ours squashfs zstd'), 2);

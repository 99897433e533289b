/**
 * ext4 sequential read of a 1 GiB file: our driver (1 MiB reads, like a
 * copy; and 128 KiB reads, like FUSE) against the kernel (`cat` of the same
 * file through a read-only loop mount) and e2fsprogs (`debugfs -R 'dump'`).
 *
 * Like for like, warm: the image file is in the host page cache for
 * everyone (a first read of everything warms it), and nobody has cached the
 * filesystem's own view — our driver is opened afresh each round, the
 * kernel mounts the image afresh each round (so `cat` cannot hit the
 * mounted file's page cache). Needs root for the loop mount; the image
 * (kernel-written, 1 GiB of random data in a 1.1 GiB volume) lives in
 * .cache/bench/ext4.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDevice } from '../src/node/file-device.js';
import { Ext4FileSystem } from '../src/fs/ext4/index.js';
import { benchDir, mibps, peakRssMiB, report, timeIt } from './harness.js';

const MiB = 1 << 20;
const GiB = 1 << 30;
const ROUNDS = 5;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  console.log('ext4-read: skipped (needs root for the loop mount)');
  process.exit(0);
}

const dir = await benchDir('ext4');
const img = join(dir, 'read.img');
const mnt = mkdtempSync(join(tmpdir(), 'anymount-ext4-bench-'));
if (!(await stat(img).catch(() => undefined))) {
  sh('truncate', ['-s', '1100M', `${img}.tmp`]);
  sh('mkfs.ext4', ['-q', '-F', '-b', '4096', `${img}.tmp`]);
  sh('mount', ['-o', 'loop', `${img}.tmp`, mnt]);
  try {
    sh('dd', ['if=/dev/urandom', `of=${mnt}/f`, 'bs=1M', 'count=1024', 'status=none']);
  } finally {
    sh('umount', [mnt]);
  }
  sh('mv', [`${img}.tmp`, img]);
}

async function ours(chunk: number): Promise<number> {
  const dev = await FileDevice.open(img);
  try {
    const fs = await Ext4FileSystem.open(dev);
    const ino = (await fs.lookup(fs.rootIno, 'f')).ino;
    const buf = new Uint8Array(chunk);
    let total = 0;
    for (let pos = 0; ; pos += chunk) {
      const n = await fs.read(ino, 0, buf, pos);
      total += n;
      if (n < chunk) break;
    }
    if (total !== GiB) throw new Error(`read ${total} bytes`);
    return fs.volume.blocks.deviceReads;
  } finally {
    await dev.close();
  }
}

function kernelCat(): () => void {
  return () => {
    sh('mount', ['-o', 'ro,loop', img, mnt]);
    try {
      const t0 = process.hrtime.bigint();
      sh('sh', ['-c', `cat '${mnt}/f' > /dev/null`]);
      kernelTimes.push(Number(process.hrtime.bigint() - t0) / 1e9);
    } finally {
      sh('umount', [mnt]);
    }
  };
}
const kernelTimes: number[] = [];

// Warm the image file in the page cache for everyone.
sh('sh', ['-c', `cat '${img}' > /dev/null`]);
let reads = 0;
const t1m: number[] = [];
const t128k: number[] = [];
const tDebugfs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Rounds alternate contenders so load from elsewhere on the machine hits all alike.
  t1m.push(await timeIt(1, async () => (reads = await ours(MiB))));
  t128k.push(await timeIt(1, () => ours(128 << 10)));
  kernelCat()();
  tDebugfs.push(await timeIt(1, () => sh('debugfs', ['-R', 'dump /f /dev/null', img])));
}
rmdirSync(mnt);
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const kernel = med(kernelTimes);
console.log(`ext4 read, 1 GiB file, warm image, medians of ${ROUNDS}: ours 1 MiB reads ${med(t1m).toFixed(2)} s (${reads} device reads), 128 KiB reads ${med(t128k).toFixed(2)} s; kernel cat ${kernel.toFixed(2)} s; debugfs dump ${med(tDebugfs).toFixed(2)} s`);
report('ext4 read 1 GiB (1 MiB reads) vs kernel cat', mibps(GiB, med(t1m)), mibps(GiB, kernel), kernel / med(t1m), 0.5);
report('ext4 read 1 GiB (128 KiB reads) vs kernel cat', mibps(GiB, med(t128k)), mibps(GiB, kernel), kernel / med(t128k), 0.5);
report('ext4 read 1 GiB (1 MiB reads) vs debugfs dump', mibps(GiB, med(t1m)), mibps(GiB, med(tDebugfs)), med(tDebugfs) / med(t1m));
console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);

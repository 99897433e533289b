/**
 * FAT32 sequential I/O of a 256 MiB file (4 KiB clusters): our driver
 * against mtools — reading (`mtype` to /dev/null vs our 1 MiB reads, opened
 * afresh each round) and writing (`mcopy` into an empty volume vs our
 * create + 1 MiB writes + unmount). Warm: the images and the source file are
 * in the host page cache for everyone. Images live in .cache/bench/fat.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileDevice } from '../src/node/file-device.js';
import { FatFileSystem } from '../src/fs/fat/index.js';
import { benchDir, mibps, peakRssMiB, report, timeCommand, timeIt } from './harness.js';

const MiB = 1 << 20;
const SIZE = 256 * MiB;
const ROUNDS = 5;
const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, LC_ALL: 'C.UTF-8', TZ: 'UTC' };

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

const dir = await benchDir('fat');
const src = join(dir, 'big.bin');
const empty = join(dir, 'empty.img');
const full = join(dir, 'full.img');
if (!(await stat(full).catch(() => undefined))) {
  sh('dd', ['if=/dev/urandom', `of=${src}`, 'bs=1M', `count=${SIZE / MiB}`, 'status=none']);
  sh('rm', ['-f', empty]);
  sh('mkfs.fat', ['-C', '-F', '32', '-s', '8', empty, String(300 * 1024)]);
  sh('cp', ['--sparse=always', empty, `${full}.tmp`]);
  sh('mcopy', ['-i', `${full}.tmp`, src, '::/big.bin']);
  sh('mv', [`${full}.tmp`, full]);
}
await readFile(full).then(() => readFile(src)); // warm the page cache

const buf = new Uint8Array(MiB);
let deviceReads = 0;
const readSecs = await timeIt(ROUNDS, async () => {
  const dev = await FileDevice.open(full);
  const counting = Object.assign(Object.create(dev) as FileDevice, {
    read: (b: Uint8Array, off: number) => {
      deviceReads++;
      return dev.read(b, off);
    },
  });
  try {
    const fs = await FatFileSystem.open(counting);
    const ino = (await fs.lookup(fs.rootIno, 'big.bin')).ino;
    let total = 0;
    for (let pos = 0; ; pos += MiB) {
      const n = await fs.read(ino, 0, buf, pos);
      total += n;
      if (n < MiB) break;
    }
    if (total !== SIZE) throw new Error(`read ${total} bytes`);
  } finally {
    await dev.close();
  }
});
const mtypeSecs = await timeCommand(ROUNDS, 'bash', ['-c', `mtype -i "${full}" ::/big.bin > /dev/null`]);
report('fat-read 256 MiB', mibps(SIZE, readSecs), `mtype ${mibps(SIZE, mtypeSecs)}`, mtypeSecs / readSecs);
console.log(`  device reads per pass: ${deviceReads / ROUNDS}`);

const data = new Uint8Array(await readFile(src));
const target = join(dir, 'write.img');
const writeSecs: number[] = [];
const flushSecs: number[] = [];
const mcopySecs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  await copyFile(empty, target);
  const t0 = process.hrtime.bigint();
  const dev = await FileDevice.open(target, { write: true });
  const fs = await FatFileSystem.open(dev, { write: true });
  const { entry, fh } = await fs.create(fs.rootIno, 'big.bin', 0o644, 0, { uid: 0, gid: 0 });
  for (let pos = 0; pos < SIZE; pos += MiB) await fs.write(entry.ino, fh, data.subarray(pos, pos + MiB), pos);
  const t1 = process.hrtime.bigint();
  await fs.destroy(); // flushes: both FATs, FSInfo, fsync, clear the dirty marks, fsync
  await dev.close();
  writeSecs.push(Number(t1 - t0) / 1e9);
  flushSecs.push(Number(process.hrtime.bigint() - t1) / 1e9);
  await copyFile(empty, target);
  mcopySecs.push(await timeCommand(1, 'mcopy', ['-i', target, src, '::/big.bin']));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
// mcopy does not fsync; our unmount does, so it is timed apart.
report('fat-write 256 MiB', mibps(SIZE, med(writeSecs)), `mcopy ${mibps(SIZE, med(mcopySecs))}`, med(mcopySecs) / med(writeSecs));
console.log(`  our unmount (flush + 2 fsyncs): median ${med(flushSecs).toFixed(2)} s`);
console.log(`  peak RSS ${peakRssMiB().toFixed(0)} MiB (the 256 MiB source buffer included)`);
await rm(target, { force: true });

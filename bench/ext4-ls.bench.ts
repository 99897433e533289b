/**
 * ext4 `ls -l` of a 3,000-entry (htree) directory: our driver (opened
 * afresh, readdir of every entry, then lookup + stat of each, as `ls -l`
 * does) against e2fsprogs (`debugfs -R 'ls -l /many'`, which also opens the
 * volume each time) and the kernel (`ls -l` through a read-only loop
 * mount, mounted afresh each round so its dentry and inode caches are
 * cold). The image file is warm in the page cache for all three. Process
 * start-up is inside the tools' times and outside ours. Needs root.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDevice } from '../src/node/file-device.js';
import { Ext4FileSystem } from '../src/fs/ext4/index.js';
import { benchDir, report, timeIt } from './harness.js';

const ROUNDS = 7;
const ENTRIES = 3000;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  console.log('ext4-ls: skipped (needs root for the loop mount)');
  process.exit(0);
}

const dir = await benchDir('ext4');
const img = join(dir, 'ls.img');
const mnt = mkdtempSync(join(tmpdir(), 'anymount-ext4-bench-'));
if (!(await stat(img).catch(() => undefined))) {
  sh('truncate', ['-s', '64M', `${img}.tmp`]);
  sh('mkfs.ext4', ['-q', '-F', '-b', '4096', `${img}.tmp`]);
  sh('mount', ['-o', 'loop', `${img}.tmp`, mnt]);
  try {
    sh('python3', ['-c', `
import os
d = '${mnt}/many'
os.mkdir(d)
for i in range(${ENTRIES}):
    with open(f'{d}/entry-{i:05d}-' + 'x' * (i % 40), 'w') as f:
        f.write(str(i))
`]);
  } finally {
    sh('umount', [mnt]);
  }
  sh('mv', [`${img}.tmp`, img]);
}

async function ours(): Promise<number> {
  const dev = await FileDevice.open(img);
  try {
    const fs = await Ext4FileSystem.open(dev);
    const many = (await fs.lookup(fs.rootIno, 'many')).ino;
    let n = 0;
    for (let cookie = 0; ; ) {
      const batch = await fs.readdir(many, 0, cookie, 512);
      if (!batch.length) break;
      for (const e of batch) {
        if (e.name === '.' || e.name === '..') continue;
        await fs.lookup(many, e.name);
        n++;
      }
      cookie = batch[batch.length - 1]!.next;
    }
    if (n !== ENTRIES) throw new Error(`listed ${n}`);
    return n;
  } finally {
    await dev.close();
  }
}

sh('sh', ['-c', `cat '${img}' > /dev/null`]);
const tOurs: number[] = [];
const tDebugfs: number[] = [];
const tKernel: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  tOurs.push(await timeIt(1, ours));
  tDebugfs.push(await timeIt(1, () => sh('debugfs', ['-R', 'ls -l /many', img])));
  sh('mount', ['-o', 'ro,loop', img, mnt]);
  try {
    tKernel.push(await timeIt(1, () => sh('ls', ['-l', '--color=never', `${mnt}/many`])));
  } finally {
    sh('umount', [mnt]);
  }
}
rmdirSync(mnt);
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (s: number): string => `${(s * 1000).toFixed(1)} ms`;
console.log(`ext4 ls -l of ${ENTRIES} entries, medians of ${ROUNDS}: ours ${ms(med(tOurs))}, debugfs ${ms(med(tDebugfs))}, kernel ls -l ${ms(med(tKernel))}`);
report(`ext4 ls -l ${ENTRIES} entries vs debugfs ls -l`, ms(med(tOurs)), ms(med(tDebugfs)), med(tDebugfs) / med(tOurs));
report(`ext4 ls -l ${ENTRIES} entries vs kernel ls -l (cold mount)`, ms(med(tOurs)), ms(med(tKernel)), med(tKernel) / med(tOurs));

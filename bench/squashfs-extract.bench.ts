/**
 * Full extraction of a squashfs image (zstd and xz) of a realistic tree
 * (~250 MiB of /usr/share and /usr/lib, copied into .cache/bench/squashfs)
 * through our driver — readdir + lookup + getattr of every entry, readlink,
 * every regular file read in 1 MiB reads into a discarding sink — against
 * `unsquashfs -p 1` (single-threaded) and `unsquashfs` (all cores), both
 * extracting into a tmpfs directory (/dev/shm). Rounds alternate ours and
 * theirs (the machine is shared); medians; peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import '../src/node/codecs.js';
import { FileDevice } from '../src/node/file-device.js';
import { SquashfsFileSystem } from '../src/fs/squashfs/filesystem.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../src/fs/mode.js';
import { hasTool } from '../test/helpers/tools.js';
import { benchDir, median, mibps, peakRssMiB, report } from './harness.js';

const MiB = 1 << 20;
const ROUNDS = 3;
const TARGET_MIB = 250;

function sh(cmd: string): void {
  const r = spawnSync('bash', ['-eu', '-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

/** Copies whole subdirectories of /usr/share then /usr/lib, in name order, until about TARGET_MIB. */
async function makeSource(src: string): Promise<void> {
  sh(`rm -rf '${src}.tmp' && mkdir -p '${src}.tmp'`);
  let total = 0;
  for (const top of ['/usr/share', '/usr/lib']) {
    for (const name of (await readdir(top)).sort()) {
      if (total >= TARGET_MIB) break;
      const path = join(top, name);
      const r = spawnSync('du', ['-sm', path], { encoding: 'utf8' });
      const mib = Number(r.stdout.split('\t')[0]);
      if (!Number.isFinite(mib) || mib > 80) continue; // skip giants, keep variety
      sh(`mkdir -p '${src}.tmp${top}' && cp -a '${path}' '${src}.tmp${top}/'`);
      total += mib;
    }
  }
  sh(`mv '${src}.tmp' '${src}'`);
}

interface Totals {
  files: number;
  bytes: number;
}

async function extractOurs(image: string): Promise<Totals> {
  const dev = await FileDevice.open(image);
  const fs = await SquashfsFileSystem.open(dev);
  const buf = new Uint8Array(MiB);
  const totals: Totals = { files: 0, bytes: 0 };
  const visit = async (dir: number): Promise<void> => {
    let cookie = 0;
    for (;;) {
      const page = await fs.readdir(dir, 0, cookie, 4096);
      if (page.length === 0) break;
      for (const e of page) {
        cookie = e.next;
        if (e.name === '.' || e.name === '..') continue;
        const { ino, attr } = await fs.lookup(dir, e.name);
        totals.files++;
        const type = attr.mode & S_IFMT;
        if (type === S_IFDIR) await visit(ino);
        else if (type === S_IFLNK) await fs.readlink(ino);
        else if (type === S_IFREG) {
          for (let pos = 0; pos < attr.size; ) {
            const n = await fs.read(ino, 0, buf, pos);
            if (n === 0) break;
            pos += n;
            totals.bytes += n;
          }
        }
      }
    }
  };
  await visit(fs.rootIno);
  await dev.close();
  return totals;
}

function unsquashfs(image: string, dest: string, extra: string[]): number {
  sh(`rm -rf '${dest}'`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('unsquashfs', ['-q', '-n', '-no-xattrs', ...extra, '-d', dest, image], { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`unsquashfs failed: ${r.stderr}`);
  sh(`rm -rf '${dest}'`);
  return s;
}

async function main(): Promise<void> {
  if (!hasTool('mksquashfs') || !hasTool('unsquashfs')) {
    console.log('squashfs-extract: skipped (needs squashfs-tools)');
    return;
  }
  const dir = await benchDir('squashfs');
  const src = join(dir, 'src');
  if (!(await exists(src))) await makeSource(src);
  const dest = `/dev/shm/anymount-bench-squashfs-${process.pid}`;
  for (const comp of ['zstd', 'xz']) {
    const image = join(dir, `${comp}.sqfs`);
    if (!(await exists(image))) sh(`mksquashfs '${src}' '${image}.tmp' -comp ${comp} -noappend -quiet -no-progress && mv '${image}.tmp' '${image}'`);
    const ours: number[] = [];
    const single: number[] = [];
    const multi: number[] = [];
    let totals: Totals = { files: 0, bytes: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = process.hrtime.bigint();
      totals = await extractOurs(image);
      ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
      single.push(unsquashfs(image, dest, ['-p', '1']));
      multi.push(unsquashfs(image, dest, []));
    }
    const o = median(ours);
    const s1 = median(single);
    const sN = median(multi);
    console.log(`squashfs ${comp}: ${totals.files} entries, ${(totals.bytes / MiB).toFixed(0)} MiB of file data, image ${((await stat(image)).size / MiB).toFixed(0)} MiB`);
    report(`squashfs-extract ${comp} vs unsquashfs -p 1`, `${o.toFixed(2)} s (${mibps(totals.bytes, o)})`, `${s1.toFixed(2)} s (${mibps(totals.bytes, s1)})`, s1 / o, 1);
    report(`squashfs-extract ${comp} vs unsquashfs (all cores)`, `${o.toFixed(2)} s`, `${sN.toFixed(2)} s`, sN / o);
  }
  console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);
}

await main();

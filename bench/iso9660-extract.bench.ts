/**
 * Reading a whole ISO 9660 image through our driver against the tools:
 * a realistic tree (~250 MiB of /usr/share and /usr/lib, copied into
 * .cache/bench/iso9660) written by xorriso -R -J, then
 * - metadata: readdir + lookup of every entry and readlink, against
 *   `xorriso -find / -exec lsdl` (to /dev/null);
 * - extraction: the same plus every regular file read in 1 MiB reads into a
 *   discarding sink, against `xorriso -osirrox on -extract` and `7z x` into
 *   a tmpfs directory (/dev/shm).
 * Rounds alternate ours and theirs (the machine is shared); medians; peak RSS.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileDevice } from '../src/node/file-device.js';
import { Iso9660FileSystem } from '../src/fs/iso9660/filesystem.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../src/fs/mode.js';
import { hasTool } from '../test/helpers/tools.js';
import { benchDir, copySystemTree, exists, median, mibps, peakRssMiB, report, sh } from './harness.js';

const MiB = 1 << 20;
const ROUNDS = 3;
const TARGET_MIB = 250;

function timeSh(cmd: string): number {
  const t0 = process.hrtime.bigint();
  sh(cmd);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

interface Totals {
  entries: number;
  bytes: number;
}

async function walkOurs(image: string, readData: boolean): Promise<Totals> {
  const dev = await FileDevice.open(image);
  const fs = await Iso9660FileSystem.open(dev);
  const buf = new Uint8Array(MiB);
  const totals: Totals = { entries: 0, bytes: 0 };
  const visit = async (dir: number): Promise<void> => {
    for (let cookie = 0; ; ) {
      const page = await fs.readdir(dir, 0, cookie, 4096);
      if (page.length === 0) break;
      for (const e of page) {
        cookie = e.next;
        if (e.name === '.' || e.name === '..') continue;
        const { ino, attr } = await fs.lookup(dir, e.name);
        totals.entries++;
        const type = attr.mode & S_IFMT;
        if (type === S_IFDIR) await visit(ino);
        else if (type === S_IFLNK) await fs.readlink(ino);
        else if (type === S_IFREG && readData) {
          for (let pos = 0; pos < attr.size; ) {
            const n = await fs.read(ino, 0, buf, pos);
            if (n === 0) break;
            pos += n;
            totals.bytes += n;
          }
        }
        fs.forget(ino, 1);
      }
    }
  };
  await visit(fs.rootIno);
  await dev.close();
  return totals;
}

async function main(): Promise<void> {
  if (!hasTool('xorriso')) {
    console.log('iso9660-extract: skipped (needs xorriso)');
    return;
  }
  const dir = await benchDir('iso9660');
  const src = join(dir, 'src');
  if (!(await exists(src))) await copySystemTree(src, TARGET_MIB);
  const image = join(dir, 'tree.iso');
  if (!(await exists(image))) sh(`xorriso -as mkisofs -R -J -joliet-long -quiet -o '${image}.tmp' '${src}' && mv '${image}.tmp' '${image}'`);
  const dest = `/dev/shm/anymount-bench-iso9660-${process.pid}`;
  const meta = { ours: [] as number[], xorriso: [] as number[] };
  const data = { ours: [] as number[], xorriso: [] as number[], sevenZip: [] as number[] };
  let totals: Totals = { entries: 0, bytes: 0 };
  const has7z = hasTool('7z');
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = process.hrtime.bigint();
    await walkOurs(image, false);
    meta.ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
    meta.xorriso.push(timeSh(`xorriso -indev '${image}' -find / -exec lsdl >/dev/null 2>&1`));
    t0 = process.hrtime.bigint();
    totals = await walkOurs(image, true);
    data.ours.push(Number(process.hrtime.bigint() - t0) / 1e9);
    sh(`rm -rf '${dest}'`);
    data.xorriso.push(timeSh(`xorriso -osirrox on -indev '${image}' -extract / '${dest}' >/dev/null 2>&1`));
    sh(`rm -rf '${dest}'`);
    if (has7z) data.sevenZip.push(timeSh(`7z x -y -o'${dest}' '${image}' >/dev/null`));
    sh(`rm -rf '${dest}'`);
  }
  console.log(`iso9660: ${totals.entries} entries, ${(totals.bytes / MiB).toFixed(0)} MiB of file data, image ${((await stat(image)).size / MiB).toFixed(0)} MiB`);
  const mo = median(meta.ours);
  const mx = median(meta.xorriso);
  report('iso9660 metadata walk vs xorriso -find -exec lsdl', `${mo.toFixed(2)} s`, `${mx.toFixed(2)} s`, mx / mo);
  const o = median(data.ours);
  const x = median(data.xorriso);
  report('iso9660 read everything vs xorriso -extract', `${o.toFixed(2)} s (${mibps(totals.bytes, o)})`, `${x.toFixed(2)} s (${mibps(totals.bytes, x)})`, x / o);
  if (has7z) {
    const z = median(data.sevenZip);
    report('iso9660 read everything vs 7z x', `${o.toFixed(2)} s`, `${z.toFixed(2)} s (${mibps(totals.bytes, z)})`, z / o);
  }
  console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);
}

await main();

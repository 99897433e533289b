/**
 * Full extraction of a squashfs image (zstd and xz) of a realistic tree
 * (~250 MiB of /usr/share and /usr/lib, copied into .cache/bench/squashfs)
 * through extractTree — what `anymount extract` runs (files copied by
 * worker threads that open the image too): every directory,
 * file, symlink, owner, mode and time written into a tmpfs directory
 * (/dev/shm) — against `unsquashfs -p 1` (single-threaded) and `unsquashfs`
 * (all cores) writing the same tree into /dev/shm, without xattrs on either
 * side. Each of our rounds starts a fresh decompression pool, so worker
 * start-up is paid as a CLI run pays it. The two trees are compared once,
 * untimed (`diff -r`, and type, mode, owner, mtime, size and link target of
 * every path). Rounds alternate ours and theirs (the machine is
 * shared); medians; peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { configureCodecPool } from '../src/node/codecs.js';
import { extractTree, type ExtractStats } from '../src/node/extract.js';
import { openSource } from '../src/node/open-source.js';
import { hasTool } from '../test/helpers/tools.js';
import { benchDir, copySystemTree, exists, median, mibps, peakRssMiB, report, sh } from './harness.js';

const MiB = 1 << 20;
const ROUNDS = 5;
const TARGET_MIB = 250;

async function extractOurs(image: string, dest: string): Promise<{ seconds: number; stats: ExtractStats }> {
  sh(`rm -rf '${dest}'`);
  const pool = configureCodecPool({});
  const t0 = process.hrtime.bigint();
  // As `anymount extract` does it: openSource, and the same source for the extraction workers.
  const opened = await openSource(image);
  const stats = await extractTree(opened.fs, opened.fs.rootIno, '/', dest, { source: { address: image } });
  await opened.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await pool.close();
  if (stats.skipped.length) throw new Error(`extract skipped ${stats.skipped.length} entries: ${JSON.stringify(stats.skipped.slice(0, 3))}`);
  return { seconds, stats };
}

function unsquashfs(image: string, dest: string, extra: string[]): number {
  sh(`rm -rf '${dest}'`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('unsquashfs', ['-q', '-n', '-no-xattrs', ...extra, '-d', dest, image], { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`unsquashfs failed: ${r.stderr}`);
  return s;
}

async function main(): Promise<void> {
  if (!hasTool('mksquashfs') || !hasTool('unsquashfs')) {
    console.log('squashfs-extract: skipped (needs squashfs-tools)');
    return;
  }
  const dir = await benchDir('squashfs');
  const src = join(dir, 'src');
  if (!(await exists(src))) await copySystemTree(src, TARGET_MIB);
  const dest = `/dev/shm/anymount-bench-squashfs-${process.pid}`;
  const theirDest = `${dest}-unsquashfs`;
  try {
    for (const comp of ['zstd', 'xz']) {
      const image = join(dir, `${comp}.sqfs`);
      if (!(await exists(image))) sh(`mksquashfs '${src}' '${image}.tmp' -comp ${comp} -noappend -quiet -no-progress && mv '${image}.tmp' '${image}'`);
      const ours: number[] = [];
      const single: number[] = [];
      const multi: number[] = [];
      let stats: ExtractStats | undefined;
      for (let round = 0; round < ROUNDS; round++) {
        const r = await extractOurs(image, dest);
        ours.push(r.seconds);
        stats = r.stats;
        single.push(unsquashfs(image, theirDest, ['-p', '1']));
        if (round === 0) {
          // Same contents, and the same type, mode, owner, mtime, size and link target for every path.
          sh(`diff -r --no-dereference '${dest}' '${theirDest}'`);
          const listing = (d: string) => `(cd '${d}' && find . -printf '%p %y %m %U %G %T@ %s %l\\n' | sort)`;
          sh(`diff <${listing(dest)} <${listing(theirDest)}`);
        }
        multi.push(unsquashfs(image, theirDest, []));
      }
      const o = median(ours);
      const s1 = median(single);
      const sN = median(multi);
      const st = stats!;
      console.log(
        `squashfs ${comp}: ${st.files} files, ${st.directories} directories, ${st.symlinks} symlinks, ${st.hardlinks} hardlinks, ${(st.bytes / MiB).toFixed(0)} MiB of file data, image ${((await stat(image)).size / MiB).toFixed(0)} MiB; trees identical (diff -r, and find -printf of type, mode, owner, mtime, size, target)`,
      );
      console.log(`  rounds (s): ours ${ours.map((t) => t.toFixed(2)).join(' ')}, unsquashfs -p 1 ${single.map((t) => t.toFixed(2)).join(' ')}`);
      report(`squashfs-extract ${comp} vs unsquashfs -p 1`, `${o.toFixed(2)} s (${mibps(st.bytes, o)})`, `${s1.toFixed(2)} s (${mibps(st.bytes, s1)})`, s1 / o, 1);
      report(`squashfs-extract ${comp} vs unsquashfs (all cores)`, `${o.toFixed(2)} s`, `${sN.toFixed(2)} s`, sN / o);
    }
  } finally {
    sh(`rm -rf '${dest}' '${theirDest}'`);
  }
  console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);
}

await main();

/**
 * Sequential read of a 512 MiB virtual disk through our container readers
 * (vmdk monolithicSparse, vmdk streamOptimized, vhdx) in 4 MiB reads,
 * against `qemu-img convert -n -f FMT IMG --target-image-opts driver=null-co`
 * (QEMU's null sink; it refuses to write a raw image to /dev/null).
 * Source data: 256 MiB random, 192 MiB repetitive text, 64 MiB hole.
 * Images are made once under .cache/bench/containers-read/.
 */
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import '../src/node/codecs.js';
import { FileDevice } from '../src/node/file-device.js';
import type { ContainerFormat } from '../src/block/container.js';
import { vmdkFormat } from '../src/block/vmdk/index.js';
import { vhdxFormat } from '../src/block/vhdx/index.js';
import { hasTool } from '../test/helpers/tools.js';
import { benchDir, median, mibps, peakRssMiB, report, timeCommand, timeIt } from './harness.js';

const MiB = 1 << 20;
const SIZE = 512 * MiB;
const ROUNDS = 5;
const CHUNK = 4 * MiB;

function sh(cmd: string): void {
  const r = spawnSync('bash', ['-eu', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

async function main(): Promise<void> {
  if (!hasTool('qemu-img')) {
    console.log('containers-read: skipped (needs qemu-img)');
    return;
  }
  const dir = await benchDir('containers-read');
  const src = join(dir, 'src.raw');
  if ((await stat(src).catch(() => undefined))?.size !== SIZE) {
    sh(`rm -f "${src}"; head -c ${256 * MiB} /dev/urandom > "${src}"; yes 'anymount bench: a line of text that repeats, like logs and source code do' | head -c ${192 * MiB} >> "${src}"; truncate -s ${SIZE} "${src}"`);
  }
  const images: Array<{ name: string; file: string; fmt: string; format: ContainerFormat; make: string }> = [
    { name: 'vmdk monolithicSparse', file: 'sparse.vmdk', fmt: 'vmdk', format: vmdkFormat, make: '-O vmdk -o subformat=monolithicSparse' },
    { name: 'vmdk streamOptimized', file: 'stream.vmdk', fmt: 'vmdk', format: vmdkFormat, make: '-O vmdk -o subformat=streamOptimized' },
    { name: 'vhdx dynamic', file: 'dynamic.vhdx', fmt: 'vhdx', format: vhdxFormat, make: '-O vhdx' },
  ];
  const buf = new Uint8Array(CHUNK);
  for (const img of images) {
    const path = join(dir, img.file);
    if (!(await exists(path))) sh(`qemu-img convert -f raw ${img.make} "${src}" "${path}.tmp" && mv "${path}.tmp" "${path}"`);
    // Rounds alternate ours and theirs, so a busy machine slows both alike.
    const oursT: number[] = [];
    const theirsT: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      oursT.push(
        await timeIt(1, async () => {
          const file = await FileDevice.open(path);
          const dev = await img.format.open(file, { readOnly: true, name: path });
          for (let off = 0; off < dev.size; off += CHUNK) await dev.read(buf.subarray(0, Math.min(CHUNK, dev.size - off)), off);
          await dev.close();
        }),
      );
      // qemu-img cannot write a raw image to /dev/null ("Cannot grow device files"): its null driver is the sink.
      theirsT.push(await timeCommand(1, 'qemu-img', ['convert', '-n', '-f', img.fmt, path, '--target-image-opts', `driver=null-co,size=${SIZE}`]));
    }
    const ours = median(oursT);
    const theirs = median(theirsT);
    report(`${img.name}, 512 MiB sequential, 4 MiB reads (vs qemu-img convert)`, mibps(SIZE, ours), mibps(SIZE, theirs), theirs / ours, 0.8);
  }
  console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);
}

await main();

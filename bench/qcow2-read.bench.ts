/**
 * qcow2 sequential read: our reader (1 MiB reads, like a copy) against
 * `qemu-img convert` of the same 1 GiB image to a null target (QEMU 7.2
 * refuses `-O raw IMG /dev/null`: "Cannot grow device files"; its null-co
 * driver discards the writes, so only QEMU's reading is timed),
 * uncompressed and zlib-compressed; then open + describe of a 2 TiB sparse
 * image against a 1 GiB one, and peak RSS. Images live in .cache/bench/qcow2.
 */
import '../src/node/codecs.js';
import { open, stat } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FileDevice } from '../src/node/file-device.js';
import { Qcow2Device } from '../src/block/qcow2/device.js';
import { benchDir, median, mibps, peakRssMiB, report, timeCommand, timeIt } from './harness.js';

const GiB = 1 << 30;
const MiB = 1 << 20;
/** Rounds alternate ours and theirs, so load from elsewhere on the machine hits both alike. */
const ROUNDS = 5;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * 1 GiB of realistic data, per MiB: 1/8 holes, 3/8 text-like lines
 * (compressible), 2/8 random (incompressible), 2/8 half and half.
 */
async function makeSource(path: string): Promise<void> {
  const fh = await open(path, 'w');
  await fh.truncate(GiB);
  let seed = 12345;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const enc = new TextEncoder();
  const buf = new Uint8Array(MiB);
  for (let i = 0; i < GiB / MiB; i++) {
    const kind = i % 8;
    if (kind === 0) continue;
    let text = '';
    let n = 0;
    while (text.length < MiB) text += `${i}:${n++} ${['alpha', 'bravo', 'charlie', 'delta', 'echo'][rnd() % 5]} the quick brown fox ${rnd() % 100000} jumps\n`;
    buf.set(enc.encode(text.slice(0, MiB)));
    const randomFrom = kind <= 3 ? MiB : kind <= 5 ? 0 : MiB / 2;
    const v = new DataView(buf.buffer);
    for (let o = randomFrom; o < MiB; o += 4) v.setUint32(o, rnd());
    await fh.write(buf, 0, MiB, i * MiB);
  }
  await fh.close();
}

async function readAll(path: string): Promise<number> {
  const dev = await Qcow2Device.open(await FileDevice.open(path), { readOnly: true });
  const buf = new Uint8Array(MiB);
  for (let off = 0; off < dev.size; off += MiB) await dev.read(buf, off);
  await dev.close();
  return dev.size;
}

async function openDescribe(path: string, map: boolean): Promise<void> {
  const dev = await Qcow2Device.open(await FileDevice.open(path), { readOnly: true });
  dev.describe();
  if (map) await dev.blockStatus(0, dev.size);
  await dev.close();
}

const dir = await benchDir('qcow2');
const src = join(dir, 'src.raw');
const plain = join(dir, 'plain.qcow2');
const zlib = join(dir, 'zlib.qcow2');
const big = join(dir, 'sparse-2t.qcow2');
const small = join(dir, 'sparse-1g.qcow2');
if (!(await exists(src))) await makeSource(src);
if (!(await exists(plain))) sh('qemu-img', ['convert', '-O', 'qcow2', src, plain]);
if (!(await exists(zlib))) sh('qemu-img', ['convert', '-c', '-O', 'qcow2', src, zlib]);
if (!(await exists(big))) sh('qemu-img', ['create', '-q', '-f', 'qcow2', big, '2T']);
if (!(await exists(small))) sh('qemu-img', ['create', '-q', '-f', 'qcow2', small, '1G']);

for (const [name, img] of [['uncompressed', plain], ['zlib-compressed', zlib]] as const) {
  // Warm the page cache for both readers.
  await readAll(img);
  const qemu = ['convert', '-n', '--target-image-opts', img, `driver=null-co,size=${GiB}`];
  sh('qemu-img', qemu);
  const ourTimes: number[] = [];
  const theirTimes: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ourTimes.push(await timeIt(1, () => readAll(img)));
    theirTimes.push(await timeCommand(1, 'qemu-img', qemu));
  }
  const ours = median(ourTimes);
  const theirs = median(theirTimes);
  report(`qcow2 sequential read 1 GiB ${name} (${((await stat(img)).size / MiB).toFixed(0)} MiB file)`, mibps(GiB, ours), mibps(GiB, theirs), theirs / ours, 0.8);
}

for (const map of [false, true]) {
  const openBig = await timeIt(21, () => openDescribe(big, map));
  const openSmall = await timeIt(21, () => openDescribe(small, map));
  const what = map ? 'open+describe+blockStatus(whole disk)' : 'open+describe';
  console.log(`qcow2 ${what}: 2 TiB sparse ${(openBig * 1000).toFixed(2)} ms, 1 GiB sparse ${(openSmall * 1000).toFixed(2)} ms (medians of 21)`);
}
const infoBig = await timeCommand(5, 'qemu-img', ['info', big]);
console.log(`qemu-img info 2 TiB sparse: ${(infoBig * 1000).toFixed(1)} ms (median of 5, for scale)`);
console.log(`peak RSS: ${peakRssMiB().toFixed(0)} MiB`);

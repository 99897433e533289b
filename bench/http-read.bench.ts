/**
 * HttpDevice over loopback nginx: a sequential read of a 256 MiB file
 * against `curl -s -o /dev/null` of the same URL, then random 4 KiB reads
 * (cold cache over the whole file, at queue depth 1 and 16; warm cache over
 * a 32 MiB working set).
 */
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpDevice } from '../src/source/http.js';
import { startNginx } from '../test/helpers/nginx.js';
import { hasTool } from '../test/helpers/tools.js';
import { prng } from '../test/helpers/fuzz.js';
import { benchDir, mibps, peakRssMiB, report, timeCommand, timeIt } from './harness.js';

const MiB = 1 << 20;
const SIZE = 256 * MiB;
const ROUNDS = 5;

async function main(): Promise<void> {
  if (!hasTool('nginx') || !hasTool('curl')) {
    console.log('http-read: skipped (needs nginx and curl)');
    return;
  }
  const dir = await benchDir('http-read');
  const file = join(dir, 'big.bin');
  if ((await stat(file).catch(() => undefined))?.size !== SIZE) {
    const r = spawnSync('sh', ['-c', `head -c ${SIZE} /dev/urandom > "${file}"`]);
    if (r.status !== 0) throw new Error(`making ${file} failed: ${r.stderr}`);
  }
  const nginx = await startNginx(dir);
  const url = nginx.url('big.bin');
  try {
    // Sequential: a copy in 1 MiB reads, fresh device (cold cache) each round.
    const chunk = new Uint8Array(MiB);
    const ours = await timeIt(ROUNDS, async () => {
      const dev = await HttpDevice.open(url);
      for (let off = 0; off < dev.size; off += MiB) await dev.read(chunk.subarray(0, Math.min(MiB, dev.size - off)), off);
      await dev.close();
    });
    const theirs = await timeCommand(ROUNDS, 'curl', ['-s', '-o', '/dev/null', url]);
    report('sequential 256 MiB, 1 MiB reads (vs curl)', mibps(SIZE, ours), mibps(SIZE, theirs), theirs / ours);
    // The transport underneath, for scale: one plain fetch of the whole file, body discarded.
    const raw = await timeIt(ROUNDS, async () => {
      const res = await fetch(url, { headers: { 'Accept-Encoding': 'identity' } });
      const reader = res.body!.getReader();
      while (!(await reader.read()).done);
    });
    console.log(`  (plain fetch of the same URL, body discarded: ${mibps(SIZE, raw)}; HttpDevice/fetch ${(raw / ours).toFixed(2)}×)`);

    // Random 4 KiB reads, cold: every read misses (a 256 KiB block fetch).
    const rand = prng(42);
    const offsets = (n: number, span: number) => Array.from({ length: n }, () => Math.floor((rand() * (span - 4096)) / 4096) * 4096);
    const buf = new Uint8Array(4096);
    const cold = offsets(1000, SIZE);
    let dev = await HttpDevice.open(url);
    let t = await timeIt(1, async () => {
      for (const off of cold) await dev.read(buf, off);
    });
    console.log(`random 4 KiB, cold cache, QD1: ${(cold.length / t).toFixed(0)} IOPS (${dev.stats.requests} requests)`);
    await dev.close();

    dev = await HttpDevice.open(url);
    const qd = 16;
    const bufs = Array.from({ length: qd }, () => new Uint8Array(4096));
    t = await timeIt(1, async () => {
      let next = 0;
      await Promise.all(bufs.map(async (b) => {
        while (next < cold.length) await dev.read(b, cold[next++]!);
      }));
    });
    console.log(`random 4 KiB, cold cache, QD${qd}: ${(cold.length / t).toFixed(0)} IOPS`);
    await dev.close();

    dev = await HttpDevice.open(url, { blockSize: 64 * 1024 });
    t = await timeIt(1, async () => {
      for (const off of cold) await dev.read(buf, off);
    });
    console.log(`random 4 KiB, cold cache, QD1, 64 KiB blocks: ${(cold.length / t).toFixed(0)} IOPS`);
    await dev.close();

    // Warm: a 32 MiB working set (fits the 64 MiB cache), read once, then timed.
    dev = await HttpDevice.open(url);
    const warm = offsets(50_000, 32 * MiB);
    for (let off = 0; off < 32 * MiB; off += MiB) await dev.read(chunk, off);
    const before = dev.stats.requests;
    t = await timeIt(3, async () => {
      for (const off of warm) await dev.read(buf, off);
    });
    console.log(`random 4 KiB, warm cache: ${(warm.length / t).toFixed(0)} IOPS (${dev.stats.requests - before} requests while warm)`);
    await dev.close();
    console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);
  } finally {
    await nginx.stop();
  }
}

await main();

/**
 * VFS metadata: stat of every entry and readdir of a 10,000- and a
 * 100,000-entry memfs directory, and stat of a 20-level path, through the
 * fs/promises API, against the same calls of node:fs/promises on tmpfs
 * (/dev/shm) in the same run. Per-entry costs for 10k and 100k show that
 * cost grows linearly.
 */
import * as nodeFs from 'node:fs/promises';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFs, type AnymountFs } from '../src/api/fs.js';
import { MemFileSystem } from '../src/vfs/memfs/memfs.js';
import { O_CREAT, O_WRONLY } from '../src/fs/flags.js';
import { median, peakRssMiB, report, timeIt } from './harness.js';

const ROUNDS = 7;
const TMPFS = '/dev/shm';

async function oursWithDir(n: number): Promise<AnymountFs> {
  const fs = await createFs(new MemFileSystem());
  await fs.mkdir('/big');
  const p = fs.proc;
  for (let i = 0; i < n; i++) await p.close(await p.open(`/big/f${i}`, O_CREAT | O_WRONLY, 0o644));
  return fs;
}

function theirsWithDir(n: number): string {
  const dir = join(TMPFS, `anymount-bench-${process.pid}-${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `f${i}`), '');
  return dir;
}

/**
 * Rounds alternate ours and theirs so a busy machine slows both alike, each
 * after a full GC (run-bench passes --expose-gc) so one side's garbage is not
 * collected on the other's time; returns medians in seconds.
 */
async function pair(ours: () => Promise<unknown>, theirs: () => Promise<unknown>): Promise<[number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    globalThis.gc?.();
    a.push(await timeIt(1, ours));
    globalThis.gc?.();
    b.push(await timeIt(1, theirs));
  }
  return [median(a), median(b)];
}

const us = (s: number, n: number): string => `${((s / n) * 1e6).toFixed(2)} µs/entry`;

async function main(): Promise<void> {
  const perEntry: Record<string, number[]> = {};
  const perEntryTheirs: Record<string, number[]> = {};
  for (const n of [10_000, 100_000]) {
    const ours = await oursWithDir(n);
    const dir = theirsWithDir(n);
    const [statOurs, statTheirs] = await pair(
      async () => {
        for (let i = 0; i < n; i++) await ours.stat(`/big/f${i}`);
      },
      async () => {
        for (let i = 0; i < n; i++) await nodeFs.stat(`${dir}/f${i}`);
      },
    );
    report(`stat of each of ${n} entries (vs node:fs/promises on tmpfs)`, us(statOurs, n), us(statTheirs, n), statTheirs / statOurs);
    const [rdOurs, rdTheirs] = await pair(() => ours.readdir('/big'), () => nodeFs.readdir(dir));
    report(`readdir of ${n} entries (vs node:fs/promises on tmpfs)`, us(rdOurs, n), us(rdTheirs, n), rdTheirs / rdOurs);
    const [rdtOurs, rdtTheirs] = await pair(() => ours.readdir('/big', { withFileTypes: true }), () => nodeFs.readdir(dir, { withFileTypes: true }));
    report(`readdir withFileTypes of ${n} entries (vs node:fs/promises on tmpfs)`, us(rdtOurs, n), us(rdtTheirs, n), rdtTheirs / rdtOurs);
    (perEntry.stat ??= []).push(statOurs / n);
    (perEntry.readdir ??= []).push(rdOurs / n);
    (perEntry['readdir withFileTypes'] ??= []).push(rdtOurs / n);
    (perEntryTheirs.stat ??= []).push(statTheirs / n);
    (perEntryTheirs.readdir ??= []).push(rdTheirs / n);
    (perEntryTheirs['readdir withFileTypes'] ??= []).push(rdtTheirs / n);
    await ours.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // Caches and GC make big directories dearer per entry for anyone: node:fs's own growth is the yardstick.
  for (const [what, [small, large]] of Object.entries(perEntry)) {
    const [ts, tl] = perEntryTheirs[what]!;
    console.log(`linearity of ${what}: per-entry cost at 100k / at 10k = ${(large! / small!).toFixed(2)} (node:fs on tmpfs: ${(tl! / ts!).toFixed(2)}; 1.00 is linear)`);
  }

  // A 20-level path, resolved afresh on every stat (the dentry cache is warm on both sides).
  const levels = Array.from({ length: 20 }, (_, i) => `d${i}`).join('/');
  const ours = await createFs(new MemFileSystem());
  await ours.mkdir(`/${levels}`, { recursive: true });
  await ours.writeFile(`/${levels}/f`, '');
  const base = join(TMPFS, `anymount-bench-${process.pid}-deep`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(join(base, levels), { recursive: true });
  writeFileSync(join(base, levels, 'f'), '');
  const N = 20_000;
  const [deepOurs, deepTheirs] = await pair(
    async () => {
      for (let i = 0; i < N; i++) await ours.stat(`/${levels}/f`);
    },
    async () => {
      for (let i = 0; i < N; i++) await nodeFs.stat(`${base}/${levels}/f`);
    },
  );
  report(`stat of a 20-level path, ${N} times (vs node:fs/promises on tmpfs)`, `${((deepOurs / N) * 1e6).toFixed(2)} µs/stat`, `${((deepTheirs / N) * 1e6).toFixed(2)} µs/stat`, deepTheirs / deepOurs);
  rmSync(base, { recursive: true, force: true });
  console.log(`peak RSS ${peakRssMiB().toFixed(0)} MiB`);
}

await main();

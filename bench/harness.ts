/**
 * Bench helpers: time ours and the competitor in the same run, several
 * rounds, report medians and the ratio. Never used for assertions in tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchRoot = join(fileURLToPath(new URL('../..', import.meta.url)), '.cache', 'bench');

export async function benchDir(name: string): Promise<string> {
  const d = join(benchRoot, name);
  await mkdir(d, { recursive: true });
  return d;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs fn `rounds` times and returns the median wall time in seconds. */
export async function timeIt(rounds: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

/** Times a shell command (median wall seconds), failing loudly if it fails. */
export async function timeCommand(rounds: number, cmd: string, args: string[]): Promise<number> {
  return timeIt(rounds, () => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  });
}

export function mibps(bytes: number, seconds: number): string {
  return `${(bytes / 1048576 / seconds).toFixed(0)} MiB/s`;
}

/** One result line, the same shape for every bench so they can be compared over time. */
export function report(name: string, ours: string, theirs: string, ratio: number, target?: number): void {
  const verdict = target === undefined ? '' : ratio >= target ? `  (target ≥ ${target}×: met)` : `  (target ≥ ${target}×: MISSED)`;
  console.log(`${name}: ours ${ours}, theirs ${theirs}, ratio ${ratio.toFixed(2)}×${verdict}`);
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Runs a bash command line (errexit, pipefail); throws with its stderr when it fails. */
export function sh(cmd: string): void {
  const r = spawnSync('bash', ['-eu', '-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
}

export async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

/**
 * A realistic tree at `dest` for the extraction benches: whole subdirectories
 * of /usr/share then /usr/lib, in name order, until about `mib` MiB (giants
 * over 80 MiB skipped, for variety).
 */
export async function copySystemTree(dest: string, mib: number): Promise<void> {
  sh(`rm -rf '${dest}.tmp' && mkdir -p '${dest}.tmp'`);
  let total = 0;
  for (const top of ['/usr/share', '/usr/lib']) {
    for (const name of (await readdir(top)).sort()) {
      if (total >= mib) break;
      const path = join(top, name);
      const r = spawnSync('du', ['-sm', path], { encoding: 'utf8' });
      const size = Number(r.stdout.split('\t')[0]);
      if (!Number.isFinite(size) || size > 80) continue;
      sh(`mkdir -p '${dest}.tmp${top}' && cp -a '${path}' '${dest}.tmp${top}/'`);
      total += size;
    }
  }
  sh(`mv '${dest}.tmp' '${dest}'`);
}

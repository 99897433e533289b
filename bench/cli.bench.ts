/**
 * The CLI as a user meets it:
 * - time from process start to the first line of `anymount ls IMAGE:/`
 *   (target under 0.3 s), next to `debugfs -R 'ls /'` on the same image;
 * - `anymount ls -lR` of a 3,000-entry ext4 directory vs `debugfs -R 'ls -l'`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDir, median, report, timeCommand } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'bin', 'anymount.js');

/** Seconds from spawn to the first byte on stdout. */
function firstLine(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let done = false;
    child.stdout.once('data', () => {
      done = true;
      resolve(Number(process.hrtime.bigint() - t0) / 1e9);
    });
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      if (!done) reject(new Error(`${cmd} exited ${code} without output`));
    });
  });
}

async function makeImage(dir: string): Promise<string> {
  const img = join(dir, 'ls3000.img');
  if (existsSync(img)) return img;
  const src = join(dir, 'src');
  await rm(src, { recursive: true, force: true });
  await mkdir(join(src, 'many'), { recursive: true });
  for (let i = 0; i < 3000; i++) await writeFile(join(src, 'many', `file-${String(i).padStart(5, '0')}.txt`), `${i}\n`);
  const r = spawnSync('mke2fs', ['-q', '-t', 'ext4', '-d', src, img, '64M'], { stdio: 'inherit', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (r.status !== 0) throw new Error('mke2fs failed');
  await rm(src, { recursive: true, force: true });
  return img;
}

const dir = await benchDir('cli');
const img = await makeImage(dir);
const debugfs = existsSync('/usr/sbin/debugfs') ? '/usr/sbin/debugfs' : 'debugfs';

const rounds = 7;
const ours: number[] = [];
const theirs: number[] = [];
for (let i = 0; i < rounds; i++) {
  ours.push(await firstLine(process.execPath, [cli, 'ls', `${img}:/`]));
  theirs.push(await firstLine(debugfs, ['-R', 'ls /', img]));
}
const o = median(ours);
const t = median(theirs);
console.log(`first line of 'anymount ls IMAGE:/': ${(o * 1000).toFixed(0)} ms median of ${rounds} (target < 300 ms: ${o < 0.3 ? 'met' : 'MISSED'}); debugfs: ${(t * 1000).toFixed(0)} ms`);

const lsOurs = await timeCommand(5, process.execPath, [cli, 'ls', '-lR', `${img}:/many`]);
const lsTheirs = await timeCommand(5, debugfs, ['-R', 'ls -l /many', img]);
report('ls -lR of a 3,000-entry ext4 directory', `${(lsOurs * 1000).toFixed(0)} ms`, `debugfs ${(lsTheirs * 1000).toFixed(0)} ms`, lsTheirs / lsOurs);

/**
 * Fixture images made by real tools at test time.
 *
 * `fixture('qcow2/basic.sh')` runs `bash test/fixtures/qcow2/basic.sh OUTDIR`
 * once and returns OUTDIR. Results are cached under `.cache/fixtures/`,
 * keyed by the script's content, so editing a script remakes its images.
 * Test files run in parallel processes: each builds into its own temporary
 * directory and renames it into place, and the loser of a race drops its copy.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, mkdtemp } from 'node:fs/promises';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { toolEnv } from './tools.js';

/** The repository root (this file lives at dist/test/helpers/ once compiled). */
export const repoRoot = findRoot();

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (basename(dir) === 'dist') return dirname(dir);
    dir = dirname(dir);
  }
  return process.cwd();
}

export const fixturesDir = join(repoRoot, 'test', 'fixtures');
export const cacheDir = join(repoRoot, '.cache', 'fixtures');

export async function fixture(script: string, args: string[] = []): Promise<string> {
  const scriptPath = join(fixturesDir, script);
  const text = await readFile(scriptPath);
  const key = createHash('sha256').update(text).update(JSON.stringify(args)).digest('hex').slice(0, 12);
  const out = join(cacheDir, `${script.replace(/[/.]/g, '-')}-${key}`);
  if (await exists(out)) return out;
  await mkdir(cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, '.tmp-'));
  try {
    await runScript(scriptPath, [tmp, ...args]);
    try {
      await rename(tmp, out);
    } catch (e) {
      if (!(await exists(out))) throw e;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function runScript(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', script, ...args], { env: toolEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.on('data', () => {});
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 20000) err = err.slice(-10000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`fixture script ${script} failed (exit ${code}):\n${err}`));
    });
  });
}

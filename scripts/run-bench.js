#!/usr/bin/env node
// Runs the benchmarks (dist/bench/*.bench.js) one after another: they time
// anymount and the competing tool side by side and print the ratio.
// `npm run bench -- qcow2` runs only the benchmarks whose name contains "qcow2".
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist', 'bench');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n### ${f.replace(/\.bench\.js$/, '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, f)], { stdio: 'inherit', cwd: root, env: { ...process.env, UV_THREADPOOL_SIZE: '8' } });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

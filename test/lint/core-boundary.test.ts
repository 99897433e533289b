// The core must run in a browser: no file outside src/node/ (and no *.node.ts) may load a `node:` module at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/fixtures.js';

const HOST_DIRS = ['src/node/', 'src/hosts/', 'src/cli/', 'src/conductor/', 'src/guest/'];

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('core modules import nothing from node: at run time', () => {
  const offenders: string[] = [];
  for (const file of walk(join(repoRoot, 'src'))) {
    const rel = relative(repoRoot, file);
    if (HOST_DIRS.some((d) => rel.startsWith(d)) || rel.endsWith('.node.ts') || rel === 'src/index.ts') continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*import\s+(?!type\b)[^;]*?from\s+['"](node:[^'"]+|fs|path|os|zlib|child_process|net|http|https|crypto)['"]/gm)) {
      offenders.push(`${rel}: ${m[1]}`);
    }
    if (/\bBuffer\./.test(text) || /\bprocess\.(env|argv|exit|platform|getuid)/.test(text)) offenders.push(`${rel}: uses Buffer or process`);
  }
  assert.deepEqual(offenders, []);
});

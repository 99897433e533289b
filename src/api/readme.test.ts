// Every example in src/api/README.md runs, and prints what its `// →` comments say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../test/helpers/fixtures.js';

const readme = await readFile(join(repoRoot, 'src/api/README.md'), 'utf8');
/** Each js block with the heading above it. */
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => ({
  code: m[1]!,
  title: [...readme.slice(0, m.index).matchAll(/^## (.*)$/gm)].pop()?.[1] ?? 'example',
}));
const entry = join(repoRoot, 'dist/src/index.js');

test('the API README has examples', () => assert.ok(examples.length >= 5));

examples.forEach(({ code, title }, i) => {
  test(`README example ${i + 1}, "${title}", runs and prints what it says`, async () => {
    const dir = join(repoRoot, '.cache', 'readme-examples');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `example-${i}.mjs`);
    await writeFile(file, code.replace(/from 'anymount'/g, `from '${entry}'`));
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const expected = [...code.matchAll(/^\/\/ → (.*)$/gm)].map((m) => m[1]!);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), expected);
  });
});

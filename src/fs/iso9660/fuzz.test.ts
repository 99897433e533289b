// Seeded mutations of small real images (xorriso Rock Ridge + Joliet + El
// Torito, genisoimage with relocated directories, zisofs, multisession),
// aimed at the volume descriptors, directory blocks and boot catalogue:
// open, walk the whole tree (with an entry and depth budget), stat,
// readlink and read everything. Anything but an FsError, or a hang, fails.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { fuzz } from '../../../test/helpers/fuzz.js';
import { needTools } from '../../../test/helpers/tools.js';
import { exerciseBytes } from '../../../test/iso9660/exercise.js';
import { hotspots } from '../../../test/iso9660/layout.js';
import type { Iso9660Options } from './options.js';

const skip = needTools('xorriso', 'genisoimage', 'python3');
const dir = skip ? '' : await fixture('iso9660/small.sh');

const CASES: Array<[string, Iso9660Options, number]> = [
  ['small-rr.iso', {}, 1],
  ['small-rr.iso', { namespace: 'joliet' }, 2],
  ['small-gen.iso', {}, 3],
  ['small-zf.iso', {}, 4],
  ['small-ms.iso', { session: 1 }, 5],
];

for (const [name, options, seed] of CASES) {
  test(`iso9660 fuzz ${name} ${JSON.stringify(options)}: mutated images fail with FsError or read fine`, { skip, timeout: 60_000 }, async (t) => {
    const base = new Uint8Array(readFileSync(join(dir, name)));
    // The image as made must read cleanly.
    const clean = await exerciseBytes(base, options);
    assert.deepEqual(clean.errors.map((e) => e.message), []);
    assert.ok(clean.entries > 0);
    const r = await fuzz({
      base,
      seed,
      iterations: 2000,
      timeBudgetMs: 2500,
      hotspots: hotspots(base),
      run: async (bytes) => {
        const res = await exerciseBytes(bytes, options);
        if (res.errors.length) throw res.errors[0]!;
      },
    });
    t.diagnostic(`${r.cases} cases: ${r.ok} read fine, ${r.fsErrors} FsErrors ${JSON.stringify(r.codes)}`);
    assert.ok(r.cases > 20);
  });
}

test('iso9660 fuzz: the image cut at every block boundary', { skip, timeout: 60_000 }, async () => {
  const base = new Uint8Array(readFileSync(join(dir, 'small-rr.iso')));
  let failures = 0;
  for (let end = 0; end <= base.length; end += 2048) {
    const res = await exerciseBytes(base.subarray(0, end));
    if (res.errors.length) failures++;
  }
  assert.ok(failures > 0);
});

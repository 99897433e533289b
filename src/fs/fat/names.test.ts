// Names: which long names FAT refuses, how names compare case-insensitively, and the
// short (8.3) names we make — compared with the ones mtools made for the same long
// names in the read fixture (7-Zip lists them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture, fixturesDir } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { parse7z } from '../../../test/fat/truth.js';
import { OemCodepage } from './codepage.js';
import { checkLongName, decodeShortName, foldName, makeShortName } from './names.js';

const cp = OemCodepage.get('437');
const never = () => false;
const shortOf = (name: string, taken: (k: string) => boolean = never) => {
  const c = makeShortName(name, cp, taken);
  return { name: decodeShortName(c.raw, c.ntCase, cp), lfn: c.needsLfn };
};

test('fat names: refuses what FAT cannot hold', () => {
  for (const bad of ['a"b', 'a*b', 'a/b', 'a:b', 'a<b', 'a>b', 'a?b', 'a\\b', 'a|b', 'tab\there', 'nl\n', '\x7f', 'trailing.', '.', '..', '']) {
    assert.throws(() => checkLongName('create', bad), { code: 'EINVAL' }, JSON.stringify(bad));
  }
  assert.throws(() => checkLongName('create', 'x'.repeat(256)), { code: 'ENAMETOOLONG' });
  for (const good of ['x'.repeat(255), ' leading space', 'a+b,c;d=[e]', '.hidden', 'emoji 😀', 'Ωmega', '中文']) checkLongName('create', good);
  // 255 UTF-16 units, not bytes: 255 CJK characters are fine (765 UTF-8 bytes).
  checkLongName('create', '中'.repeat(255));
});

test('fat names: case-insensitive keys use simple case folding', () => {
  assert.equal(foldName('README.TXT'), foldName('readme.txt'));
  assert.equal(foldName('ΣΊΣΥΦΟΣ'), foldName('σίσυφος'));
  assert.equal(foldName('ς'), foldName('Σ'));
  assert.equal(foldName('\u212a'), 'k'); // KELVIN SIGN folds to k
  assert.equal(foldName('Straße'), foldName('STRAßE'));
  assert.notEqual(foldName('Strasse'), foldName('Straße')); // full folding (ß → ss) is not simple folding
  assert.equal(foldName('😀A'), foldName('😀a'));
});

test('fat names: 8.3 names, NT case bits and numeric tails', () => {
  assert.deepEqual(shortOf('README.TXT'), { name: 'README.TXT', lfn: false });
  assert.deepEqual(shortOf('lower.txt'), { name: 'lower.txt', lfn: false });
  assert.deepEqual(shortOf('UPPER.txt'), { name: 'UPPER.txt', lfn: false });
  assert.deepEqual(shortOf('MiXeD.TxT'), { name: 'MIXED.TXT', lfn: true });
  assert.deepEqual(shortOf('toolongname.txt'), { name: 'TOOLON~1.TXT', lfn: true });
  assert.deepEqual(shortOf('a.b.c'), { name: 'AB~1.C', lfn: true });
  assert.deepEqual(shortOf('.profile'), { name: 'PROFIL~1', lfn: true });
  assert.deepEqual(shortOf('x.html'), { name: 'X~1.HTM', lfn: true });
  // Taken names move to ~2 .. ~4, then to a hashed form.
  const taken = new Set<string>();
  const names: string[] = [];
  for (let i = 0; i < 12; i++) {
    const c = makeShortName('Long name in a crowd.txt', cp, (k) => taken.has(k));
    taken.add(String.fromCharCode(...c.raw));
    names.push(decodeShortName(c.raw, 0, cp));
  }
  assert.deepEqual(names.slice(0, 4), ['LONGNA~1.TXT', 'LONGNA~2.TXT', 'LONGNA~3.TXT', 'LONGNA~4.TXT']);
  assert.ok(names.slice(4).every((n) => /^LO[0-9A-F]{4}~[1-9]\.TXT$/.test(n)), names.join(' '));
  assert.equal(new Set(names).size, names.length);
  // A real first byte 0xE5 (Õ in code page 850) is stored as 0x05 and shown back as Õ.
  const cp850 = OemCodepage.get('850');
  const o = makeShortName('Õ.TXT', cp850, never);
  assert.equal(o.raw[0], 0x05);
  assert.equal(decodeShortName(o.raw, o.ntCase, cp850), 'Õ~1.TXT');
});

const skip = needTools('mkfs.fat', 'mcopy', '7z', 'python3');

test('fat names: our short names have the basis, tail and extension mtools gave the same ASCII names', { skip }, async () => {
  const treeHash = createHash('sha256').update(await readFile(join(fixturesDir, 'fat/tree.py'))).digest('hex').slice(0, 12);
  const dir = await fixture('fat/read.sh', [treeHash]);
  const listing = parse7z(await readFile(join(dir, 'fat16.7z.txt'), 'utf8'));
  // 7-Zip lists entries in directory order, the order mcopy made them: replay it per directory.
  const taken = new Map<string, Set<string>>();
  let compared = 0;
  for (const z of listing.values()) {
    const slash = z.path.lastIndexOf('/');
    const name = z.path.slice(slash + 1);
    const inDir = taken.get(z.path.slice(0, slash + 1)) ?? new Set<string>();
    taken.set(z.path.slice(0, slash + 1), inDir);
    const c = makeShortName(name, cp, (k) => inDir.has(k));
    inDir.add(String.fromCharCode(...c.raw));
    if (!/^[\x20-\x7e]+$/.test(name)) continue;
    // mtools sometimes starts its tails at ~2 with no clash: compare basis, tail or not, extension.
    const tail = (n: string) => n.replace(/~\d+/, '~N');
    assert.equal(tail(decodeShortName(c.raw, c.ntCase, cp)), tail(z.shortName), name);
    compared++;
  }
  assert.ok(compared > 1000, `${compared}`);
});

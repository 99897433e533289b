// Directory hashes against e2fsprogs: `debugfs -R 'dx_hash -h N -s SEED name'`
// for every hash version (legacy, half_md4, tea and their unsigned
// variants), with and without a seed, names of every length class (the
// hashes work in 16- and 32-byte rounds) and with high-bit bytes (where
// signed and unsigned differ); and the casefolded hash (`-c -e utf8`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTools, run } from '../../../test/helpers/tools.js';
import { casefoldBytes } from './casefold.js';
import { dirHash } from './hash.js';

const SEED = '0b5d7a0e-44c1-4f4a-8a39-58d1a3b9c0de';

function seedWords(uuid: string): Uint32Array {
  const b = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  return new Uint32Array([0, 4, 8, 12].map((o) => b.readUInt32LE(o)));
}

const NAMES = [
  'a', 'ab', 'abc', 'abcd', 'hello', 'lost+found', 'entry-00001-xxxx', 'é', 'héllo', '日本語ファイル', '📁',
  'x'.repeat(15), 'x'.repeat(16), 'x'.repeat(17), 'y'.repeat(31), 'y'.repeat(32), 'y'.repeat(33), 'z'.repeat(64),
  'ü'.repeat(127) + 'x', 'q'.repeat(255), '\u00ff\u00fe\u00fd', 'Ω≈ç√∫',
];

/** Runs dx_hash commands in one debugfs and returns [hash, minor] per command. */
async function debugfsHashes(commands: string[]): Promise<Array<[number, number]>> {
  const dir = mkdtempSync(join(tmpdir(), 'ext4-hash-'));
  try {
    const file = join(dir, 'cmds');
    writeFileSync(file, commands.join('\n') + '\n');
    const out = await run('debugfs', ['-f', file]);
    const results = [...out.matchAll(/is 0x([0-9a-f]+) \(minor 0x([0-9a-f]+)\)/g)].map((m): [number, number] => [parseInt(m[1]!, 16), parseInt(m[2]!, 16)]);
    assert.equal(results.length, commands.length, `debugfs answered ${results.length} of ${commands.length}:\n${out.slice(0, 2000)}`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ext4 hash: legacy, half_md4, tea (signed and unsigned, seeded or not) agree with debugfs dx_hash', { skip: needTools('debugfs') }, async () => {
  const cases: Array<{ name: string; version: number; seed: string | undefined }> = [];
  for (const version of [0, 1, 2, 3, 4, 5]) {
    for (const seed of [undefined, SEED]) for (const name of NAMES) cases.push({ name, version, seed });
  }
  const theirs = await debugfsHashes(cases.map((c) => `dx_hash -h ${c.version}${c.seed ? ` -s ${c.seed}` : ''} "${c.name}"`));
  const zero = new Uint32Array(4);
  let compared = 0;
  cases.forEach((c, i) => {
    const ours = dirHash(new TextEncoder().encode(c.name), c.version, c.seed ? seedWords(c.seed) : zero)!;
    const [hash, minor] = theirs[i]!;
    assert.equal(ours.hash, hash, `hash of '${c.name}' (version ${c.version}, seed ${c.seed ?? 'none'})`);
    assert.equal(ours.minor, minor, `minor hash of '${c.name}' (version ${c.version}, seed ${c.seed ?? 'none'})`);
    compared++;
  });
  assert.equal(compared, 6 * 2 * NAMES.length);
});

test('ext4 hash: unknown versions are refused (the directory is then searched linearly)', () => {
  assert.equal(dirHash(new Uint8Array([97]), 6, new Uint32Array(4)), undefined);
  assert.equal(dirHash(new Uint8Array([97]), 42, new Uint32Array(4)), undefined);
});

// Names whose case folding the engine's Unicode data gets right; see casefold.ts for the rest.
const FOLD_NAMES = ['Hello', 'hello', 'HELLO', 'École', 'ÉCOLE', 'école', 'straße', 'STRASSE', 'ΣΊΣΥΦΟΣ', 'σίσυφος', 'ﬁle', 'İstanbul', 'Ǆemal', 'ǆemal', 'Ωmega', 'ſtop'];

test('ext4 hash: casefolded names hash as debugfs dx_hash -c -e utf8 does', { skip: needTools('debugfs') }, async () => {
  const theirs = await debugfsHashes(FOLD_NAMES.map((n) => `dx_hash -c -e utf8 -h 1 -s ${SEED} "${n}"`));
  FOLD_NAMES.forEach((name, i) => {
    const ours = dirHash(casefoldBytes(name, new TextEncoder().encode(name)), 1, seedWords(SEED))!;
    assert.equal(ours.hash, theirs[i]![0], `casefolded hash of '${name}'`);
  });
  // And names differing only in case fold to the same hash.
  assert.equal(theirs[0]![0], theirs[1]![0]);
});

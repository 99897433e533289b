// Multisession images: three sessions written by xorriso -dev (the
// libisoburn layout, sessions at 32, 64, 96 and the newest copied to 16)
// and two by genisoimage -C/-M with the second appended. The sessions
// found must equal xorriso -toc, the default must be the last one, and
// every session's listing must equal xorriso's (-load session N / -load
// sbsector N), with the file contents of the source directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isoFixtures, isoSkip, openIso, readAll, walkIso } from '../../../test/iso9660/tree.js';
import type { Iso9660FileSystem } from './filesystem.js';

const skip = isoSkip;
const dir = skip ? '' : await isoFixtures();

interface Lsdl {
  mode: string;
  size: number;
}

function parseLsdl(text: string): Map<string, Lsdl> {
  const out = new Map<string, Lsdl>();
  for (const m of text.matchAll(/^(\S{10})\s+\d+\s+\d+\s+\d+\s+(\d+) .* '\/(.*)'$/gm)) if (m[3]) out.set(m[3], { mode: m[1]!, size: Number(m[2]) });
  return out;
}

async function checkSession(fs: Iso9660FileSystem, lsdl: string, sources: string[]): Promise<void> {
  const truth = parseLsdl(readFileSync(join(dir, lsdl), 'utf8'));
  const ours = await walkIso(fs, { hash: false });
  assert.deepEqual([...ours.keys()].filter((p) => p).sort(), [...truth.keys()].sort(), lsdl);
  for (const [p, t] of truth) {
    const o = ours.get(p)!;
    assert.equal(o.size, t.size, `${lsdl}: ${p}: size`);
    // The newest source directory that has the file wrote its content.
    const from = [...sources].reverse().find((s) => {
      try {
        readFileSync(join(dir, s, p));
        return true;
      } catch {
        return false;
      }
    })!;
    const ino = (await fs.lookup(fs.rootIno, p)).ino;
    assert.equal(new TextDecoder().decode(await readAll(fs, ino, o.size)), readFileSync(join(dir, from, p), 'utf8'), `${lsdl}: ${p}: content`);
  }
}

test('iso9660 ms-dev.iso (xorriso -dev, 3 sessions): sessions equal xorriso -toc; each session lists as xorriso shows it', { skip }, async () => {
  const toc = readFileSync(join(dir, 'ms-dev.iso.toc'), 'utf8');
  const starts = [...toc.matchAll(/^ISO session\s+:\s+\d+\s+,\s+(\d+)\s+,/gm)].map((m) => Number(m[1]));
  assert.equal(starts.length, 3);
  const sources = ['s1', 's2', 's3'];
  for (const session of [undefined, 1, 2, 3]) {
    const { fs, close } = await openIso(join(dir, 'ms-dev.iso'), session ? { session } : {});
    try {
      assert.deepEqual(fs.info.sessions, starts);
      const n = session ?? 3;
      assert.equal(fs.info.session, n - 1);
      await checkSession(fs, `ms-dev.iso.s${n}.lsdl`, sources.slice(0, n));
    } finally {
      await close();
    }
  }
  await assert.rejects(openIso(join(dir, 'ms-dev.iso'), { session: 4 }), { code: 'EINVAL' });
});

test('iso9660 ms-c.iso (genisoimage -C/-M, second session appended): the last session is found and read', { skip }, async () => {
  const next = Number(readFileSync(join(dir, 'ms-c.iso.next'), 'utf8'));
  for (const session of [undefined, 1, 2]) {
    const { fs, close } = await openIso(join(dir, 'ms-c.iso'), session ? { session } : {});
    try {
      assert.deepEqual(fs.info.sessions, [0, next]);
      const n = session ?? 2;
      await checkSession(fs, `ms-c.iso.s${n}.lsdl`, ['s1', 's2'].slice(0, n));
    } finally {
      await close();
    }
  }
});

test('iso9660 single-session images have one session at 0', { skip }, async () => {
  for (const image of ['rr.iso', 'gen.iso', 'level1.iso', 'boot.iso']) {
    const { fs, close } = await openIso(join(dir, image));
    assert.deepEqual(fs.info.sessions, [0], image);
    await close();
  }
});

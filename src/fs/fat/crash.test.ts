// Crash consistency: the same random operations are run again and again, each time with
// the device refusing every write after the Nth (the process dies there). fsck.fat must
// then find the volume marked dirty and at worst lost clusters or a chain longer than its
// file — never two files sharing clusters — and `fsck.fat -a` must repair it to clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needTools, run, toolEnv } from '../../../test/helpers/tools.js';
import { runModel } from '../../../test/fat/model.js';
import { MemoryDevice } from '../../block/memory.js';
import type { BlockDevice } from '../../block/device.js';
import { FatFileSystem } from './filesystem.js';

const skip = needTools('mkfs.fat', 'fsck.fat');

class Crash extends Error {}

/** A device that dies after `budget` writes: the write that would exceed it, and all after, never happen. */
function dying(dev: MemoryDevice, budget: number, counter: { writes: number }): BlockDevice {
  return {
    size: dev.size,
    sectorSize: dev.sectorSize,
    readOnly: false,
    read: (buf, off) => dev.read(buf, off),
    write: async (buf, off) => {
      if (counter.writes >= budget) throw new Crash('crashed');
      counter.writes++;
      await dev.write(buf, off);
    },
    flush: async () => {},
    close: async () => {},
  };
}

function fsck(args: string[], image: string): { status: number; output: string } {
  const r = spawnSync('fsck.fat', [...args, image], { env: toolEnv(), encoding: 'utf8' });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

async function runUntil(base: Uint8Array, budget: number): Promise<{ bytes: Uint8Array; writes: number; crashed: boolean }> {
  const mem = new MemoryDevice(base.slice());
  const counter = { writes: 0 };
  let now = 1_700_000_000;
  let crashed = false;
  try {
    const fs = await FatFileSystem.open(dying(mem, budget, counter), { write: true, clock: () => ({ sec: now, nsec: 0 }) });
    await runModel(fs, { seed: 77, ops: 80, maxWrite: 30_000, tick: () => (now += 2) });
    await fs.destroy();
  } catch (e) {
    if (!(e instanceof Crash)) throw e;
    crashed = true;
  }
  return { bytes: mem.contents, writes: counter.writes, crashed };
}

for (const type of ['12', '16', '32']) {
  test(`fat crash FAT${type}: dying after any write never cross-links, and fsck.fat -a repairs it`, { skip }, async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'fat-crash-'));
    try {
      const img = join(tmp, 'base.img');
      await run('mkfs.fat', ['-C', '-F', type, '-s', '1', img, type === '32' ? '34000' : type === '16' ? '3000' : '2000']);
      const base = new Uint8Array(await readFile(img));
      const full = await runUntil(base, Infinity);
      assert.equal(full.crashed, false);
      assert.ok(full.writes > 200, `${full.writes} writes`);
      const points = 16;
      const seen = new Set<string>();
      let crashes = 0;
      for (let k = 0; k < points; k++) {
        const budget = 1 + Math.floor(((full.writes - 1) * k) / (points - 1));
        const { bytes, crashed } = await runUntil(base, budget);
        const at = join(tmp, `crash-${budget}.img`);
        await writeFile(at, bytes);
        const check = fsck(['-n'], at);
        assert.doesNotMatch(check.output, /share clusters|cross-?link|duplicate/i, `after ${budget} writes:\n${check.output}`);
        // Anything fsck.fat finds comes with the dirty mark: a crash between clean points shows.
        if (check.status !== 0) assert.match(check.output, /dirty bit/i, `after ${budget} writes:\n${check.output}`);
        if (crashed) crashes++;
        for (const line of check.output.split('\n')) if (/^\S/.test(line) && !line.startsWith(at) && !line.startsWith('fsck.fat')) seen.add(line.trim());
        const repair = fsck(['-a'], at);
        assert.ok(repair.status === 0 || repair.status === 1, repair.output);
        const after = fsck(['-n'], at);
        assert.equal(after.status, 0, `after ${budget} writes and fsck.fat -a:\n${after.output}`);
      }
      assert.ok(seen.size > 0 && crashes >= points - 1, `${crashes} crashes; fsck said: ${[...seen].join(' | ')}`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

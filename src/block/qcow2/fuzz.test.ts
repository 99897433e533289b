// Seeded mutations of real qcow2 images (plain, zlib, zstd, extended L2 with
// a backing file, v2 with a snapshot): open, describe, map, read everything,
// write a little. Any exception other than an FsError, or a hang, fails.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { fuzz, prng } from '../../../test/helpers/fuzz.js';
import { needTools } from '../../../test/helpers/tools.js';
import { dataView } from '../../binary/reader.js';
import { FsError } from '../../errors.js';
import type { OpenContext } from '../container.js';
import { MemoryDevice } from '../memory.js';
import { Qcow2Device } from './device.js';
import { parseHeader } from './header.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = skip ? '' : await fixture('qcow2/small.sh');

function context(readOnly: boolean, base: Uint8Array): OpenContext {
  return {
    readOnly,
    openRelated: async (name) => {
      if (name !== 'base.raw') throw new FsError('ENOENT', `no ${name}`);
      return { device: new MemoryDevice(base, { readOnly: true }), name };
    },
  };
}

/** Header, L1 table, first L2 tables, refcount table and first refcount block of the unmutated image. */
function hotspots(b: Uint8Array): Array<[number, number]> {
  const h = parseHeader(b.subarray(0, 65536), b.length);
  const spots: Array<[number, number]> = [[0, 512]];
  spots.push([h.l1_table_offset, h.l1_table_offset + h.l1_size * 8]);
  const v = dataView(b);
  for (let i = 0; i < Math.min(h.l1_size, 4); i++) {
    const l2 = v.getUint32(h.l1_table_offset + i * 8 + 4, false) & ~0x1ff;
    if (l2) spots.push([l2, l2 + Math.min(h.clusterSize, 4096)]);
  }
  spots.push([h.refcount_table_offset, h.refcount_table_offset + 64]);
  const rb = v.getUint32(h.refcount_table_offset + 4, false);
  if (rb) spots.push([rb, rb + 256]);
  if (h.snapshots_offset) spots.push([h.snapshots_offset, h.snapshots_offset + 128]);
  return spots;
}

// The zstd cases read only the first quarter of the disk, so enough cases fit the budget (chosen when zstd was pure JS).
const READ_LIMIT: Record<string, number> = { zstd: 256 << 10 };

for (const name of ['plain', 'zlib', 'zstd', 'extl2', 'v2']) {
  test(`qcow2 fuzz ${name}: mutated images fail with FsError or read fine`, { skip, timeout: 60_000 }, async (t) => {
    const image = new Uint8Array(await readFile(join(dir, `${name}.qcow2`)));
    const base = new Uint8Array(await readFile(join(dir, 'base.raw')));
    const result = await fuzz({
      base: image,
      seed: 0x9c0 + name.length,
      iterations: 400,
      timeBudgetMs: 1500,
      hotspots: hotspots(image),
      run: async (bytes, caseNo) => {
        const writable = caseNo % 3 === 0;
        const dev = await Qcow2Device.open(new MemoryDevice(bytes), context(!writable, base));
        try {
          dev.describe();
          await dev.blockStatus(0, dev.size);
          const buf = new Uint8Array(65536);
          const limit = Math.min(dev.size, READ_LIMIT[name] ?? Infinity);
          for (let off = 0; off < limit; off += buf.length) await dev.read(buf.subarray(0, Math.min(buf.length, limit - off)), off);
          if (writable && !dev.readOnly) {
            const rand = prng(caseNo);
            const off = Math.floor(rand() * (dev.size - 5000));
            await dev.write(new Uint8Array(1 + Math.floor(rand() * 4999)).fill(caseNo & 0xff), off);
            await dev.read(buf.subarray(0, 4096), off);
            await dev.flush();
          }
        } finally {
          await dev.close();
        }
      },
    });
    t.diagnostic(`${name}: ${JSON.stringify(result)}`);
    assert.ok(result.cases >= 10, `ran ${result.cases} cases`);
    assert.ok(result.fsErrors > 0 && result.ok > 0, JSON.stringify(result));
  });
}

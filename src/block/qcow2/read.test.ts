// Reads every byte of qcow2 images made by qemu-img/qemu-io and compares with `qemu-img convert -O raw`.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools, run } from '../../../test/helpers/tools.js';
import { openQcow2 } from '../../../test/qcow2/open-context.js';
import { prng } from '../../../test/helpers/fuzz.js';
import { firstDifference } from '../../../test/qcow2/bytes.js';
import type { BlockDevice } from '../device.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = skip ? '' : await fixture('qcow2/read.sh');

const IMAGES = [
  'v3', 'v2', 'cs-512', 'cs-4k', 'cs-2M',
  'refcount-1', 'refcount-2', 'refcount-4', 'refcount-8', 'refcount-32', 'refcount-64',
  'zlib', 'zlib-4k', 'zlib-2m', 'zstd', 'zstd-io',
  'extl2', 'extl2-full', 'mid', 'top', 'top-v2', 'snap', 'dirty', 'corrupt', 'bitmap',
];

async function readAll(dev: BlockDevice, chunk: number): Promise<Uint8Array> {
  const out = new Uint8Array(dev.size);
  for (let off = 0; off < dev.size; off += chunk) {
    await dev.read(out.subarray(off, Math.min(dev.size, off + chunk)), off);
  }
  return out;
}

for (const name of IMAGES) {
  test(`qcow2 read ${name}: every byte equals qemu-img convert -O raw`, { skip }, async () => {
    const truth = new Uint8Array(await readFile(join(dir, `${name}.raw`)));
    const dev = await openQcow2(join(dir, `${name}.qcow2`));
    try {
      assert.equal(dev.size, truth.length);
      for (const chunk of [1 << 20, 65537, 4096 + 512]) {
        const got = await readAll(dev, chunk);
        const at = firstDifference(got, truth);
        assert.equal(at, -1, `${name}: first difference at byte ${at} reading in chunks of ${chunk}`);
      }
      // Random small reads, several at once (shared caches, concurrent decompression).
      const rand = prng(name.length * 7919);
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          const off = Math.floor(rand() * (dev.size - 1));
          const len = 1 + Math.floor(rand() * Math.min(200000, dev.size - off - 1));
          const buf = new Uint8Array(len);
          await dev.read(buf, off);
          const at = firstDifference(buf, truth.subarray(off, off + len));
          assert.equal(at, -1, `${name}: read of ${len} at ${off} differs at +${at}`);
        }),
      );
    } finally {
      await dev.close();
    }
  });
}

test('qcow2 describe: the fields qemu-img info reports', { skip }, async () => {
  for (const name of ['v3', 'v2', 'zstd', 'extl2', 'top', 'snap', 'dirty', 'corrupt', 'refcount-1', 'cs-512', 'bitmap']) {
    const path = join(dir, `${name}.qcow2`);
    const info = JSON.parse(await run('qemu-img', ['info', '-U', '--output=json', path]));
    const data = info['format-specific'].data;
    const dev = await openQcow2(path);
    try {
      const d = dev.describe();
      const det = d.details!;
      assert.equal(d.format, 'qcow2');
      assert.equal(det.virtualSize, info['virtual-size'], name);
      assert.equal(det.clusterSize, info['cluster-size'], name);
      assert.equal(det.version, data.compat === '0.10' ? 2 : 3, name);
      assert.equal(det.backingFile, info['backing-filename'], name);
      assert.equal(det.backingFormat, info['backing-filename-format'], name);
      assert.equal(det.dirty, info['dirty-flag'], name);
      if (data.compat !== '0.10') {
        assert.equal(det.compressionType, data['compression-type'], name);
        assert.equal(det.extendedL2, data['extended-l2'], name);
        assert.equal(det.refcountBits, data['refcount-bits'], name);
        assert.equal(det.corrupt, data.corrupt, name);
        assert.equal(det.lazyRefcounts, data['lazy-refcounts'], name);
        assert.equal(det.bitmaps, (data.bitmaps ?? []).length, name);
      }
      const snaps = (info.snapshots ?? []).map((s: { id: string; name: string }) => `${s.id}:${s.name}`);
      assert.deepEqual((det.snapshots as Array<{ id: string; name: string }>).map((s) => `${s.id}:${s.name}`), snaps, name);
      assert.match(d.summary, new RegExp(`^qcow2 v${det.version}, 4 MiB virtual`));
      if (info['backing-filename']) {
        assert.ok(d.summary.includes(`backing ${info['backing-filename']}`), d.summary);
        assert.ok(d.backing, `${name}: backing description`);
      }
      if (det.dirty || det.corrupt) assert.ok(d.warnings?.length, `${name}: warnings`);
    } finally {
      await dev.close();
    }
  }
});

test('qcow2 backing chain: opens each image with the format the overlay states', { skip }, async () => {
  const log: Array<{ name: string; format: string }> = [];
  const dev = await openQcow2(join(dir, 'top.qcow2'), { log });
  try {
    assert.deepEqual(log.map((l) => [l.name.split('/').pop(), l.format]), [['top.qcow2', 'qcow2'], ['mid.qcow2', 'qcow2'], ['base.raw', 'raw']]);
    const d = dev.describe();
    assert.equal(d.backing?.format, 'qcow2');
    assert.equal(d.backing?.backing?.format, 'raw');
  } finally {
    await dev.close();
  }
});

test('qcow2 blockStatus: data and zero runs agree with qemu-img map', { skip }, async () => {
  for (const name of ['v3', 'top', 'extl2', 'zlib', 'snap']) {
    const path = join(dir, `${name}.qcow2`);
    const map = JSON.parse(await run('qemu-img', ['map', '-U', '--output=json', path])) as Array<{ start: number; length: number; data: boolean; zero: boolean }>;
    const dev = await openQcow2(path);
    try {
      // Expand QEMU's map to per-512-byte kinds, then walk ours and compare.
      const kindAt = (off: number) => {
        const m = map.find((r) => off >= r.start && off < r.start + r.length)!;
        return m.data ? 'data' : 'zero';
      };
      let off = 0;
      let runs = 0;
      while (off < dev.size) {
        const st = await dev.blockStatus(off, dev.size - off);
        assert.ok(st.length > 0 && off + st.length <= dev.size);
        for (let p = off; p < off + st.length; p += 512) {
          // QEMU reports data runs of the raw base that hold zeros as data too; both are "data" there.
          assert.equal(st.kind, kindAt(p), `${name}: kind at ${p} (our run ${off}+${st.length})`);
        }
        off += st.length;
        runs++;
      }
      assert.ok(runs >= 2, `${name}: more than one run`);
    } finally {
      await dev.close();
    }
  }
});

test('qcow2 2 TiB sparse image: opens, describes and maps without work proportional to its size', { skip }, async () => {
  const big = await openQcow2(join(dir, 'big.qcow2x'));
  try {
    assert.equal(big.size, 2 ** 41);
    assert.equal(big.describe().summary, 'qcow2 v3, 2 TiB virtual');
    const map = JSON.parse(await readFile(join(dir, 'big.map.json'), 'utf8')) as Array<{ start: number; length: number; data: boolean }>;
    const st = await big.blockStatus(0, big.size);
    assert.deepEqual(st, { kind: 'zero', length: map[0]!.length });
    const tail = await big.blockStatus(map[1]!.start, big.size - map[1]!.start);
    assert.deepEqual(tail, { kind: 'data', length: 65536 });
    const buf = new Uint8Array(65536 + 4096);
    await big.read(buf, map[1]!.start - 4096);
    assert.ok(buf.subarray(0, 4096).every((b) => b === 0));
    assert.ok(buf.subarray(4096).every((b) => b === 0xcd));
  } finally {
    await big.close();
  }
});

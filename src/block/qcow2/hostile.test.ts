// Hand-made hostile qcow2 images: real images (qemu-img) with one structure
// broken on purpose. Each must give an FsError with the right errno and a
// message naming the structure — never a crash, a hang or a huge allocation.
import '../../node/codecs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../../../test/helpers/fixtures.js';
import { needTools } from '../../../test/helpers/tools.js';
import { openQcow2 } from '../../../test/qcow2/open-context.js';
import { dataView, setU64be } from '../../binary/reader.js';
import { FsError, type ErrnoCode } from '../../errors.js';
import type { OpenContext } from '../container.js';
import { MemoryDevice } from '../memory.js';
import { Qcow2Device } from './device.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = skip ? '' : await fixture('qcow2/small.sh');
const readDir = skip ? '' : await fixture('qcow2/read.sh');

const images = new Map<string, Uint8Array>();
async function image(name: string): Promise<Uint8Array> {
  if (!images.has(name)) images.set(name, new Uint8Array(await readFile(join(dir, name))));
  return images.get(name)!.slice();
}

function context(readOnly: boolean): OpenContext {
  return {
    readOnly,
    openRelated: async (name) => {
      if (name !== 'base.raw') throw new FsError('ENOENT', `no ${name}`);
      return { device: new MemoryDevice(new Uint8Array(await readFile(join(dir, 'base.raw'))), { readOnly: true }), name };
    },
  };
}

type Phase = 'open' | 'read' | 'write';

/** Opens `bytes`, then reads every byte (and writes, for 'write'); expects `code` with a message matching `re` at `phase`. */
async function expectFailure(bytes: Uint8Array, phase: Phase, code: ErrnoCode, re: RegExp): Promise<void> {
  let dev: Qcow2Device | undefined;
  const check = (e: unknown) => {
    assert.ok(e instanceof FsError, `expected an FsError, got ${(e as Error)?.stack ?? e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.match(e.message, /qcow2/);
    return true;
  };
  try {
    if (phase === 'open') {
      await assert.rejects(Qcow2Device.open(new MemoryDevice(bytes), context(true)), check);
      return;
    }
    dev = await Qcow2Device.open(new MemoryDevice(bytes), context(phase !== 'write'));
    const all = new Uint8Array(dev.size);
    if (phase === 'read') {
      await assert.rejects(dev.read(all, 0), check);
      return;
    }
    await dev.read(all, 0);
    await assert.rejects(
      (async () => {
        for (let off = 0; off < dev!.size; off += 65536) await dev!.write(new Uint8Array(1000).fill(9), off + 100);
      })(),
      check,
    );
  } finally {
    await dev?.close();
  }
}

const u32 = (b: Uint8Array, at: number, v: number) => dataView(b).setUint32(at, v >>> 0, false);
const u64 = (b: Uint8Array, at: number, v: number) => setU64be(dataView(b), at, v);
const get32 = (b: Uint8Array, at: number) => dataView(b).getUint32(at, false);
const get64 = (b: Uint8Array, at: number) => get32(b, at) * 2 ** 32 + get32(b, at + 4);
/** Host offset of L2 table `i` from the L1 table (bits 9-55 of the entry). */
const l2Of = (b: Uint8Array, i = 0) => {
  const at = get64(b, 40) + i * 8;
  return (get32(b, at) & 0x00ffffff) * 2 ** 32 + ((get32(b, at + 4) & 0xfffffe00) >>> 0);
};
/** An L1/L2 entry: offset with the COPIED flag. */
const copied = (b: Uint8Array, at: number, offset: number) => {
  u32(b, at, 0x80000000 | Math.floor(offset / 2 ** 32));
  u32(b, at + 4, offset % 2 ** 32);
};
const CS = 4096;

interface Case {
  name: string;
  image: string;
  mutate: (b: Uint8Array) => Uint8Array | void;
  phase: Phase;
  code: ErrnoCode;
  re: RegExp;
}

const CASES: Case[] = [
  { name: 'truncated to 60 bytes', image: 'plain.qcow2', mutate: (b) => b.slice(0, 60), phase: 'open', code: 'EIO', re: /header.*truncated/ },
  { name: 'v3 header cut at 100 bytes', image: 'plain.qcow2', mutate: (b) => b.slice(0, 100), phase: 'open', code: 'EIO', re: /truncated/ },
  { name: 'zeroed header', image: 'plain.qcow2', mutate: (b) => void b.fill(0, 0, 512), phase: 'open', code: 'EIO', re: /magic/ },
  { name: 'version 1', image: 'plain.qcow2', mutate: (b) => u32(b, 4, 1), phase: 'open', code: 'EOPNOTSUPP', re: /version 1/ },
  { name: 'cluster_bits 8', image: 'plain.qcow2', mutate: (b) => u32(b, 20, 8), phase: 'open', code: 'EIO', re: /cluster_bits 8/ },
  { name: 'cluster_bits 22', image: 'plain.qcow2', mutate: (b) => u32(b, 20, 22), phase: 'open', code: 'EOPNOTSUPP', re: /cluster_bits 22/ },
  { name: 'cluster_bits 2^32-1', image: 'plain.qcow2', mutate: (b) => u32(b, 20, 0xffffffff), phase: 'open', code: 'EOPNOTSUPP', re: /cluster_bits/ },
  { name: 'virtual size 2^63', image: 'plain.qcow2', mutate: (b) => dataView(b).setBigUint64(24, 1n << 63n, false), phase: 'open', code: 'EOPNOTSUPP', re: /virtual size/ },
  { name: 'virtual size 2^50 with a small L1', image: 'plain.qcow2', mutate: (b) => u64(b, 24, 2 ** 50), phase: 'open', code: 'EIO', re: /L1 table too small/ },
  { name: 'l1_size 2^31-1', image: 'plain.qcow2', mutate: (b) => u32(b, 36, 0x7fffffff), phase: 'open', code: 'EOPNOTSUPP', re: /L1 table .* exceeds the 32 MiB limit/ },
  { name: 'l1_size 3 million (inside the limit, past the file)', image: 'plain.qcow2', mutate: (b) => u32(b, 36, 3_000_000), phase: 'open', code: 'EIO', re: /L1 table.*past the end of the file/ },
  { name: 'L1 table past the end', image: 'plain.qcow2', mutate: (b) => u64(b, 40, b.length + CS), phase: 'open', code: 'EIO', re: /L1 table.*past the end/ },
  { name: 'L1 table over the header', image: 'plain.qcow2', mutate: (b) => u64(b, 40, 0), phase: 'open', code: 'EIO', re: /L1 table.*overlaps the header/ },
  { name: 'L1 table unaligned', image: 'plain.qcow2', mutate: (b) => u64(b, 40, get64(b, 40) + 8), phase: 'open', code: 'EIO', re: /L1 table.*not cluster-aligned/ },
  { name: 'refcount_order 7', image: 'plain.qcow2', mutate: (b) => u32(b, 96, 7), phase: 'open', code: 'EIO', re: /refcount_order 7/ },
  { name: 'header_length 50', image: 'plain.qcow2', mutate: (b) => u32(b, 100, 50), phase: 'open', code: 'EIO', re: /header_length 50/ },
  { name: 'header_length past the cluster', image: 'plain.qcow2', mutate: (b) => u32(b, 100, 1 << 20), phase: 'open', code: 'EIO', re: /header_length/ },
  { name: 'header extension longer than the cluster', image: 'plain.qcow2', mutate: (b) => (u32(b, 112, 0x12345678), u32(b, 116, 0x7fffffff)), phase: 'open', code: 'EIO', re: /header extension.*runs past/ },
  { name: 'backing name longer than 1023 bytes', image: 'extl2.qcow2', mutate: (b) => u32(b, 16, 2000), phase: 'open', code: 'EIO', re: /backing file name/ },
  { name: 'backing name offset outside the header cluster', image: 'extl2.qcow2', mutate: (b) => u64(b, 8, 1 << 30), phase: 'open', code: 'EIO', re: /backing_file_offset/ },
  { name: 'unknown incompatible feature bit 9', image: 'plain.qcow2', mutate: (b) => u32(b, 76, 1 << 9), phase: 'open', code: 'EOPNOTSUPP', re: /incompatible feature.*bit 9/ },
  {
    name: 'unknown incompatible bit named by the feature table',
    image: 'plain.qcow2',
    mutate: (b) => {
      u32(b, 76, 1 << 12);
      // A feature name table naming incompatible bit 12, as a newer writer would add.
      u32(b, 112, 0x6803f857);
      u32(b, 116, 48);
      b[120] = 0;
      b[121] = 12;
      b.set(new TextEncoder().encode('frobnicate'), 122);
    },
    phase: 'open',
    code: 'EOPNOTSUPP',
    re: /bit 12 \('frobnicate'\)/,
  },
  { name: 'AES encryption', image: 'plain.qcow2', mutate: (b) => u32(b, 32, 1), phase: 'open', code: 'EOPNOTSUPP', re: /encrypted.*AES/ },
  { name: 'external data file bit', image: 'plain.qcow2', mutate: (b) => u32(b, 76, 1 << 2), phase: 'open', code: 'EOPNOTSUPP', re: /external data file/ },
  { name: 'compression type 2', image: 'zstd.qcow2', mutate: (b) => void (b[104] = 2), phase: 'open', code: 'EOPNOTSUPP', re: /compression_type 2/ },
  { name: 'compression type bit with zlib', image: 'zstd.qcow2', mutate: (b) => void (b[104] = 0), phase: 'open', code: 'EIO', re: /compression type feature bit/ },
  { name: 'compression type without its bit', image: 'plain.qcow2', mutate: (b) => void (b[104] = 1), phase: 'open', code: 'EIO', re: /compression_type 1 without/ },
  { name: 'nb_snapshots 70000', image: 'v2.qcow2', mutate: (b) => u32(b, 60, 70000), phase: 'open', code: 'EIO', re: /nb_snapshots/ },
  { name: 'L1 entry: L2 table past the end', image: 'plain.qcow2', mutate: (b) => copied(b, get64(b, 40), b.length + CS * 4), phase: 'read', code: 'EIO', re: /L1 entry 0.*beyond the end/ },
  { name: 'L1 entry: L2 table unaligned', image: 'plain.qcow2', mutate: (b) => copied(b, get64(b, 40), l2Of(b) + 512), phase: 'read', code: 'EIO', re: /L1 entry 0.*not cluster-aligned/ },
  { name: 'L2 entry past the end of the file', image: 'plain.qcow2', mutate: (b) => copied(b, l2Of(b) + 8 * 20, b.length + CS * 16), phase: 'read', code: 'EIO', re: /data cluster.*beyond the end of the file/ },
  { name: 'L2 entry unaligned', image: 'plain.qcow2', mutate: (b) => copied(b, l2Of(b) + 8 * 20, CS * 3 + 1024), phase: 'read', code: 'EIO', re: /L2 entry.*not cluster-aligned/ },
  { name: 'L2 entry at offset 0 with COPIED', image: 'plain.qcow2', mutate: (b) => copied(b, l2Of(b) + 8 * 20, 0), phase: 'read', code: 'EIO', re: /L2 entry.*offset 0/ },
  { name: 'zero flag in a v2 image', image: 'v2.qcow2', mutate: (b) => u64(b, l2Of(b) + 8 * 30, 1), phase: 'read', code: 'EIO', re: /zero cluster flag in a version 2 image/ },
  {
    name: 'compressed cluster past the end of the file',
    image: 'zlib.qcow2',
    mutate: (b) => {
      const at = l2Of(b) + 8 * 3;
      u32(b, at, (get32(b, at) & 0xfff00000) | 0x0000ffff);
    },
    phase: 'read',
    code: 'EIO',
    re: /compressed cluster.*beyond the end/,
  },
  {
    name: 'compressed cluster pointing at garbage',
    image: 'zlib.qcow2',
    mutate: (b) => {
      const at = l2Of(b) + 8 * 3;
      u32(b, at + 4, 20); // into the header
    },
    phase: 'read',
    code: 'EIO',
    re: /compressed cluster/,
  },
  {
    name: 'compressed cluster with the largest sector count, into garbage',
    image: 'zstd.qcow2',
    mutate: (b) => {
      const at = l2Of(b) + 8 * 5;
      u32(b, at, get32(b, at) | 0x3ff00000);
      u32(b, at + 4, 4096 + 77);
    },
    phase: 'read',
    code: 'EIO',
    re: /compressed cluster/,
  },
  {
    name: 'extended L2: subclusters both allocated and zero',
    image: 'extl2.qcow2',
    mutate: (b) => {
      const l2 = l2Of(b);
      for (let i = 0; i < 16384 / 16; i++) if (get32(b, l2 + i * 16 + 12)) u32(b, l2 + i * 16 + 8, get32(b, l2 + i * 16 + 12));
    },
    phase: 'read',
    code: 'EIO',
    re: /both allocated and zero/,
  },
  {
    name: 'refcount table pointing at itself',
    image: 'plain.qcow2',
    mutate: (b) => u64(b, get64(b, 48), get64(b, 48)),
    phase: 'write',
    code: 'EIO',
    re: /refcount block.*refcount table/,
  },
  { name: 'refcount table past the end', image: 'plain.qcow2', mutate: (b) => u64(b, 48, b.length + CS * 8), phase: 'write', code: 'EIO', re: /refcount table.*beyond the end/ },
  { name: 'no refcount table', image: 'plain.qcow2', mutate: (b) => u32(b, 56, 0), phase: 'write', code: 'EIO', re: /no refcount table/ },
  { name: 'refcount block past the end', image: 'plain.qcow2', mutate: (b) => u64(b, get64(b, 48), b.length + CS * 100), phase: 'write', code: 'EIO', re: /refcount block.*beyond the end/ },
  {
    name: 'L2 entry (COPIED) pointing at the L1 table',
    image: 'plain.qcow2',
    mutate: (b) => copied(b, l2Of(b), get64(b, 40)),
    phase: 'write',
    code: 'EIO',
    re: /points at image metadata/,
  },
  {
    name: 'L1 entry (COPIED) pointing at the L1 table itself',
    image: 'plain.qcow2',
    mutate: (b) => copied(b, get64(b, 40), get64(b, 40)),
    phase: 'write',
    code: 'EIO',
    re: /L2 table .* overlaps image metadata/,
  },
  {
    name: 'L2 entry (COPIED) pointing at a refcount block',
    image: 'plain.qcow2',
    mutate: (b) => copied(b, l2Of(b), get64(b, get64(b, 48))),
    phase: 'write',
    code: 'EIO',
    re: /points at image metadata/,
  },
];

for (const c of CASES) {
  test(`qcow2 hostile: ${c.name} → ${c.code}`, { skip }, async () => {
    const b = await image(c.image);
    const mutated = c.mutate(b) ?? b;
    await expectFailure(mutated, c.phase, c.code, c.re);
  });
}

test('qcow2 hostile: a snapshot table past the end keeps the image readable, not writable', { skip }, async () => {
  const b = await image('v2.qcow2');
  u64(b, 64, b.length + CS * 10);
  const dev = await Qcow2Device.open(new MemoryDevice(b), context(false));
  assert.equal(dev.readOnly, true);
  assert.match(dev.describe().warnings!.join(), /snapshot table/);
  const raw = new Uint8Array(await readFile(join(dir, 'v2.raw')));
  const all = new Uint8Array(dev.size);
  await dev.read(all, 0);
  assert.deepEqual(all, raw);
  await assert.rejects(dev.write(new Uint8Array(1), 0), (e: unknown) => e instanceof FsError && e.code === 'EROFS' && /snapshot table/.test(e.message));
});

test('qcow2 hostile: encrypted (LUKS) and external-data-file images made by qemu-img are refused by name', { skip }, async () => {
  await assert.rejects(openQcow2(join(readDir, 'luks.qcow2x')), (e: unknown) => e instanceof FsError && e.code === 'EOPNOTSUPP' && /encrypted.*LUKS/.test(e.message));
  await assert.rejects(openQcow2(join(readDir, 'extdata.qcow2x')), (e: unknown) => e instanceof FsError && e.code === 'EOPNOTSUPP' && /external data file.*external\.data/.test(e.message));
});

test('qcow2 hostile: a backing file the host cannot open is a clear error', { skip }, async () => {
  const b = await image('extl2.qcow2');
  await assert.rejects(Qcow2Device.open(new MemoryDevice(b), { readOnly: true }), (e: unknown) => e instanceof FsError && e.code === 'EOPNOTSUPP' && /backing file 'base.raw'/.test(e.message));
});

test('qcow2 hostile: backing names pointing at the image itself or in a cycle reach the host loop guard', { skip }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'qcow2-loop-'));
  try {
    const name = (b: Uint8Array, backing: string) => {
      // Put the name near the end of the 4 KiB header cluster, after the extensions.
      const bytes = new TextEncoder().encode(backing);
      u64(b, 8, 3000);
      u32(b, 16, bytes.length);
      b.set(bytes, 3000);
      return b;
    };
    await writeFile(join(tmp, 'self.qcow2'), name(await image('plain.qcow2'), 'self.qcow2'));
    await writeFile(join(tmp, 'a.qcow2'), name(await image('plain.qcow2'), 'b.qcow2'));
    await writeFile(join(tmp, 'b.qcow2'), name(await image('plain.qcow2'), './a.qcow2'));
    await copyFile(join(dir, 'plain.qcow2'), join(tmp, 'unused.qcow2'));
    for (const f of ['self.qcow2', 'a.qcow2', 'b.qcow2']) {
      await assert.rejects(openQcow2(join(tmp, f)), (e: unknown) => e instanceof FsError && e.code === 'ELOOP', f);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

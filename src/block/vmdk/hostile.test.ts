// Hostile VMDK input: seeded fuzzing of real images plus hand-made corruptions.
// Every failure must be an FsError with an errno and a message naming the structure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { needTools } from '../../../test/helpers/tools.js';

import { containerFixture, exercise, fuzzImage as fuzz, memoryContext } from '../../../test/containers/helpers.js';
import { FsError, isFsError } from '../../errors.js';
import { MemoryDevice } from '../memory.js';
import { vmdkFormat } from './index.js';
import { parseSparseHeader } from './header.js';

const skip = needTools('qemu-img', 'qemu-io');
const dir = () => containerFixture('vmdk.sh');
const enc = new TextEncoder();

const open = (bytes: Uint8Array, related: Record<string, () => Promise<MemoryDevice>> = {}, asked: string[] = []) =>
  vmdkFormat.open(new MemoryDevice(bytes, { readOnly: true }), memoryContext(related, asked));

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof FsError, `not an FsError: ${(e as Error)?.stack}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

async function readAll(bytes: Uint8Array): Promise<void> {
  const dev = await open(bytes);
  try {
    await dev.read(new Uint8Array(dev.size), 0);
  } finally {
    await dev.close();
  }
}

for (const name of ['small-sparse', 'small-stream', 'small-footer']) {
  test(`vmdk fuzz: ${name}`, { skip }, async () => {
    const base = new Uint8Array(readFileSync(join(await dir(), `${name}.vmdk`)));
    const h = parseSparseHeader(base, 0);
    const gd = h.gdOffset > 0 ? h.gdOffset * 512 : base.length - 1536;
    const r = await fuzz({
      base,
      seed: name.length,
      iterations: 400,
      timeBudgetMs: 3000,
      hotspots: [[0, 512], [512, 11264], [gd, gd + 4096], [base.length - 1536, base.length]],
      run: async (bytes) => exercise(await open(bytes)),
    });
    assert.ok(r.cases > 50 && r.fsErrors > 0, JSON.stringify(r));
  });
}

test('vmdk fuzz: descriptor file with extents', async () => {
  const base = enc.encode('# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="twoGbMaxExtentFlat"\n\n# Extent description\nRW 2048 FLAT "a-f001.vmdk" 0\nRW 1024 ZERO\nRW 4096 FLAT "a-f002.vmdk" 8\n\n# The Disk Data Base\nddb.adapterType = "ide"\n');
  const related = { 'a-f001.vmdk': async () => MemoryDevice.zeroed(1 << 20), 'a-f002.vmdk': async () => MemoryDevice.zeroed(3 << 20) };
  const r = await fuzz({ base, seed: 3, iterations: 400, timeBudgetMs: 2000, run: async (bytes) => exercise(await open(bytes, related)) });
  assert.ok(r.ok > 0 && r.fsErrors > 0, JSON.stringify(r));
});

test('vmdk hostile: bad sparse headers', { skip }, async () => {
  const base = new Uint8Array(readFileSync(join(await dir(), 'small-sparse.vmdk')));
  const patch = (off: number, bytes: number[]) => {
    const b = base.slice();
    b.set(bytes, off);
    return b;
  };
  await rejectsWith(open(patch(20, [0, 0, 0, 0, 0, 0, 0, 0])), 'EIO', /grainSize 0/);
  await rejectsWith(open(patch(20, [0, 0, 0, 0x40, 0, 0, 0, 0])), 'EIO', /grainSize \d+ sectors is not a power of two/);
  await rejectsWith(open(patch(44, [0, 0, 0, 0])), 'EIO', /numGTEsPerGT 0/);
  await rejectsWith(open(patch(12, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), 'EIO', /capacity .* absurd/);
  await rejectsWith(open(patch(56, [0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0])), 'EIO', /gdOffset sector \d+ lies outside the file/);
  await rejectsWith(open(patch(4, [9, 0, 0, 0])), 'EOPNOTSUPP', /version 9/);
  await rejectsWith(open(patch(0, [0x43, 0x4f, 0x57, 0x44])), 'EOPNOTSUPP', /COWD/);
  await rejectsWith(open(base.slice(0, 300)), 'EIO', /vmdk/);
  await rejectsWith(open(patch(8, [0, 0, 1, 0]).slice(0, base.length)), 'EOPNOTSUPP', /compression algorithm 0/);
});

test('vmdk hostile: grain directory and grain tables pointing outside', { skip }, async () => {
  const base = new Uint8Array(readFileSync(join(await dir(), 'small-sparse.vmdk')));
  const h = parseSparseHeader(base, 0);
  const dv = new DataView(base.buffer);
  const gdAt = h.gdOffset * 512;
  const gtAt = dv.getUint32(gdAt, true) * 512;
  // GD entry 0 points far past the end.
  let b = base.slice();
  new DataView(b.buffer).setUint32(gdAt, 0x7fffffff, true);
  await rejectsWith(readAll(b), 'EIO', /grain directory entry 0 at offset/);
  // GT entry 0 points past the end, then into the header and descriptor (before overHead).
  b = base.slice();
  new DataView(b.buffer).setUint32(gtAt, 0x7ffffff0, true);
  await rejectsWith(readAll(b), 'EIO', /grain table 0 at offset .*: entry 0 points to sector 2147483632, outside the grain area/);
  b = base.slice();
  new DataView(b.buffer).setUint32(gtAt, 1, true);
  await rejectsWith(readAll(b), 'EIO', /entry 0 points to sector 1, outside the grain area/);
});

test('vmdk hostile: stream-optimized grains that lie about their size, a missing footer', { skip }, async () => {
  const base = new Uint8Array(readFileSync(join(await dir(), 'small-footer.vmdk')));
  const footer = parseSparseHeader(base.subarray(base.length - 1024, base.length - 512), 0);
  const dv = new DataView(base.buffer);
  const gtAt = dv.getUint32(footer.gdOffset * 512, true) * 512;
  const grainAt = dv.getUint32(gtAt, true) * 512;
  let b = base.slice();
  new DataView(b.buffer).setUint32(grainAt + 8, 0x7fffffff, true);
  await rejectsWith(readAll(b), 'EIO', /compressed grain 0 at offset \d+ .*: grain marker size 2147483647 is impossible/);
  b = base.slice();
  b.fill(0x55, grainAt + 12, grainAt + 40); // corrupt the deflate stream itself
  await rejectsWith(readAll(b), 'EIO', /compressed grain 0/);
  b = base.slice(0, base.length - 1024); // footer gone
  await rejectsWith(open(b), 'EIO', /footer/);
});

test('vmdk hostile: descriptors — size cap, binary junk, extent caps, names passed unchanged', async () => {
  await rejectsWith(open(new Uint8Array(2 << 20).fill(0x41)), 'EIO', /too large .* for a descriptor file/);
  const junk = new Uint8Array(4096);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) & 0xff;
  await rejectsWith(open(junk), 'EIO', /neither a sparse extent .* nor a descriptor file/);
  const head = '# Disk DescriptorFile\r\nversion=1\r\ncreateType="twoGbMaxExtentSparse"\r\n';
  const many = head + Array.from({ length: 5000 }, (_, i) => `RW 8 SPARSE "x${i}.vmdk"`).join('\r\n');
  const asked: string[] = [];
  await rejectsWith(open(enc.encode(many), {}, asked), 'EOPNOTSUPP', /more than 1024 extents/);
  assert.deepEqual(asked, [], 'no extent opened before the descriptor was judged');
  const evil = `${head}RW 2048 FLAT "../../etc/passwd" 0\r\n`;
  await rejectsWith(open(enc.encode(evil), {}, asked), 'ENOENT', /passwd/);
  assert.deepEqual(asked, ['../../etc/passwd'], 'the name reaches openRelated unchanged (the host confines it)');
  await rejectsWith(open(enc.encode(`${head}RW 2048 VMFSSPARSE "a.vmdk"\r\n`)), 'EOPNOTSUPP', /vmfsSparse/);
  await rejectsWith(open(enc.encode(`${head}RW 2048 SESPARSE "a.vmdk"\r\n`)), 'EOPNOTSUPP', /seSparse/);
  await rejectsWith(open(enc.encode(`${head}RW 2048 VMFSRDM "a.vmdk"\r\n`)), 'EOPNOTSUPP', /raw device mapping/);
  await rejectsWith(open(enc.encode(`${head}RW 99999999999999999999 FLAT "a" 0\r\n`)), 'EIO', /out of range/);
  await rejectsWith(open(enc.encode(`${head}# no extents\r\n`)), 'EIO', /names no extents/);
  // A flat extent file shorter than the descriptor says.
  await rejectsWith(open(enc.encode(`${head}RW 2048 FLAT "short" 0\r\n`), { short: async () => MemoryDevice.zeroed(4096) }), 'EIO', /flat extent "short" .* needs 1048576 bytes but the file has 4096/);
  // Quoting, CRLF, comments and unknown keys are fine; a parent without a hint is not.
  const ok = await open(enc.encode(`${head}# comment\r\nRW 16 FLAT "f" 0\r\nRW 16 ZERO\r\nddb.geometry.heads = "16"\r\nweird line\r\n`), { f: async () => MemoryDevice.zeroed(8192) });
  assert.equal(ok.size, 32 * 512);
  await ok.close();
  await rejectsWith(open(enc.encode(`${head}parentCID=1234abcd\r\nRW 16 FLAT "f" 0\r\n`), { f: async () => MemoryDevice.zeroed(8192) }), 'EIO', /parentFileNameHint is missing/);
});

test('vmdk hostile: a parent the host refuses (loop) is reported, not retried', async () => {
  const head = '# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\ncreateType="monolithicFlat"\nparentFileNameHint="self.vmdk"\nRW 16 FLAT "f" 0\n';
  const asked: string[] = [];
  const ctx = memoryContext({ f: async () => MemoryDevice.zeroed(8192) }, asked);
  const loopy = { ...ctx, openRelated: async (n: string, o: Parameters<NonNullable<typeof ctx.openRelated>>[1]) => (n === 'self.vmdk' ? Promise.reject(new FsError('ELOOP', 'self.vmdk: loop')) : ctx.openRelated!(n, o)) };
  await assert.rejects(vmdkFormat.open(new MemoryDevice(enc.encode(head), { readOnly: true }), loopy), (e) => isFsError(e, 'ELOOP'));
});

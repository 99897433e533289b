/**
 * Test support for the container formats: an OpenContext whose openRelated
 * opens local files (relative to the referring image, like QEMU) and wraps
 * them in our opener by format, and a byte-for-byte comparison against the
 * raw truth a real tool wrote. Test code only: the real host side is
 * src/node/open.ts.
 */
import assert from 'node:assert/strict';
import { open as openFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import '../../src/node/codecs.js';
import { FsError } from '../../src/errors.js';
import type { BlockDevice } from '../../src/block/device.js';
import type { ContainerFormat, OpenContext, RelatedOptions, RelatedImage } from '../../src/block/container.js';
import { FileDevice } from '../../src/node/file-device.js';
import { fixture, fixturesDir } from '../helpers/fixtures.js';
import { mutate, prng, type FuzzOptions, type FuzzResult } from '../helpers/fuzz.js';
import { vmdkFormat } from '../../src/block/vmdk/index.js';
import { vhdFormat } from '../../src/block/vhd/index.js';
import { vhdxFormat } from '../../src/block/vhdx/index.js';
import { vdiFormat } from '../../src/block/vdi/index.js';
import { qedFormat } from '../../src/block/qed/index.js';

export const FORMATS: Record<string, ContainerFormat> = { vmdk: vmdkFormat, vpc: vhdFormat, vhdx: vhdxFormat, vdi: vdiFormat, qed: qedFormat };

/** Guessing a related image's format by its magic, enough for these tests. */
function sniff(head: Uint8Array, tail: Uint8Array): string {
  const ascii = (b: Uint8Array, n: number) => String.fromCharCode(...b.subarray(0, n));
  if (ascii(head, 4) === 'KDMV' || /Disk DescriptorFile/.test(ascii(head, Math.min(head.length, 64)))) return 'vmdk';
  if (ascii(head, 8) === 'conectix' || ascii(tail, 8) === 'conectix') return 'vpc';
  if (ascii(head, 8) === 'vhdxfile') return 'vhdx';
  if (head.length >= 68 && new DataView(head.buffer, head.byteOffset).getUint32(64, true) === 0xbeda107f) return 'vdi';
  if (ascii(head, 4) === 'QED\0') return 'qed';
  return 'raw';
}

export interface TestContextOptions {
  /** Called for every openRelated, to see what was asked. */
  onRelated?: (name: string, options: RelatedOptions) => void;
  depth?: number;
}

export function testContext(imagePath: string, options: TestContextOptions = {}): OpenContext {
  const depth = options.depth ?? 0;
  return {
    readOnly: true,
    name: imagePath,
    async openRelated(name: string, ro: RelatedOptions): Promise<RelatedImage> {
      options.onRelated?.(name, ro);
      if (depth >= 8) throw new FsError('ELOOP', `${ro.role} ${name}: chain of related images too deep`);
      const path = isAbsolute(name) ? name : resolve(dirname(imagePath), name);
      const file = await FileDevice.open(path);
      let format = ro.format;
      if (format === undefined) {
        const head = new Uint8Array(512);
        const tail = new Uint8Array(512);
        if (file.size >= 512) {
          await file.read(head, 0);
          await file.read(tail, file.size - 512);
        }
        format = sniff(head, tail);
      }
      if (format === 'raw') return { device: file, name: path };
      const f = FORMATS[format];
      if (!f) throw new FsError('EOPNOTSUPP', `no opener for ${format}`);
      try {
        return { device: await f.open(file, testContext(path, { ...options, depth: depth + 1 })), name: path };
      } catch (e) {
        await file.close();
        throw e;
      }
    },
  };
}

/** Opens `path` with our opener for `format` (catalogue id). */
export async function openImage(path: string, format: string, options: TestContextOptions = {}): Promise<BlockDevice> {
  const file = await FileDevice.open(path);
  try {
    return await FORMATS[format]!.open(file, testContext(path, options));
  } catch (e) {
    await file.close();
    throw e;
  }
}

/** Reads every byte of `dev` and compares it with the raw file `truthPath` (size too). */
export async function assertSameAsRaw(dev: BlockDevice, truthPath: string, chunk = 4 << 20): Promise<void> {
  const fh = await openFile(truthPath, 'r');
  try {
    const st = await fh.stat();
    assert.equal(dev.size, st.size, `virtual size vs ${truthPath}`);
    const ours = new Uint8Array(chunk);
    const theirs = Buffer.alloc(chunk);
    for (let off = 0; off < st.size; off += chunk) {
      const n = Math.min(chunk, st.size - off);
      const a = ours.subarray(0, n);
      await dev.read(a, off);
      const { bytesRead } = await fh.read(theirs, 0, n, off);
      assert.equal(bytesRead, n);
      if (Buffer.compare(Buffer.from(a.buffer, 0, n), theirs.subarray(0, n)) !== 0) {
        let i = 0;
        while (a[i] === theirs[i]) i++;
        assert.fail(`${truthPath}: first difference at byte ${off + i} (ours 0x${a[i]!.toString(16)}, truth 0x${theirs[i]!.toString(16)})`);
      }
    }
  } finally {
    await fh.close();
  }
}

/** Reads the device in odd-sized pieces at odd offsets and compares with the truth (exercises run splitting). */
export async function assertRandomReads(dev: BlockDevice, truthPath: string, seed = 7, count = 200): Promise<void> {
  const fh = await openFile(truthPath, 'r');
  try {
    let s = seed >>> 0;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < count; i++) {
      const len = 1 + Math.floor(rnd() * 300000);
      const off = Math.floor(rnd() * Math.max(1, dev.size - len));
      const n = Math.min(len, dev.size - off);
      const a = new Uint8Array(n);
      await dev.read(a, off);
      const b = Buffer.alloc(n);
      await fh.read(b, 0, n, off);
      assert.ok(Buffer.compare(Buffer.from(a.buffer), b) === 0, `${truthPath}: read of ${n} at ${off} differs`);
    }
  } finally {
    await fh.close();
  }
}

/** blockStatus must never call stored data zero where the truth has non-zero bytes. */
export async function assertStatusConsistent(dev: BlockDevice, truthPath: string): Promise<{ zero: number; data: number }> {
  assert.ok(dev.blockStatus, 'device has blockStatus');
  const fh = await openFile(truthPath, 'r');
  const totals = { zero: 0, data: 0 };
  try {
    for (let off = 0; off < dev.size; ) {
      const st = await dev.blockStatus!(off, Math.min(64 << 20, dev.size - off));
      assert.ok(st.length > 0);
      if (st.kind === 'zero') {
        const b = Buffer.alloc(st.length);
        await fh.read(b, 0, st.length, off);
        assert.ok(b.every((x) => x === 0), `blockStatus says zero at ${off} (+${st.length}) but truth has data`);
      }
      totals[st.kind] += st.length;
      off += st.length;
    }
  } finally {
    await fh.close();
  }
  return totals;
}

/**
 * `containerFixture('vhd.sh')` runs test/fixtures/containers/vhd.sh once.
 * The cache key covers every file in that folder (source.sh, the python
 * builders), not just the script, so editing a helper remakes the images.
 */
export function containerFixture(script: string): Promise<string> {
  const folder = resolve(fixturesDir, 'containers');
  const h = createHash('sha256');
  for (const f of readdirSync(folder).sort()) h.update(f).update(readFileSync(resolve(folder, f)));
  return fixture(`containers/${script}`, [h.digest('hex').slice(0, 16)]);
}

/** What a fuzz case does with an image it managed to open: describe it, read bits of it, ask block status, close. */
export async function exercise(dev: BlockDevice): Promise<void> {
  try {
    dev.describe?.();
    const n = Math.min(dev.size, 1 << 20);
    await dev.read(new Uint8Array(n), 0);
    const tail = Math.min(dev.size, 65536);
    await dev.read(new Uint8Array(tail), dev.size - tail);
    const mid = Math.floor(dev.size / 2 / 512) * 512;
    await dev.read(new Uint8Array(Math.min(300000, dev.size - mid)), mid);
    if (dev.blockStatus) await dev.blockStatus(0, Math.min(dev.size, 16 << 20));
  } finally {
    await dev.close();
  }
}

/** An OpenContext for in-memory images: related names resolve to the given devices (extents, parents). */
export function memoryContext(related: Record<string, () => Promise<BlockDevice>> = {}, asked: string[] = []): OpenContext {
  return {
    readOnly: true,
    name: 'fuzz',
    async openRelated(name: string, o: RelatedOptions): Promise<RelatedImage> {
      asked.push(name);
      const make = related[name];
      if (!make) throw new FsError('ENOENT', `${o.role} ${name}: no such file`);
      return { device: await make(), name };
    },
  };
}

/**
 * `fuzz` from test/helpers/fuzz.ts, with one guard: its `mutate` can throw a
 * RangeError of its own when a truncation is followed by a region copy past
 * the new end (reported to its owner). Such a case is skipped here instead
 * of failing the suite; everything else is the same contract: an FsError or
 * success is fine, anything else (or a hang) fails with seed and case.
 */
export async function fuzzImage(options: FuzzOptions): Promise<FuzzResult> {
  const seed = options.seed ?? 1;
  const rand = prng(seed);
  const result: FuzzResult = { cases: 0, fsErrors: 0, ok: 0, codes: {} };
  const start = Date.now();
  const iterations = options.iterations ?? 500;
  const budget = options.timeBudgetMs ?? 3000;
  for (let i = 0; i < iterations && Date.now() - start < budget; i++) {
    let bytes: Uint8Array;
    try {
      bytes = mutate(options.base, rand, options.hotspots);
    } catch (e) {
      if (e instanceof RangeError) continue;
      throw e;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fuzz case ${i} (seed ${seed}) took over ${options.caseTimeoutMs ?? 2000} ms: hang?`)), options.caseTimeoutMs ?? 2000);
    });
    try {
      await Promise.race([options.run(bytes, i), timeout]);
      result.ok++;
    } catch (e) {
      if (!(e instanceof FsError)) assert.fail(`fuzz case ${i} (seed ${seed}) threw a non-FsError: ${(e as Error)?.stack ?? e}`);
      result.fsErrors++;
      result.codes[e.code] = (result.codes[e.code] ?? 0) + 1;
    } finally {
      clearTimeout(timer);
    }
    result.cases++;
  }
  return result;
}

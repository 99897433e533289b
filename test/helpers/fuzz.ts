/**
 * Seeded mutation fuzzing of real images (bounded time and iterations).
 *
 * Each case mutates a copy of a real image (bit flips, zeroed or 0xff
 * runs, huge integers, truncation, copies of one region over another) and
 * runs the parser on it. The parser may succeed or throw an FsError; any
 * other exception, or a case that takes longer than `caseTimeoutMs`, fails
 * the test with the seed and case number so it can be replayed.
 */
import assert from 'node:assert/strict';
import { FsError } from '../../src/errors.js';

export interface FuzzOptions {
  /** The real image to mutate. */
  base: Uint8Array;
  /** Runs the parser; must exercise it (open, read metadata, read some data). */
  run: (bytes: Uint8Array, caseNo: number) => Promise<void>;
  seed?: number;
  iterations?: number;
  /** Stop early once this much time has gone (the suite must stay fast). */
  timeBudgetMs?: number;
  caseTimeoutMs?: number;
  /** Byte ranges worth mutating more often (headers, tables); whole image otherwise. */
  hotspots?: Array<[start: number, end: number]>;
}

export interface FuzzResult {
  cases: number;
  fsErrors: number;
  ok: number;
  /** errno name → count, to see that errors are specific. */
  codes: Record<string, number>;
}

/** mulberry32: small, fast, good enough to make mutations reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(base: Uint8Array, rand: () => number, hotspots?: Array<[number, number]>): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  let bytes = base.slice();
  // Positions are drawn inside the current bytes: an earlier round may have truncated them.
  const pick = (): number => {
    if (bytes.length === 0) return 0;
    if (hotspots && hotspots.length && rand() < 0.8) {
      const [s, e] = hotspots[int(hotspots.length)]!;
      return Math.min(bytes.length - 1, s + int(Math.max(1, e - s)));
    }
    return int(bytes.length);
  };
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    if (bytes.length === 0) break;
    const at = pick();
    switch (int(8)) {
      case 0: // flip a bit
        bytes[at] = bytes[at]! ^ (1 << int(8));
        break;
      case 1: // random byte
        bytes[at] = int(256);
        break;
      case 2: // zero a run
        bytes.fill(0, at, Math.min(bytes.length, at + 1 + int(64)));
        break;
      case 3: // 0xff run: huge counts and offsets
        bytes.fill(0xff, at, Math.min(bytes.length, at + 1 + int(8)));
        break;
      case 4: { // an interesting 32-bit value, either endianness
        const vals = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x200, bytes.length, bytes.length + 512];
        const v = vals[int(vals.length)]!;
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        if (at + 4 <= bytes.length) dv.setUint32(at & ~3, v >>> 0, rand() < 0.5);
        break;
      }
      case 5: // truncate
        if (rand() < 0.3) bytes = bytes.slice(0, pick());
        break;
      case 6: { // copy one region over another (pointers to the wrong structure)
        const from = pick();
        const len = 1 + int(512);
        const chunk = bytes.slice(from, from + len);
        bytes.set(chunk.subarray(0, Math.min(chunk.length, bytes.length - at)), at);
        break;
      }
      default: { // small integer nudge
        bytes[at] = (bytes[at]! + (rand() < 0.5 ? 1 : -1)) & 0xff;
      }
    }
  }
  return bytes;
}

export async function fuzz(options: FuzzOptions): Promise<FuzzResult> {
  const seed = options.seed ?? 1;
  const rand = prng(seed);
  const iterations = options.iterations ?? 500;
  const budget = options.timeBudgetMs ?? 10_000;
  const caseTimeout = options.caseTimeoutMs ?? 2_000;
  const start = Date.now();
  const result: FuzzResult = { cases: 0, fsErrors: 0, ok: 0, codes: {} };
  for (let i = 0; i < iterations && Date.now() - start < budget; i++) {
    const bytes = mutate(options.base, rand, options.hotspots);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fuzz case ${i} (seed ${seed}) took over ${caseTimeout} ms: hang?`)), caseTimeout);
    });
    try {
      await Promise.race([options.run(bytes, i), timeout]);
      result.ok++;
    } catch (e) {
      if (e instanceof FsError) {
        result.fsErrors++;
        result.codes[e.code] = (result.codes[e.code] ?? 0) + 1;
      } else {
        assert.fail(`fuzz case ${i} (seed ${seed}) threw a non-FsError: ${(e as Error)?.stack ?? e}`);
      }
    } finally {
      clearTimeout(timer);
    }
    result.cases++;
  }
  return result;
}

/**
 * identify(): what is this device? Runs every catalogue entry (optionally
 * only some kinds) against one RegionCache and orders the matches by
 * confidence, then catalogue order. Reads are bounded (see region-cache.ts)
 * and nothing thrown inside an entry escapes: a probe that cannot decide is
 * no match.
 */
import type { BlockDevice } from '../block/device.js';
import { CATALOGUE } from './catalogue/index.js';
import { Matcher, type MatcherOptions } from './match.js';
import type { FormatKind, Identification } from './types.js';

export interface IdentifyOptions extends MatcherOptions {
  /** Only entries of these kinds. */
  kinds?: FormatKind[];
  /** Every match, best first (default: only the best). */
  all?: boolean;
}

/** Statistics of the last identify call, for tests and `anymount info --debug`. */
export interface IdentifyStats {
  reads: number;
  bytesRead: number;
}

export const lastIdentifyStats: IdentifyStats = { reads: 0, bytesRead: 0 };

/**
 * A filesystem (or volume, archive …) found with strong evidence describes the whole
 * device, while a partition table beside it points inside it (hybrid ISOs carry both):
 * the former ranks first. Weak matches (floppy FAT without magic, lzma) never outrank
 * a checked table.
 */
function tier(m: Identification): number {
  return m.kind !== 'partition-table' && m.confidence >= 0.5 ? 1 : 0;
}

export async function identify(dev: BlockDevice, options: IdentifyOptions = {}): Promise<Identification[]> {
  const matcher = new Matcher(dev, CATALOGUE, options);
  // Most entries look inside the first 68 KiB (boot sectors, superblocks at 1 K,
  // 32 K, 64 K): one read instead of dozens.
  await matcher.cache.prefetch(0, 68 << 10);
  const found: Array<{ id: Identification; order: number }> = [];
  for (let i = 0; i < CATALOGUE.length; i++) {
    const entry = CATALOGUE[i]!;
    if (options.kinds && !options.kinds.includes(entry.kind)) continue;
    const m = await matcher.match(entry);
    if (m) found.push({ id: m, order: i });
  }
  lastIdentifyStats.reads = matcher.cache.reads;
  lastIdentifyStats.bytesRead = matcher.cache.bytesRead;
  found.sort((a, b) => tier(b.id) - tier(a.id) || b.id.confidence - a.id.confidence || a.order - b.order);
  const list = found.map((f) => f.id);
  return options.all ? list : list.slice(0, 1);
}

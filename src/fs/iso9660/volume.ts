/**
 * What every part of the driver needs to know about the open volume: the
 * device, the logical block size, the namespace being read, the Rock
 * Ridge skip from the root's SP entry, the name mapping, the metadata
 * cache and a bounded list of warnings (entries skipped, catalogues
 * ignored), plus reading one record's Rock Ridge fields.
 */
import type { BlockDevice } from '../../block/device.js';
import type { DirectoryRecord } from './directory-record.js';
import type { MetadataCache } from './metadata-cache.js';
import type { NameMapping } from './plain-names.js';
import { parseRockRidge, type RockRidgeInfo } from './rock-ridge.js';
import { parseSuspArea, readSuspEntries } from './susp.js';

export type Namespace = 'rockridge' | 'joliet' | 'plain';

export const MAX_WARNINGS = 100;

export interface IsoVolume {
  readonly dev: BlockDevice;
  readonly blockSize: number;
  readonly namespace: Namespace;
  /** Bytes to skip at the start of each system use area (SP LEN_SKP, plus 14 for CD-ROM XA). */
  readonly suspSkip: number;
  readonly map: NameMapping;
  readonly meta: MetadataCache;
  readonly warnings: string[];
}

export function warn(vol: IsoVolume, message: string): void {
  if (vol.warnings.length < MAX_WARNINGS) vol.warnings.push(message);
}

/**
 * The Rock Ridge fields of a record (following CE continuation areas), or
 * undefined outside the rockridge namespace. A broken continuation chain
 * keeps what was read before it, with a warning, and marks the fields
 * `incomplete` (readlink of such a symlink is EIO).
 */
export async function rockRidgeOf(vol: IsoVolume, r: DirectoryRecord, skip = vol.suspSkip): Promise<RockRidgeInfo | undefined> {
  if (vol.namespace !== 'rockridge') return undefined;
  const area = parseSuspArea(r.systemUse.subarray(Math.min(skip, r.systemUse.length)));
  if (!area.continuation) return parseRockRidge(area.entries);
  const { entries, error } = await readSuspEntries(
    area,
    (block, offset, length) => vol.meta.read(block * vol.blockSize + offset, length, `SUSP continuation area of the record at ${r.offset}`),
    vol.blockSize,
    r.offset,
  );
  const rr = parseRockRidge(entries);
  if (error) {
    warn(vol, error.message);
    rr.incomplete = error.message;
  }
  return rr;
}

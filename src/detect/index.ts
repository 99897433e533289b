/**
 * Detection: a data-driven catalogue of signatures and `identify()`, which
 * says what a device holds (container, partition table, filesystem, archive,
 * compressed stream, volume). See README.md for how entries are written.
 */
import { CATALOGUE } from './catalogue/index.js';
import type { FormatEntry } from './types.js';

export type {
  Check,
  Compare,
  Drivers,
  Fields,
  FormatEntry,
  FormatKind,
  Identification,
  Num,
  Offset,
  Signature,
  Text,
  Uuid,
  UuidFormat,
  Value,
} from './types.js';
export { identify, lastIdentifyStats, type IdentifyOptions, type IdentifyStats } from './identify.js';
export { CATALOGUE };

const byId = new Map(CATALOGUE.map((e) => [e.id, e]));

export function formatEntry(id: string): FormatEntry | undefined {
  return byId.get(id);
}

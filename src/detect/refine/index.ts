/**
 * The few things a catalogue entry cannot say as data, by name. An entry's
 * `refine: 'fat'` runs after its checks matched; it returns the (maybe
 * amended) identification, or null to reject. Each must be hostile-input safe:
 * bounded reads through the scope's cache only, no throws on bad bytes.
 */
import type { Scope } from '../evaluate.js';
import type { FormatEntry, Identification } from '../types.js';
import { refineAdfs } from './adfs.js';
import { refineAmigaBlockChecksum, refineAmigaBootChecksum, refineSunChecksum } from './checksums.js';
import { refineExfat } from './exfat.js';
import { refineFat } from './fat.js';
import { refineGpt } from './gpt.js';
import { refineIso9660 } from './iso9660.js';
import { refineMd1Checksum } from './md.js';
import { refineNtfs } from './ntfs.js';
import { refineTar } from './tar.js';
import { refineUdf } from './udf.js';

export interface RefineInput {
  /** What the entry's data said (fields already read). */
  match: Identification;
  /** The matched signature's scope: base, vars, and the device reads. */
  scope: Scope;
  entry: FormatEntry;
}

export type Refine = (input: RefineInput) => Promise<Identification | null>;

export const REFINES: Readonly<Record<string, Refine>> = {
  adfs: refineAdfs,
  amigaBlockChecksum: refineAmigaBlockChecksum,
  amigaBootChecksum: refineAmigaBootChecksum,
  exfat: refineExfat,
  fat: refineFat,
  gpt: refineGpt,
  iso9660: refineIso9660,
  md1Checksum: refineMd1Checksum,
  ntfs: refineNtfs,
  sunChecksum: refineSunChecksum,
  tar: refineTar,
  udf: refineUdf,
};

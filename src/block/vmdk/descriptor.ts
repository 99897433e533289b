/**
 * The VMDK text descriptor: `key=value` lines, extent lines
 * (`RW 4192256 SPARSE "disk-s001.vmdk"`) and `ddb.*` entries. It is either a
 * small file of its own (monolithicFlat, twoGbMaxExtent*) or embedded in a
 * sparse extent. Parsing is tolerant (comments, CRLF, quotes, unknown keys,
 * stray binary) and bounded (size and extent count caps).
 */
import { FsError } from '../../errors.js';
import { unsupported } from '../corrupt.js';

/** Descriptors are a few hundred bytes; anything bigger than this is not one. */
export const MAX_DESCRIPTOR_BYTES = 1 << 20;
/** A 2 TiB twoGbMaxExtent disk has 1024 extents; more is hostile. */
export const MAX_EXTENTS = 1024;

export type ExtentType = 'FLAT' | 'SPARSE' | 'ZERO' | 'VMFS' | 'VMFSSPARSE' | 'VMFSRDM' | 'VMFSRAW' | 'SESPARSE';

export interface ExtentLine {
  access: 'RW' | 'RDONLY' | 'NOACCESS';
  /** Size in sectors. */
  sectors: number;
  type: ExtentType;
  /** File name as written (relative to the descriptor), absent for ZERO. */
  fileName?: string;
  /** Start sector inside the file (FLAT/VMFS). */
  offset: number;
}

export interface Descriptor {
  /** Keys outside the DDB (version, CID, parentCID, createType, parentFileNameHint …), quotes removed. */
  fields: Map<string, string>;
  /** `ddb.*` keys (geometry, adapterType …). */
  ddb: Map<string, string>;
  extents: ExtentLine[];
}

const EXTENT_RE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/;
const EXTENT_TYPES = new Set<string>(['FLAT', 'SPARSE', 'ZERO', 'VMFS', 'VMFSSPARSE', 'VMFSRDM', 'VMFSRAW', 'SESPARSE']);

/** Bytes up to the first NUL (embedded descriptors are NUL-padded), as Latin-1 text. */
export function descriptorText(bytes: Uint8Array): string {
  if (bytes.length > MAX_DESCRIPTOR_BYTES) {
    throw unsupported('vmdk', `descriptor of ${bytes.length} bytes (limit ${MAX_DESCRIPTOR_BYTES})`);
  }
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  // UTF-8 names are common in the wild; fall back to Latin-1 for anything else.
  const slice = bytes.subarray(0, end);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(slice);
  } catch {
    let s = '';
    for (let i = 0; i < slice.length; i++) s += String.fromCharCode(slice[i]!);
    return s;
  }
}

/** True if the bytes look like a descriptor file (so a file that is neither KDMV nor text gets a clear error). */
export function looksLikeDescriptor(text: string): boolean {
  return /^\s*#\s*Disk\s*DescriptorFile/im.test(text) || /^\s*createType\s*=/m.test(text);
}

export function parseDescriptor(text: string): Descriptor {
  const fields = new Map<string, string>();
  const ddb = new Map<string, string>();
  const extents: ExtentLine[] = [];
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = EXTENT_RE.exec(line);
    if (m) {
      const type = m[3]!.toUpperCase();
      if (!EXTENT_TYPES.has(type)) throw unsupported('vmdk', `descriptor extent type ${type}`);
      if (extents.length >= MAX_EXTENTS) throw unsupported('vmdk', `descriptor names more than ${MAX_EXTENTS} extents`);
      const sectors = Number(m[2]);
      const offset = m[5] === undefined ? 0 : Number(m[5]);
      if (!Number.isSafeInteger(sectors) || !Number.isSafeInteger(offset) || sectors > 2 ** 44 || offset > 2 ** 44) {
        throw new FsError('EIO', `vmdk: descriptor extent line "${short(line)}": size or offset out of range`);
      }
      const ext: ExtentLine = { access: m[1] as ExtentLine['access'], sectors, type: type as ExtentType, offset };
      if (m[4] !== undefined) ext.fileName = m[4];
      else if (type !== 'ZERO') throw new FsError('EIO', `vmdk: descriptor extent line "${short(line)}" names no file`);
      extents.push(ext);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue; // not ours to judge: VMware ignores junk lines too
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key.startsWith('ddb.')) ddb.set(key, value);
    else fields.set(key, value);
  }
  return { fields, ddb, extents };
}

function short(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * The VHDX header section (first 1 MiB): file type identifier at 0, two
 * headers at 64 KiB and 128 KiB (the valid one with the higher sequence
 * number wins), two region tables at 192 KiB and 256 KiB. All little-endian,
 * each header and region table protected by CRC-32C. Field names follow
 * Microsoft's [MS-VHDX].
 */
import { BinaryReader } from '../../binary/reader.js';
import { corrupt, unsupported } from '../corrupt.js';
import { readStructure, type BlockDevice } from '../device.js';
import { crc32c } from '../../util/crc32.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const HEADER_OFFSETS = [64 * KiB, 128 * KiB];
export const REGION_TABLE_OFFSETS = [192 * KiB, 256 * KiB];
export const REGION_TABLE_SIZE = 64 * KiB;
export const BAT_GUID = '2DC27766-F623-4200-9D64-115E9BFD4A08';
export const METADATA_GUID = '8B7CA206-4790-4B9A-B8FE-575F050F886E';
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

/** A GUID as Windows writes it: first three fields little-endian. */
export function guidAt(r: BinaryReader, off: number): string {
  const b = r.slice(off, 16);
  if (b.length < 16) return NULL_GUID;
  const x = (i: number) => b[i]!.toString(16).padStart(2, '0');
  const seq = (ids: number[]) => ids.map(x).join('');
  return `${seq([3, 2, 1, 0])}-${seq([5, 4])}-${seq([7, 6])}-${seq([8, 9])}-${seq([10, 11, 12, 13, 14, 15])}`.toUpperCase();
}

/** CRC-32C of `b` with its 4-byte checksum field at `at` taken as zero. */
export function checksumWithHole(b: Uint8Array, at: number): number {
  const c = b.slice();
  c.fill(0, at, at + 4);
  return crc32c(c);
}

export interface VhdxHeader {
  offset: number;
  sequenceNumber: bigint;
  fileWriteGuid: string;
  dataWriteGuid: string;
  logGuid: string;
  logVersion: number;
  version: number;
  logLength: number;
  logOffset: number;
}

export async function readFileIdentifier(file: BlockDevice): Promise<string> {
  const b = await readStructure(file, 0, 64 * KiB, 'vhdx: file type identifier');
  const r = new BinaryReader(b, 'vhdx file type identifier');
  if (r.ascii(0, 8) !== 'vhdxfile') throw corrupt('vhdx', 'file type identifier', 0, 'no "vhdxfile" signature');
  return r.utf16le(8, 512);
}

function parseHeader(b: Uint8Array, at: number): VhdxHeader | string {
  const r = new BinaryReader(b, 'vhdx header');
  if (r.ascii(0, 4) !== 'head') return 'no "head" signature';
  const stored = r.u32le(4);
  if (checksumWithHole(b, 4) !== stored) return 'checksum mismatch';
  return {
    offset: at,
    sequenceNumber: r.big64le(8),
    fileWriteGuid: guidAt(r, 16),
    dataWriteGuid: guidAt(r, 32),
    logGuid: guidAt(r, 48),
    logVersion: r.u16le(64),
    version: r.u16le(66),
    logLength: r.u32le(68),
    logOffset: r.u64le(72),
  };
}

/** The current header, plus warnings when one copy is damaged. */
export async function readHeaders(file: BlockDevice, warnings: string[]): Promise<VhdxHeader> {
  const found: VhdxHeader[] = [];
  const problems: string[] = [];
  for (const at of HEADER_OFFSETS) {
    const h = parseHeader(await readStructure(file, at, 4 * KiB, 'vhdx: header'), at);
    if (typeof h === 'string') problems.push(`header at ${at}: ${h}`);
    else found.push(h);
  }
  if (found.length === 0) throw corrupt('vhdx', 'headers', HEADER_OFFSETS[0], `neither copy is valid (${problems.join('; ')})`);
  found.sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? 1 : a.sequenceNumber > b.sequenceNumber ? -1 : 0));
  const h = found[0]!;
  if (problems.length) warnings.push(`vhdx: ${problems.join('; ')}; using the header at ${h.offset}`);
  if (h.version !== 1) throw unsupported('vhdx', `header version ${h.version} (only 1)`);
  if (h.logGuid !== NULL_GUID) {
    if (h.logVersion !== 0) throw unsupported('vhdx', `log version ${h.logVersion} (only 0)`);
    if (h.logOffset < MiB || h.logOffset % MiB !== 0 || h.logLength % MiB !== 0 || h.logLength === 0 || h.logOffset + h.logLength > file.size) {
      throw corrupt('vhdx', 'header', h.offset, `log at ${h.logOffset} (${h.logLength} bytes) is not a 1 MiB-aligned area inside the file`);
    }
  }
  return h;
}

export interface Region {
  guid: string;
  fileOffset: number;
  length: number;
  required: boolean;
}

function parseRegionTable(b: Uint8Array): Region[] | string {
  const r = new BinaryReader(b, 'vhdx region table');
  if (r.ascii(0, 4) !== 'regi') return 'no "regi" signature';
  if (checksumWithHole(b, 4) !== r.u32le(4)) return 'checksum mismatch';
  const count = r.u32le(8);
  if (count > 2047) return `entry count ${count} over 2047`;
  const out: Region[] = [];
  for (let i = 0; i < count; i++) {
    const o = 16 + i * 32;
    out.push({ guid: guidAt(r, o), fileOffset: r.u64le(o + 16), length: r.u32le(o + 24), required: (r.u32le(o + 28) & 1) === 1 });
  }
  return out;
}

export async function readRegionTable(file: BlockDevice, warnings: string[]): Promise<{ bat: Region; metadata: Region }> {
  const problems: string[] = [];
  for (const at of REGION_TABLE_OFFSETS) {
    const t = parseRegionTable(await readStructure(file, at, REGION_TABLE_SIZE, 'vhdx: region table'));
    if (typeof t === 'string') {
      problems.push(`region table at ${at}: ${t}`);
      continue;
    }
    if (problems.length) warnings.push(`vhdx: ${problems.join('; ')}; using the copy at ${at}`);
    let bat: Region | undefined;
    let metadata: Region | undefined;
    for (const reg of t) {
      if (reg.guid === BAT_GUID) bat = reg;
      else if (reg.guid === METADATA_GUID) metadata = reg;
      else if (reg.required) throw unsupported('vhdx', `required region ${reg.guid} is unknown`);
      if (reg.fileOffset < MiB || reg.fileOffset % MiB !== 0 || reg.length % MiB !== 0 || reg.fileOffset + reg.length > file.size) {
        throw corrupt('vhdx', `region ${reg.guid}`, reg.fileOffset, `${reg.length} bytes is not a 1 MiB-aligned area inside the file (${file.size} bytes)`);
      }
    }
    if (!bat || !metadata) throw corrupt('vhdx', 'region table', at, `missing the ${bat ? 'metadata' : 'BAT'} region`);
    return { bat, metadata };
  }
  throw corrupt('vhdx', 'region tables', REGION_TABLE_OFFSETS[0], `neither copy is valid (${problems.join('; ')})`);
}

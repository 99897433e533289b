/**
 * The directory record (ECMA-119 9.1): one per file, directory, '.' and
 * '..', packed into the directory's extent. Both-endian fields are read
 * from their little-endian half, as Linux does, because some mastering
 * programs got the big-endian half wrong.
 *
 *   0  length of the record (even; 0 = padding up to the next block)
 *   1  extended attribute record length (blocks before the data)
 *   2  extent: first logical block of the data (both-endian 32)
 *  10  data length in bytes (both-endian 32)
 *  18  recording date, 7-byte form
 *  25  file flags (FLAG_*)
 *  26  file unit size, 27 interleave gap (interleaved files)
 *  28  volume sequence number (both-endian 16)
 *  32  identifier length n, 33 identifier, a pad byte when n is even,
 *      then the system use area (SUSP / Rock Ridge) up to the record's end.
 */
import { corrupt } from '../../block/corrupt.js';
import type { Timespec } from '../time.js';
import { parseShortDate } from './dates.js';

export const FLAG_HIDDEN = 0x01;
export const FLAG_DIRECTORY = 0x02;
export const FLAG_ASSOCIATED = 0x04;
export const FLAG_RECORD = 0x08;
export const FLAG_PROTECTION = 0x10;
export const FLAG_MULTI_EXTENT = 0x80;

/** The fixed part of a record; the smallest record has a 1-byte identifier. */
export const RECORD_HEADER = 33;
export const MIN_RECORD = 34;

export interface DirectoryRecord {
  /** Absolute byte offset of the record on the device. */
  readonly offset: number;
  readonly length: number;
  readonly extAttrLength: number;
  readonly extent: number;
  readonly dataLength: number;
  readonly date: Timespec | undefined;
  readonly flags: number;
  readonly fileUnitSize: number;
  readonly interleaveGap: number;
  /** Raw identifier bytes (a view into the buffer the record was parsed from). */
  readonly identifier: Uint8Array;
  /** The system use area (a view). */
  readonly systemUse: Uint8Array;
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

/**
 * Parses the record at `at` in `b`; `absOffset` is where `b[at]` lies on
 * the device, for inode numbers and messages. The caller has already
 * handled a zero length byte (padding).
 */
export function parseDirectoryRecord(b: Uint8Array, at: number, absOffset: number, fs = 'iso9660'): DirectoryRecord {
  const length = b[at] ?? 0;
  if (length < MIN_RECORD) throw corrupt(fs, 'directory record', absOffset, `length ${length} is shorter than ${MIN_RECORD}`);
  if (at + length > b.length) throw corrupt(fs, 'directory record', absOffset, `length ${length} runs past the end of the directory`);
  const nameLength = b[at + 32]!;
  if (nameLength === 0 || RECORD_HEADER + nameLength > length) {
    throw corrupt(fs, 'directory record', absOffset, `identifier length ${nameLength} does not fit a record of ${length} bytes`);
  }
  const suStart = RECORD_HEADER + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  return {
    offset: absOffset,
    length,
    extAttrLength: b[at + 1]!,
    extent: le32(b, at + 2),
    dataLength: le32(b, at + 10),
    date: parseShortDate(b, at + 18),
    flags: b[at + 25]!,
    fileUnitSize: b[at + 26]!,
    interleaveGap: b[at + 27]!,
    identifier: b.subarray(at + RECORD_HEADER, at + RECORD_HEADER + nameLength),
    systemUse: suStart < length ? b.subarray(at + suStart, at + length) : new Uint8Array(0),
  };
}

/** The '.' record (identifier 0x00) and the '..' record (0x01). */
export function isDotRecord(r: DirectoryRecord): boolean {
  return r.identifier.length === 1 && r.identifier[0] === 0;
}
export function isDotDotRecord(r: DirectoryRecord): boolean {
  return r.identifier.length === 1 && r.identifier[0] === 1;
}

/**
 * Directory entries (struct ext4_dir_entry_2): inode (0 = unused), rec_len
 * (distance to the next entry), name_len, file_type (with the filetype
 * feature), name. Entries tile each directory block exactly. With
 * metadata_csum, a leaf block ends in a 12-byte fake entry (inode 0,
 * rec_len 12, file_type 0xDE) holding a crc32c of the block before it.
 *
 * Entries are checked like the kernel's ext4_check_dir_entry; names are
 * returned as stored except that names with '/' or NUL, and '.' or '..'
 * anywhere but the first two entries of block 0, are dropped with a
 * warning: no directory may hand them out as ordinary names.
 */
import { FsError } from '../../errors.js';
import { utf8Decoder } from '../../binary/reader.js';
import { DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN } from '../../fs/mode.js';
import { chksum } from './checksum.js';
import { checksumMismatch, checksumProblem, type ChecksumPolicy } from './group-descriptors.js';

export const DIR_ENTRY_HEADER = 8;
export const DIR_TAIL_SIZE = 12;
export const EXT4_FT_DIR_CSUM = 0xde;

/** EXT4_FT_* → DT_*. */
const DT_OF_FT = [DT_UNKNOWN, DT_REG, DT_DIR, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_LNK];

export function dtFromFileType(ft: number): number {
  return DT_OF_FT[ft] ?? DT_UNKNOWN;
}

/** Smallest rec_len that holds a name of `nameLen` bytes. */
export function dirRecLen(nameLen: number): number {
  return (DIR_ENTRY_HEADER + nameLen + 3) & ~3;
}

/** rec_len as stored; 64 KiB blocks encode 65536 as 0 or 65535 and use the low bits as high bits. */
export function decodeRecLen(v: number, blockSize: number): number {
  if (blockSize < 65536) return v;
  if (v === 65535 || v === 0) return blockSize;
  return (v & 65532) | ((v & 3) << 16);
}

export interface DirRecord {
  readonly name: string;
  readonly nameBytes: Uint8Array;
  readonly ino: number;
  /** DT_* type from the entry (DT_UNKNOWN without the filetype feature). */
  readonly type: number;
  /** Position of this entry in the directory stream (readdir cookie that resumes at it). */
  readonly pos: number;
  /** Position after it. */
  readonly next: number;
}

export interface DirParseContext {
  readonly dirIno: number;
  readonly inodesCount: number;
  readonly filetype: boolean;
  warn(message: string): void;
}

/**
 * Parses the entries of one region (a directory block, or an inline-data
 * area) whose first byte is at stream position `base`. `where` names the
 * region in errors. `dots`: the region starts the directory, so its first
 * two entries may be '.' and '..'.
 */
export function parseDirRegion(bytes: Uint8Array, base: number, blockSize: number, where: string, dots: boolean, ctx: DirParseContext): DirRecord[] {
  const out: DirRecord[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  let off = 0;
  let index = 0;
  while (off < size) {
    const fail = (detail: string): FsError => new FsError('EIO', `ext4: directory inode ${ctx.dirIno}, ${where} offset ${off}: ${detail}`);
    if (off + DIR_ENTRY_HEADER > size) throw fail(`entry header runs past the end (${size} bytes)`);
    const ino = view.getUint32(off, true);
    const recLen = decodeRecLen(view.getUint16(off + 4, true), blockSize);
    const nameLen = bytes[off + 6]!;
    const ft = bytes[off + 7]!;
    if (recLen < 12) throw fail(`rec_len ${recLen} is smaller than an entry`);
    if (recLen % 4 !== 0) throw fail(`rec_len ${recLen} is not a multiple of 4`);
    if (recLen < dirRecLen(nameLen)) throw fail(`rec_len ${recLen} is too small for name_len ${nameLen}`);
    if (off + recLen > size) throw fail(`rec_len ${recLen} runs past the end (${size} bytes)`);
    if (ino > ctx.inodesCount) throw fail(`inode ${ino} is out of range (${ctx.inodesCount} inodes)`);
    if (ino !== 0 && nameLen > 0) {
      const nameBytes = bytes.subarray(off + DIR_ENTRY_HEADER, off + DIR_ENTRY_HEADER + nameLen);
      const name = utf8Decoder.decode(nameBytes);
      const isDot = name === '.' || name === '..';
      const dotOk = dots && ((index === 0 && name === '.') || (index === 1 && name === '..'));
      if (nameBytes.includes(0x2f) || nameBytes.includes(0)) {
        ctx.warn(`ext4: directory inode ${ctx.dirIno}, ${where} offset ${off}: name with '/' or NUL skipped`);
      } else if (isDot && !dotOk) {
        ctx.warn(`ext4: directory inode ${ctx.dirIno}, ${where} offset ${off}: stray '${name}' entry skipped`);
      } else {
        out.push({ name, nameBytes, ino, type: ctx.filetype ? dtFromFileType(ft) : DT_UNKNOWN, pos: base + off, next: base + off + recLen });
      }
    }
    off += recLen;
    index++;
  }
  return out;
}

/** True if the block ends in a checksum tail (fake entry: inode 0, rec_len 12, name_len 0, type 0xDE). */
export function hasDirTail(block: Uint8Array): boolean {
  const t = block.length - DIR_TAIL_SIZE;
  return (
    block[t] === 0 && block[t + 1] === 0 && block[t + 2] === 0 && block[t + 3] === 0 &&
    block[t + 4] === 12 && block[t + 5] === 0 && block[t + 6] === 0 && block[t + 7] === EXT4_FT_DIR_CSUM
  );
}

/** Checks a leaf block's tail checksum (metadata_csum). */
export function verifyLeafChecksum(block: Uint8Array, seed: number, what: string, policy: ChecksumPolicy): void {
  if (!hasDirTail(block)) {
    checksumProblem(policy, what, 'no checksum tail at the end of the block');
    return;
  }
  const t = block.length - DIR_TAIL_SIZE;
  const stored = new DataView(block.buffer, block.byteOffset + t + 8, 4).getUint32(0, true);
  const computed = chksum(seed, block.subarray(0, t));
  if (stored !== computed) checksumMismatch(policy, what, stored, computed);
}

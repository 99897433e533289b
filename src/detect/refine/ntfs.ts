/**
 * NTFS: the boot sector's BPB must add up (power-of-two sizes, the unused
 * FAT fields zero, a sane MFT record size) and the MFT must start with
 * 'FILE' records; the label is the $VOLUME_NAME attribute of MFT record 3
 * ($Volume). As blkid's ntfs prober; record fix-ups are not applied (the
 * label sits in the record's first sector).
 */
import type { Refine } from './index.js';

const MFT_RECORD_VOLUME = 3;
const ATTR_VOLUME_NAME = 0x60;
const ATTR_END = 0xffffffff;
const MAX_CLUSTER = 2 << 20;

export const refineNtfs: Refine = async ({ match, scope }) => {
  const b = await scope.cache.bytes(scope.base, 512);
  if (!b) return null;
  const v = new DataView(b.buffer, b.byteOffset, 512);
  const sectorSize = v.getUint16(11, true);
  if (sectorSize < 256 || sectorSize > 4096 || (sectorSize & (sectorSize - 1)) !== 0) return null;
  const spc = b[13]!;
  let sectorsPerCluster: number;
  if ([1, 2, 4, 8, 16, 32, 64, 128].includes(spc)) sectorsPerCluster = spc;
  else if (spc >= 240 && spc <= 249) sectorsPerCluster = 2 ** (256 - spc);
  else return null;
  if (sectorSize * sectorsPerCluster > MAX_CLUSTER) return null;
  // reserved sectors, root entries, sectors, sectors per FAT, large sectors, FAT count: all zero.
  if (v.getUint16(14, true) || v.getUint16(17, true) || v.getUint16(19, true) || v.getUint16(22, true) || v.getUint32(32, true) || b[16]) return null;
  const cpm = v.getInt8(0x40);
  const cpmU = b[0x40]!;
  if ((cpmU < 0xe1 || cpmU > 0xf7) && ![1, 2, 4, 8, 16, 32, 64].includes(cpm)) return null;
  const recordSize = cpm > 0 ? cpm * sectorsPerCluster * sectorSize : 2 ** -cpm;
  if (recordSize < 4 || recordSize > 1 << 16) return null;
  const sectors = u64(v, 0x28);
  const clusters = Math.floor(sectors / sectorsPerCluster);
  const mft = u64(v, 0x30);
  if (mft > clusters || u64(v, 0x38) > clusters) return null;
  const mftAt = scope.base + mft * sectorSize * sectorsPerCluster;
  const first = await scope.cache.bytes(mftAt, 4);
  if (!first || latin1(first) !== 'FILE') return null;
  const rec = await scope.cache.bytes(mftAt + MFT_RECORD_VOLUME * recordSize, recordSize);
  if (!rec || latin1(rec.subarray(0, 4)) !== 'FILE') return null;
  const rv = new DataView(rec.buffer, rec.byteOffset, rec.length);
  let label: string | undefined;
  let at = rv.getUint16(0x14, true);
  const allocated = rv.getUint32(0x1c, true);
  for (let n = 0; n < 64 && at + 24 <= recordSize && at <= allocated; n++) {
    const type = rv.getUint32(at, true);
    const len = rv.getUint32(at + 4, true);
    if (!len || type === ATTR_END) break;
    if (type === ATTR_VOLUME_NAME) {
      const valLen = rv.getUint32(at + 0x10, true);
      const valOff = rv.getUint16(at + 0x14, true);
      if (valOff <= recordSize - at && valLen <= recordSize - at - valOff) {
        label = utf16le(rec.subarray(at + valOff, at + valOff + valLen));
      }
      break;
    }
    at += len;
  }
  const out = { ...match, blockSize: sectorSize * sectorsPerCluster, size: sectors * sectorSize, confidence: Math.min(1, match.confidence + 0.3) };
  if (label) out.label = label;
  return out;
};

function u64(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * 0x1_0000_0000 + v.getUint32(at, true);
}
function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}
function utf16le(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i]! | (b[i + 1]! << 8));
  return s.replace(/[\s\0]+$/, '');
}

/**
 * UDF (ECMA-167 + OSTA UDF): the volume recognition sequence only says
 * "ECMA-167"; the anchor (AVDP at block 256, or 512) gives the block size
 * and the main descriptor sequence, whose logical volume descriptor carries
 * the "*OSTA UDF Compliant" domain (that makes it UDF), the label and the
 * revision. Follows blkid's udf prober: try block sizes 512…4096, cap every
 * walk (64 descriptors), read only descriptor heads.
 */
import type { Scope } from '../evaluate.js';
import type { Refine } from './index.js';

const VRS = 0x8000;
const TAG_PVD = 1;
const TAG_AVDP = 2;
const TAG_LVD = 6;
const TAG_TD = 8;
const TAG_LVID = 9;
const VSD_IDS = ['BEA01', 'BOOT2', 'CD001', 'CDW02', 'TEA01'];

export const refineUdf: Refine = async ({ match, scope }) => {
  const sizes = [...new Set([scope.cache.sectorSize, 512, 1024, 2048, 4096])];
  let bs = 0;
  let anchor: Uint8Array | undefined;
  for (const size of sizes) {
    if (!(await hasNsr(scope, Math.max(2048, size)))) continue;
    for (const at of [256, 512]) {
      const d = await scope.cache.bytes(at * size, 512);
      if (d && u16(d, 0) === TAG_AVDP && u32(d, 12) === at) {
        anchor = d;
        break;
      }
    }
    if (anchor) {
      bs = size;
      break;
    }
  }
  if (!anchor) return null;

  const count = Math.min(64, Math.floor(u32(anchor, 16) / bs));
  const loc = u32(anchor, 20);
  let isUdf = false;
  let rev = 0;
  let label: string | undefined;
  let uuid: string | undefined;
  let volumeId: string | undefined;
  let lvidLoc = 0;
  let lvidLen = 0;
  for (let b = 0; b < count; b++) {
    const d = await scope.cache.bytes((loc + b) * bs, 512);
    if (!d) break;
    const type = u16(d, 0);
    if (type === 0 || u32(d, 12) !== loc + b || type === TAG_TD) break;
    if (type === TAG_PVD && isOstaCharset(d, 200)) {
      volumeId ??= dstring(d, 24, 32);
      uuid ??= volsetUuid(d.subarray(72, 200));
    } else if (type === TAG_LVD) {
      if ((!lvidLen || !lvidLoc) && u32(d, 268) !== 0) {
        lvidLen = u32(d, 432);
        lvidLoc = u32(d, 436);
      }
      if (!isUdf && latin1z(d.subarray(217, 240)) === '*OSTA UDF Compliant') {
        isUdf = true;
        rev ||= u16(d, 240);
      }
      if (label === undefined && isOstaCharset(d, 20)) label = dstring(d, 84, 128);
    }
  }
  if (!isUdf) return null;
  if (lvidLoc && lvidLen >= 512) {
    const d = await scope.cache.bytes(lvidLoc * bs, 512);
    if (d && u16(d, 0) === TAG_LVID && u32(d, 12) === lvidLoc && u32(d, 76) >= 46) {
      const iu = await scope.cache.bytes(lvidLoc * bs + 80 + 8 * Math.min(u32(d, 72), 1 << 16), 46);
      if (iu) {
        const readRev = u16(iu, 40);
        const writeRev = u16(iu, 42);
        if (readRev > rev) rev = readRev;
        if (writeRev > rev) rev = writeRev;
      }
    }
  }
  const out = { ...match, blockSize: bs };
  if (rev) out.version = `${(rev >> 8).toString(16)}.${(rev & 0xff).toString(16).padStart(2, '0')}`;
  if (label) out.label = label;
  if (uuid) out.uuid = uuid;
  const details: Record<string, unknown> = { ...match.details };
  if (volumeId) details.volumeId = volumeId;
  out.details = details;
  out.confidence = Math.min(1, match.confidence + 0.3);
  return out;
};

/** A volume structure descriptor sequence containing NSR02/NSR03, each VSD `len` bytes from 32 KiB. */
async function hasNsr(scope: Scope, len: number): Promise<boolean> {
  for (let b = 0; b < 64; b++) {
    const d = await scope.cache.bytes(VRS + b * len, 6);
    if (!d || d[1] === 0) return false;
    const id = String.fromCharCode(...d.subarray(1, 6));
    if (id === 'NSR02' || id === 'NSR03') return true;
    if (!VSD_IDS.includes(id)) return false;
  }
  return false;
}

function isOstaCharset(d: Uint8Array, at: number): boolean {
  return d[at] === 0 && latin1z(d.subarray(at + 1, at + 64)) === 'OSTA Compressed Unicode';
}

/** A dstring of `size` bytes: compression id (8 = Latin-1, 16 = UTF-16BE), chars, used length in the last byte. */
function dstring(d: Uint8Array, at: number, size: number): string | undefined {
  const chars = decodeDstring(d.subarray(at, at + size));
  if (chars === undefined) return undefined;
  const t = chars.replace(/[\s\0]+$/, '');
  return t === '' ? undefined : t;
}

function decodeDstring(f: Uint8Array): string | undefined {
  const cid = f[0]!;
  let clen = f[f.length - 1]!;
  if (clen > 0) clen--;
  clen = Math.min(clen, f.length - 2);
  const c = f.subarray(1, 1 + clen);
  if (cid === 8) return latin1z(c);
  if (cid === 16) {
    let s = '';
    for (let i = 0; i + 1 < c.length; i += 2) {
      const u = (c[i]! << 8) | c[i + 1]!;
      if (u === 0) break;
      s += String.fromCharCode(u);
    }
    return s;
  }
  return undefined;
}

/** blkid's UUID from the VolumeSetIdentifier's first 16 characters (UTF-8 bytes). */
function volsetUuid(f: Uint8Array): string | undefined {
  const s = decodeDstring(f);
  if (s === undefined) return undefined;
  const buf = new TextEncoder().encode(s).subarray(0, 16);
  if (buf.length < 8) return undefined;
  const isHex = (c: number | undefined) => c !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(c));
  let nonHex = 16;
  for (let i = 0; i < 16; i++) {
    if (!isHex(buf[i])) {
      nonHex = i;
      break;
    }
  }
  const hex = (n: number) => (buf[n] ?? 0).toString(16).padStart(2, '0');
  const lowerChars = (n: number) => String.fromCharCode(...buf.subarray(0, n)).toLowerCase();
  if (nonHex < 8) return [0, 1, 2, 3, 4, 5, 6, 7].map(hex).join('');
  if (nonHex < 16) return lowerChars(8) + [8, 9, 10, 11].map(hex).join('');
  return lowerChars(16);
}

function u16(d: Uint8Array, at: number): number {
  return d[at]! | (d[at + 1]! << 8);
}
function u32(d: Uint8Array, at: number): number {
  return (d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24)) >>> 0;
}
function latin1z(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

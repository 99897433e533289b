/**
 * Directory name hashes for htree (dir_index) lookups: legacy (dx_hack),
 * half_md4 and tea, each in a signed and an unsigned variant (whether name
 * bytes were sign-extended as `char` on the machine that made the
 * filesystem: s_flags says which). The result's low bit is cleared; the
 * htree uses it to mark hash collisions that continue into the next block.
 */

export const DX_HASH_LEGACY = 0;
export const DX_HASH_HALF_MD4 = 1;
export const DX_HASH_TEA = 2;
export const DX_HASH_LEGACY_UNSIGNED = 3;
export const DX_HASH_HALF_MD4_UNSIGNED = 4;
export const DX_HASH_TEA_UNSIGNED = 5;
export const DX_HASH_SIPHASH = 6;

export const HASH_NAMES: Record<number, string> = {
  0: 'legacy',
  1: 'half_md4',
  2: 'tea',
  3: 'legacy_unsigned',
  4: 'half_md4_unsigned',
  5: 'tea_unsigned',
  6: 'siphash',
};

const EOF_32 = 0x7fffffff;
const MD4_INIT = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);

/** A name byte as the hash sees it: sign-extended or not. */
function byteAt(name: Uint8Array, i: number, signed: boolean): number {
  const b = name[i]!;
  return signed && b >= 0x80 ? b - 256 : b;
}

function legacyHash(name: Uint8Array, signed: boolean): number {
  let hash0 = 0x12a3fe2d;
  let hash1 = 0x37abe8f9;
  for (let i = 0; i < name.length; i++) {
    let hash = (hash1 + (hash0 ^ Math.imul(byteAt(name, i, signed), 7152373))) >>> 0;
    if (hash & 0x80000000) hash = (hash - 0x7fffffff) >>> 0;
    hash1 = hash0;
    hash0 = hash;
  }
  return (hash0 << 1) >>> 0;
}

/**
 * Packs up to num×4 bytes of the name, big-endian-ish, into `num` words,
 * padding with a word made of the length, as ext4's str2hashbuf does.
 */
function str2hashbuf(name: Uint8Array, start: number, len: number, out: Uint32Array, num: number, signed: boolean): void {
  let pad = (len | (len << 8)) >>> 0;
  pad = (pad | (pad << 16)) >>> 0;
  let val = pad;
  const n = Math.min(len, num * 4);
  let w = 0;
  for (let i = 0; i < n; i++) {
    val = (byteAt(name, start + i, signed) + ((val << 8) >>> 0)) >>> 0;
    if (i % 4 === 3) {
      out[w++] = val;
      val = pad;
      num--;
    }
  }
  if (--num >= 0) out[w++] = val;
  while (--num >= 0) out[w++] = pad;
}

const rol = (x: number, s: number): number => ((x << s) | (x >>> (32 - s))) >>> 0;
const F = (x: number, y: number, z: number): number => z ^ (x & (y ^ z));
const G = (x: number, y: number, z: number): number => ((x & y) + ((x ^ y) & z)) >>> 0;
const H = (x: number, y: number, z: number): number => x ^ y ^ z;
const K2 = 0x5a827999;
const K3 = 0x6ed9eba1;

// One function per round function, so each call site stays monomorphic.
const f1 = (w: number, x: number, y: number, z: number, k: number, s: number): number => rol((w + F(x, y, z) + k) >>> 0, s);
const g2 = (w: number, x: number, y: number, z: number, k: number, s: number): number => rol((w + G(x, y, z) + k) >>> 0, s);
const h3 = (w: number, x: number, y: number, z: number, k: number, s: number): number => rol((w + H(x, y, z) + k) >>> 0, s);

/** The cut-down MD4 round ext4 uses (3 rounds of 8 steps over 8 words). */
function halfMd4Transform(buf: Uint32Array, inp: Uint32Array): void {
  let a = buf[0]!;
  let b = buf[1]!;
  let c = buf[2]!;
  let d = buf[3]!;
  // Round 1
  a = f1(a, b, c, d, inp[0]!, 3);
  d = f1(d, a, b, c, inp[1]!, 7);
  c = f1(c, d, a, b, inp[2]!, 11);
  b = f1(b, c, d, a, inp[3]!, 19);
  a = f1(a, b, c, d, inp[4]!, 3);
  d = f1(d, a, b, c, inp[5]!, 7);
  c = f1(c, d, a, b, inp[6]!, 11);
  b = f1(b, c, d, a, inp[7]!, 19);
  // Round 2
  a = g2(a, b, c, d, (inp[1]! + K2) >>> 0, 3);
  d = g2(d, a, b, c, (inp[3]! + K2) >>> 0, 5);
  c = g2(c, d, a, b, (inp[5]! + K2) >>> 0, 9);
  b = g2(b, c, d, a, (inp[7]! + K2) >>> 0, 13);
  a = g2(a, b, c, d, (inp[0]! + K2) >>> 0, 3);
  d = g2(d, a, b, c, (inp[2]! + K2) >>> 0, 5);
  c = g2(c, d, a, b, (inp[4]! + K2) >>> 0, 9);
  b = g2(b, c, d, a, (inp[6]! + K2) >>> 0, 13);
  // Round 3
  a = h3(a, b, c, d, (inp[3]! + K3) >>> 0, 3);
  d = h3(d, a, b, c, (inp[7]! + K3) >>> 0, 9);
  c = h3(c, d, a, b, (inp[2]! + K3) >>> 0, 11);
  b = h3(b, c, d, a, (inp[6]! + K3) >>> 0, 15);
  a = h3(a, b, c, d, (inp[1]! + K3) >>> 0, 3);
  d = h3(d, a, b, c, (inp[5]! + K3) >>> 0, 9);
  c = h3(c, d, a, b, (inp[0]! + K3) >>> 0, 11);
  b = h3(b, c, d, a, (inp[4]! + K3) >>> 0, 15);
  buf[0] = buf[0]! + a;
  buf[1] = buf[1]! + b;
  buf[2] = buf[2]! + c;
  buf[3] = buf[3]! + d;
}

const DELTA = 0x9e3779b9;

function teaTransform(buf: Uint32Array, inp: Uint32Array): void {
  let sum = 0;
  let b0 = buf[0]!;
  let b1 = buf[1]!;
  const a = inp[0]!;
  const b = inp[1]!;
  const c = inp[2]!;
  const d = inp[3]!;
  for (let n = 0; n < 16; n++) {
    sum = (sum + DELTA) >>> 0;
    b0 = (b0 + ((((b1 << 4) + a) >>> 0) ^ ((b1 + sum) >>> 0) ^ (((b1 >>> 5) + b) >>> 0))) >>> 0;
    b1 = (b1 + ((((b0 << 4) + c) >>> 0) ^ ((b0 + sum) >>> 0) ^ (((b0 >>> 5) + d) >>> 0))) >>> 0;
  }
  buf[0] = buf[0]! + b0;
  buf[1] = buf[1]! + b1;
}

export interface DirHash {
  hash: number;
  minor: number;
}

/**
 * ext4fs_dirhash: `version` is the dx_root hash_version with the unsigned
 * offset already applied (0..5); `seed` is s_hash_seed (all zero → the
 * MD4 initial values). Returns undefined for versions we cannot compute.
 */
const BUF = new Uint32Array(4);
const IN8 = new Uint32Array(8);
const IN4 = new Uint32Array(4);

export function dirHash(name: Uint8Array, version: number, seed: Uint32Array): DirHash | undefined {
  // Scratch buffers are module-level: hashing runs on every htree lookup.
  const buf = BUF;
  if (seed[0] || seed[1] || seed[2] || seed[3]) buf.set(seed);
  else buf.set(MD4_INIT);
  let hash: number;
  let minor = 0;
  const signed = version <= DX_HASH_TEA;
  switch (version) {
    case DX_HASH_LEGACY:
    case DX_HASH_LEGACY_UNSIGNED:
      hash = legacyHash(name, signed);
      break;
    case DX_HASH_HALF_MD4:
    case DX_HASH_HALF_MD4_UNSIGNED: {
      const inp = IN8;
      for (let p = 0, len = name.length; len > 0; len -= 32, p += 32) {
        str2hashbuf(name, p, len, inp, 8, signed);
        halfMd4Transform(buf, inp);
      }
      hash = buf[1]!;
      minor = buf[2]!;
      break;
    }
    case DX_HASH_TEA:
    case DX_HASH_TEA_UNSIGNED: {
      const inp = IN4;
      for (let p = 0, len = name.length; len > 0; len -= 16, p += 16) {
        str2hashbuf(name, p, len, inp, 4, signed);
        teaTransform(buf, inp);
      }
      hash = buf[0]!;
      minor = buf[1]!;
      break;
    }
    default:
      return undefined;
  }
  hash = (hash & ~1) >>> 0;
  if (hash === (EOF_32 << 1) >>> 0) hash = ((EOF_32 - 1) << 1) >>> 0;
  return { hash, minor };
}

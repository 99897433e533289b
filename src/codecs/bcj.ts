/**
 * Branch/call/jump filters (xz filter ids 0x04–0x09): executable code
 * compresses better when relative branch targets are turned into absolute
 * ones before compression. Decoding turns them back. Each works in place on
 * a whole buffer whose first byte sits at stream position `start` (the
 * filter's start offset, 0 unless the xz properties say otherwise).
 * Written from the algorithm descriptions in the xz file format spec and
 * the BCJ filter notes; `mksquashfs -Xbcj` and `xz --x86 …` produce these.
 */

export type BcjFilter = (buf: Uint8Array, start: number) => void;

/** x86: E8 (call) / E9 (jmp) with a 32-bit displacement whose top byte is 00 or FF. */
function x86(buf: Uint8Array, start: number): void {
  const allowed = [true, true, true, false, true, false, false, false];
  const bitNum = [0, 1, 2, 2, 3, 3, 3, 3];
  const isMsByte = (b: number) => b === 0x00 || b === 0xff;
  if (buf.length <= 4) return;
  const limit = buf.length - 4;
  let prevPos = -1;
  let prevMask = 0;
  let i = 0;
  for (; i < limit; i++) {
    if ((buf[i]! & 0xfe) !== 0xe8) continue;
    const gap = i - prevPos;
    if (gap > 3) {
      prevMask = 0;
    } else {
      prevMask = (prevMask << (gap - 1)) & 7;
      if (prevMask !== 0) {
        const b = buf[i + 4 - bitNum[prevMask]!]!;
        if (!allowed[prevMask] || isMsByte(b)) {
          prevPos = i;
          prevMask = (prevMask << 1) | 1;
          continue;
        }
      }
    }
    prevPos = i;
    if (isMsByte(buf[i + 4]!)) {
      let src = (buf[i + 1]! | (buf[i + 2]! << 8) | (buf[i + 3]! << 16) | (buf[i + 4]! << 24)) >>> 0;
      let dest: number;
      for (;;) {
        dest = (src - (start + i + 5)) >>> 0;
        if (prevMask === 0) break;
        const j = bitNum[prevMask]! * 8;
        const b = (dest >>> (24 - j)) & 0xff;
        if (!isMsByte(b)) break;
        src = (dest ^ (2 ** (32 - j) - 1)) >>> 0;
      }
      dest &= 0x01ffffff;
      if (dest & 0x01000000) dest |= 0xfe000000;
      buf[i + 1] = dest & 0xff;
      buf[i + 2] = (dest >>> 8) & 0xff;
      buf[i + 3] = (dest >>> 16) & 0xff;
      buf[i + 4] = (dest >>> 24) & 0xff;
      i += 4;
    } else {
      prevMask = (prevMask << 1) | 1;
    }
  }
}

/** PowerPC: big-endian `bl` (opcode 18 with AA=0, LK=1). */
function powerpc(buf: Uint8Array, start: number): void {
  for (let i = 0; i + 4 <= buf.length; i += 4) {
    if (buf[i]! >>> 2 !== 0x12 || (buf[i + 3]! & 3) !== 1) continue;
    const src = ((buf[i]! & 3) << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | (buf[i + 3]! & ~3);
    const dest = (src - (start + i)) >>> 0;
    buf[i] = 0x48 | ((dest >>> 24) & 3);
    buf[i + 1] = (dest >>> 16) & 0xff;
    buf[i + 2] = (dest >>> 8) & 0xff;
    buf[i + 3] = (buf[i + 3]! & 3) | (dest & 0xfc);
  }
}

/** ARM: `bl` (condition AL, top byte EB), 24-bit word offset from pc+8. */
function arm(buf: Uint8Array, start: number): void {
  for (let i = 0; i + 4 <= buf.length; i += 4) {
    if (buf[i + 3] !== 0xeb) continue;
    const src = ((buf[i + 2]! << 16) | (buf[i + 1]! << 8) | buf[i]!) * 4;
    const dest = ((src - (start + i + 8)) >>> 2) >>> 0;
    buf[i] = dest & 0xff;
    buf[i + 1] = (dest >>> 8) & 0xff;
    buf[i + 2] = (dest >>> 16) & 0xff;
  }
}

/** ARM Thumb: the two-halfword `bl` pair (F000 / F800). */
function armthumb(buf: Uint8Array, start: number): void {
  for (let i = 0; i + 4 <= buf.length; i += 2) {
    if ((buf[i + 1]! & 0xf8) !== 0xf0 || (buf[i + 3]! & 0xf8) !== 0xf8) continue;
    const src = (((buf[i + 1]! & 7) << 19) | (buf[i]! << 11) | ((buf[i + 3]! & 7) << 8) | buf[i + 2]!) * 2;
    const dest = ((src - (start + i + 4)) >>> 1) >>> 0;
    buf[i + 1] = 0xf0 | ((dest >>> 19) & 7);
    buf[i] = (dest >>> 11) & 0xff;
    buf[i + 3] = 0xf8 | ((dest >>> 8) & 7);
    buf[i + 2] = dest & 0xff;
    i += 2;
  }
}

/** SPARC: `call` with a 30-bit word displacement that is small (sign bits all equal). */
function sparc(buf: Uint8Array, start: number): void {
  for (let i = 0; i + 4 <= buf.length; i += 4) {
    const b0 = buf[i]!;
    const b1 = buf[i + 1]!;
    if (!((b0 === 0x40 && (b1 & 0xc0) === 0x00) || (b0 === 0x7f && (b1 & 0xc0) === 0xc0))) continue;
    let src = ((b0 << 24) | (b1 << 16) | (buf[i + 2]! << 8) | buf[i + 3]!) >>> 0;
    src = (src * 4) >>> 0;
    let dest = ((src - (start + i)) >>> 0) >>> 2;
    dest = ((((0 - ((dest >>> 22) & 1)) << 22) & 0x3fffffff) | (dest & 0x3fffff) | 0x40000000) >>> 0;
    buf[i] = dest >>> 24;
    buf[i + 1] = (dest >>> 16) & 0xff;
    buf[i + 2] = (dest >>> 8) & 0xff;
    buf[i + 3] = dest & 0xff;
  }
}

/** IA-64: 128-bit bundles; branch slots chosen by the template, 41-bit instructions. */
function ia64(buf: Uint8Array, start: number): void {
  const branchTable = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 6, 6, 0, 0, 7, 7, 4, 4, 0, 0, 4, 4, 0, 0];
  for (let i = 0; i + 16 <= buf.length; i += 16) {
    const mask = branchTable[buf[i]! & 0x1f]!;
    for (let slot = 0, bitPos = 5; slot < 3; slot++, bitPos += 41) {
      if (((mask >>> slot) & 1) === 0) continue;
      const bytePos = bitPos >>> 3;
      const bitRes = BigInt(bitPos & 7);
      let instr = 0n;
      for (let j = 0; j < 6; j++) instr |= BigInt(buf[i + j + bytePos]!) << BigInt(8 * j);
      let norm = instr >> bitRes;
      if (((norm >> 37n) & 0x0fn) !== 0x05n || ((norm >> 9n) & 0x07n) !== 0n) continue;
      let addr = Number((norm >> 13n) & 0x0fffffn);
      addr |= Number((norm >> 36n) & 1n) << 20;
      addr = ((addr * 16 - (start + i)) >>> 0) >>> 4;
      norm &= ~(0x8fffffn << 13n);
      norm |= BigInt(addr & 0x0fffff) << 13n;
      norm |= BigInt(addr & 0x100000) << 16n;
      instr &= (1n << bitRes) - 1n;
      instr |= norm << bitRes;
      for (let j = 0; j < 6; j++) buf[i + j + bytePos] = Number((instr >> BigInt(8 * j)) & 0xffn);
    }
  }
}

/** xz filter id → decoder. */
export const BCJ_FILTERS: ReadonlyMap<number, { name: string; decode: BcjFilter; alignment: number }> = new Map([
  [0x04, { name: 'x86', decode: x86, alignment: 1 }],
  [0x05, { name: 'powerpc', decode: powerpc, alignment: 4 }],
  [0x06, { name: 'ia64', decode: ia64, alignment: 16 }],
  [0x07, { name: 'arm', decode: arm, alignment: 4 }],
  [0x08, { name: 'armthumb', decode: armthumb, alignment: 2 }],
  [0x09, { name: 'sparc', decode: sparc, alignment: 4 }],
]);

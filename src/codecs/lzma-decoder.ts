/**
 * The LZMA decoder core shared by the `.lzma` ("LZMA alone") format and
 * LZMA2 (inside xz): a range decoder over adaptive bit probabilities and the
 * 12-state literal/match/rep machine, written from the LZMA specification
 * (lzma-specification.txt in the LZMA SDK).
 *
 * It decodes one whole block into one output buffer, which is also the
 * dictionary: every input we see (a squashfs block, at most 1 MiB) fits, so
 * there is no ring buffer and a match is a copy within `out`. `dictStart`
 * marks the last dictionary reset (LZMA2): matches may not reach before it.
 * Every step is bounded by `out.length`; corrupt input ends in
 * FsError(EIO), never an overrun.
 *
 * Speed: `decode` is one function whose range coder (range, code, input
 * position) lives in local variables, with the bit decoding written out at
 * each use instead of calls through `this`. range, code and bound hold the
 * coder's uint32 values as int32 (`| 0`, `<<`), compared unsigned by
 * flipping the sign bit, and "range < 2^24" is `range >>> 24 === 0`: V8
 * then keeps them in 32-bit registers from the first optimisation on. With
 * float64 arithmetic (plain `*`/`-`) it ran at 17 MiB/s instead of ~29 on
 * 128 KiB xz blocks here, and with uint32 values (`>>> 0`) as fast once warm
 * but re-optimised several times on the way ("lost precision"), which a
 * short run (a CLI extraction, a fresh worker) pays for: the first 30
 * blocks took twice as long. Bytes past the end of the input read as zero;
 * running past it is checked once per symbol, not per byte.
 *
 * The bits of literals and of bit trees are nearly random, so they are
 * decoded without a branch: the comparison gives bit 0/1, `zero` is -1
 * when the bit is 0, and masks pick the new range, code and probability
 * (p + ((2048 - p) >> 5) = p - ((p + 31) >> 5) + 64, exactly). That took
 * ~12% off a whole xz decode (mispredicted branches cost more than the
 * extra arithmetic).
 */
import { FsError } from '../errors.js';

const STATES = 12;
const PROB_INIT = 1024;
/** XOR with this turns unsigned order into signed order (int32 compare of uint32 values). */
const SIGN = -0x80000000;

// Offsets into one Uint16Array of probabilities.
const IS_MATCH = 0; // [state << 4 | posState]
const IS_REP = IS_MATCH + (STATES << 4);
const IS_REP_G0 = IS_REP + STATES;
const IS_REP_G1 = IS_REP_G0 + STATES;
const IS_REP_G2 = IS_REP_G1 + STATES;
const IS_REP0_LONG = IS_REP_G2 + STATES; // [state << 4 | posState]
const POS_SLOT = IS_REP0_LONG + (STATES << 4); // 4 length states × 64
const SPEC_POS = POS_SLOT + 4 * 64; // distances 4..127: 115 entries, indexed from 1
const ALIGN = SPEC_POS + 115; // 16, indexed from 1
const LEN_CODER = ALIGN + 16;
const LEN_SIZE = 2 + 16 * 8 + 16 * 8 + 256; // choice, choice2, low[16][8], mid[16][8], high[256]
const REP_LEN_CODER = LEN_CODER + LEN_SIZE;
const LITERAL = REP_LEN_CODER + LEN_SIZE; // 0x300 per literal state

/** The state after a literal, by state (the specification's UpdateState_Literal). */
const AFTER_LITERAL = new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 4, 5]);

/** Distance 0xffffffff as int32. */
const END_MARKER = -1;

export interface LzmaProperties {
  lc: number;
  lp: number;
  pb: number;
}

/** Decodes the lc/lp/pb properties byte; undefined if out of range. */
export function parseLzmaProperties(byte: number): LzmaProperties | undefined {
  if (byte >= 9 * 5 * 5) return undefined;
  const lc = byte % 9;
  const rest = Math.floor(byte / 9);
  return { lc, lp: rest % 5, pb: Math.floor(rest / 5) };
}

export class LzmaDecoder {
  readonly format: string;
  private readonly out: Uint8Array;
  outPos = 0;
  /** Output position of the last dictionary reset: matches may not reach before it. */
  dictStart = 0;

  private probs: Uint16Array = new Uint16Array(0);
  private lc = 0;
  private lp = 0;
  private pb = 0;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;

  constructor(format: string, out: Uint8Array) {
    this.format = format;
    this.out = out;
  }

  fail(detail: string): FsError {
    return new FsError('EIO', `${this.format}: corrupt compressed data (${detail})`);
  }

  setProperties(p: LzmaProperties): void {
    const size = LITERAL + (0x300 << (p.lc + p.lp));
    if (this.probs.length !== size) this.probs = new Uint16Array(size);
    this.lc = p.lc;
    this.lp = p.lp;
    this.pb = p.pb;
  }

  /** Probabilities back to 1/2, state and distances to their start (LZMA2 state reset). */
  resetState(): void {
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  resetDictionary(): void {
    this.dictStart = this.outPos;
  }

  /** Appends stored bytes (an LZMA2 uncompressed chunk). */
  copyUncompressed(src: Uint8Array): void {
    if (this.outPos + src.length > this.out.length) throw this.fail(`uncompressed chunk overruns the ${this.out.length}-byte output`);
    this.out.set(src, this.outPos);
    this.outPos += src.length;
  }

  /**
   * Decodes from input[start, end) until `size` more bytes are out, or until
   * the end marker when `size` is -1 (then at most until the output is full).
   * With a known size an end marker right at the end is accepted too.
   */
  decode(input: Uint8Array, start: number, end: number, size: number): void {
    if (end - start < 5) throw this.fail('range coder needs 5 bytes');
    if (input[start] !== 0) throw this.fail('range coder first byte is not zero');
    let code = (input[start + 1]! << 24) | (input[start + 2]! << 16) | (input[start + 3]! << 8) | input[start + 4]!;
    let range = -1;
    if (code === -1) throw this.fail('range coder code equals range');
    let inPos = start + 5;
    const inEnd = end;

    const out = this.out;
    const outEnd = size < 0 ? out.length : this.outPos + size;
    if (outEnd > out.length) throw this.fail(`output of ${outEnd} bytes exceeds ${out.length}`);
    const probs = this.probs;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    const litShift = 8 - lc;
    let state = this.state;
    let outPos = this.outPos;
    const dictStart = this.dictStart;
    let rep0 = this.rep0;
    let rep1 = this.rep1;
    let rep2 = this.rep2;
    let rep3 = this.rep3;
    const untilMarker = size < 0;
    // Scratch for the written-out bit decoding: probability index, probability, bound.
    let i = 0;
    let p = 0;
    let bound = 0;

    while (outPos < outEnd || untilMarker) {
      const pos = outPos - dictStart;
      const posState = pos & pbMask;

      // is_match
      i = IS_MATCH + (state << 4) + posState;
      p = probs[i]!;
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        probs[i] = p + ((2048 - p) >>> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos]!;
          inPos++;
        }
        // Literal.
        if (outPos >= outEnd) throw new FsError('EIO', `${this.format}: output exceeds ${out.length} bytes`);
        const prev = pos > 0 ? out[outPos - 1]! : 0;
        const base = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> litShift));
        let symbol = 1;
        if (state >= 7) {
          if (rep0 < 0 || rep0 >= pos) throw this.fail(`distance ${rep0 + 1} reaches before the dictionary`);
          // Matched literal: follow the byte at rep0 while the bits agree (LZMA SDK's offs/bit form).
          let matchByte = out[outPos - rep0 - 1]!;
          let offs = 0x100;
          do {
            matchByte <<= 1;
            const bit = matchByte & offs;
            i = base + offs + bit + symbol;
            p = probs[i]!;
            bound = Math.imul(range >>> 11, p);
            const b = +((code ^ SIGN) >= (bound ^ SIGN));
            const zero = b - 1;
            range = ((range - bound) & -b) | (bound & zero);
            code = (code - (bound & -b)) | 0;
            probs[i] = p - ((p + (zero & 31)) >> 5) + (zero & 64);
            symbol = (symbol << 1) | b;
            offs &= bit ^ zero;
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos]!;
              inPos++;
            }
          } while (symbol < 0x100);
        } else {
          i = base + 1;
          p = probs[i]!;
          do {
            // Both candidates for the next bit's probability load while this bit decodes.
            const next = base + (symbol << 1);
            const p0 = probs[next]!;
            const p1 = probs[next + 1]!;
            bound = Math.imul(range >>> 11, p);
            const bit = +((code ^ SIGN) >= (bound ^ SIGN));
            const zero = bit - 1;
            range = ((range - bound) & -bit) | (bound & zero);
            code = (code - (bound & -bit)) | 0;
            probs[i] = p - ((p + (zero & 31)) >> 5) + (zero & 64);
            symbol = (symbol << 1) | bit;
            i = next + bit;
            p = p0 ^ ((p0 ^ p1) & -bit);
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos]!;
              inPos++;
            }
          } while (symbol < 0x100);
        }
        out[outPos++] = symbol & 0xff;
        state = AFTER_LITERAL[state]!;
        continue;
      }
      range = (range - bound) | 0;
      code = (code - bound) | 0;
      probs[i] = p - (p >>> 5);
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos]!;
        inPos++;
      }

      // is_rep: 0 → a match with a new distance, 1 → one of the four last distances.
      let lenBase: number;
      let isRep: boolean;
      i = IS_REP + state;
      p = probs[i]!;
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        probs[i] = p + ((2048 - p) >>> 5);
        isRep = false;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        probs[i] = p - (p >>> 5);
        isRep = true;
      }
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos]!;
        inPos++;
      }
      if (!isRep) {
        lenBase = LEN_CODER;
      } else {
        if (pos === 0) throw this.fail('repeat match at the start of the dictionary');
        i = IS_REP_G0 + state;
        p = probs[i]!;
        bound = Math.imul(range >>> 11, p);
        let g0: boolean;
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound;
          probs[i] = p + ((2048 - p) >>> 5);
          g0 = true;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[i] = p - (p >>> 5);
          g0 = false;
        }
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos]!;
          inPos++;
        }
        if (g0) {
          i = IS_REP0_LONG + (state << 4) + posState;
          p = probs[i]!;
          bound = Math.imul(range >>> 11, p);
          let short: boolean;
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            probs[i] = p + ((2048 - p) >>> 5);
            short = true;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            probs[i] = p - (p >>> 5);
            short = false;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos]!;
            inPos++;
          }
          if (short) {
            // Short rep: one byte from rep0.
            if (rep0 < 0 || rep0 >= pos) throw this.fail(`distance ${rep0 + 1} reaches before the dictionary`);
            state = state < 7 ? 9 : 11;
            if (outPos >= outEnd) throw new FsError('EIO', `${this.format}: output exceeds ${out.length} bytes`);
            out[outPos] = out[outPos - rep0 - 1]!;
            outPos++;
            continue;
          }
        } else {
          // is_rep_g1, then is_rep_g2: which older distance.
          i = IS_REP_G1 + state;
          p = probs[i]!;
          bound = Math.imul(range >>> 11, p);
          let g1: boolean;
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound;
            probs[i] = p + ((2048 - p) >>> 5);
            g1 = true;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            probs[i] = p - (p >>> 5);
            g1 = false;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos]!;
            inPos++;
          }
          let dist: number;
          if (g1) {
            dist = rep1;
          } else {
            i = IS_REP_G2 + state;
            p = probs[i]!;
            bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) {
              range = bound;
              probs[i] = p + ((2048 - p) >>> 5);
              dist = rep2;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              probs[i] = p - (p >>> 5);
              dist = rep3;
              rep3 = rep2;
            }
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos]!;
              inPos++;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        lenBase = REP_LEN_CODER;
      }

      // Length: choice → low[posState] (3 bits), choice2 → mid[posState] (3 bits) + 8, else high (8 bits) + 16.
      let tree: number;
      let limit: number;
      let len: number;
      i = lenBase;
      p = probs[i]!;
      bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound;
        probs[i] = p + ((2048 - p) >>> 5);
        tree = lenBase + 2 + (posState << 3);
        limit = 8;
        len = 0;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        probs[i] = p - (p >>> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos]!;
          inPos++;
        }
        i = lenBase + 1;
        p = probs[i]!;
        bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound;
          probs[i] = p + ((2048 - p) >>> 5);
          tree = lenBase + 2 + 128 + (posState << 3);
          limit = 8;
          len = 8;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          probs[i] = p - (p >>> 5);
          tree = lenBase + 2 + 256;
          limit = 256;
          len = 16;
        }
      }
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos]!;
        inPos++;
      }
      let m = 1;
      do {
        i = tree + m;
        p = probs[i]!;
        bound = Math.imul(range >>> 11, p);
        const bit = +((code ^ SIGN) >= (bound ^ SIGN));
        const zero = bit - 1;
        range = ((range - bound) & -bit) | (bound & zero);
        code = (code - (bound & -bit)) | 0;
        probs[i] = p - ((p + (zero & 31)) >> 5) + (zero & 64);
        m = (m << 1) | bit;
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos]!;
          inPos++;
        }
      } while (m < limit);
      len += m - limit; // match length minus 2 (0..271)

      if (!isRep) {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        state = state < 7 ? 7 : 10;
        // Distance: a 6-bit slot (tree by length state), then reverse-coded or direct low bits.
        tree = POS_SLOT + (len < 3 ? len : 3) * 64;
        m = 1;
        do {
          i = tree + m;
          p = probs[i]!;
          bound = Math.imul(range >>> 11, p);
          const bit = +((code ^ SIGN) >= (bound ^ SIGN));
          const zero = bit - 1;
          range = ((range - bound) & -bit) | (bound & zero);
          code = (code - (bound & -bit)) | 0;
          probs[i] = p - ((p + (zero & 31)) >> 5) + (zero & 64);
          m = (m << 1) | bit;
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos]!;
            inPos++;
          }
        } while (m < 64);
        const slot = m - 64;
        if (slot < 4) {
          rep0 = slot;
        } else {
          let direct = (slot >>> 1) - 1;
          // int32 arithmetic: distances of 2^31 and more wrap negative, which is refused below (and -1 is the end marker).
          let dist = (2 | (slot & 1)) << direct;
          let reverseBits: number;
          if (slot < 14) {
            tree = SPEC_POS + dist - slot;
            reverseBits = direct;
          } else {
            direct -= 4;
            let bits = 0;
            do {
              range = (range >>> 1) | 0;
              if ((code ^ SIGN) >= (range ^ SIGN)) {
                code = (code - range) | 0;
                bits = (bits << 1) | 1;
              } else bits <<= 1;
              if (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | input[inPos]!;
                inPos++;
              }
            } while (--direct > 0);
            dist += bits << 4;
            tree = ALIGN;
            reverseBits = 4;
          }
          m = 1;
          for (let k = 0; k < reverseBits; k++) {
            i = tree + m;
            p = probs[i]!;
            bound = Math.imul(range >>> 11, p);
            const bit = +((code ^ SIGN) >= (bound ^ SIGN));
            const zero = bit - 1;
            range = ((range - bound) & -bit) | (bound & zero);
            code = (code - (bound & -bit)) | 0;
            probs[i] = p - ((p + (zero & 31)) >> 5) + (zero & 64);
            m = (m << 1) | bit;
            dist |= bit << k;
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos]!;
              inPos++;
            }
          }
          rep0 = dist | 0;
        }
        if (rep0 === END_MARKER) {
          if (inPos > inEnd) break;
          if (size >= 0) throw this.fail('end marker before the declared uncompressed size');
          if (code !== 0) throw this.fail('range coder not finished at the end marker');
          this.outPos = outPos;
          return;
        }
      } else {
        state = state < 7 ? 8 : 11;
      }

      if (inPos > inEnd) break;
      if (rep0 < 0 || rep0 >= pos) throw this.fail(`distance ${rep0 + 1} reaches before the dictionary (${pos} bytes)`);
      const n = len + 2;
      if (outPos + n > outEnd) {
        if (size >= 0) throw this.fail(`match of ${n} bytes runs past the end of the ${size}-byte chunk`);
        throw new FsError('EIO', `${this.format}: output exceeds ${out.length} bytes`);
      }
      let from = outPos - rep0 - 1;
      // copyWithin has a call cost that only pays off for long copies. Both comparisons run on
      // every match: one never run before optimisation deoptimises when it first runs.
      const long = n > 32;
      if (rep0 >= n - 1 && long) {
        out.copyWithin(outPos, from, from + n);
        outPos += n;
      } else {
        const stop = outPos + n;
        while (outPos < stop) out[outPos++] = out[from++]!;
      }
    }
    if (inPos > inEnd) throw this.fail('input ends inside the stream');
    this.outPos = outPos;
    this.state = state;
    this.rep0 = rep0;
    this.rep1 = rep1;
    this.rep2 = rep2;
    this.rep3 = rep3;
  }
}

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
 */
import { FsError } from '../errors.js';

const STATES = 12;
const PROB_INIT = 1024;

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

  private input: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  private inEnd = 0;
  private overrun = false;
  private range = 0;
  private code = 0;

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

  /** Starts the range decoder on input[start, end). */
  private initRange(input: Uint8Array, start: number, end: number): void {
    if (end - start < 5) throw this.fail('range coder needs 5 bytes');
    if (input[start] !== 0) throw this.fail('range coder first byte is not zero');
    this.input = input;
    this.inEnd = end;
    this.code = ((input[start + 1]! << 24) | (input[start + 2]! << 16) | (input[start + 3]! << 8) | input[start + 4]!) >>> 0;
    this.range = 0xffffffff;
    this.inPos = start + 5;
    this.overrun = false;
    if (this.code === this.range) throw this.fail('range coder code equals range');
  }

  /** Where the range decoder stopped reading. */
  get inputPosition(): number {
    return this.inPos;
  }

  /**
   * Decodes from input[start, end) until `size` more bytes are out, or until
   * the end marker when `size` is -1 (then at most until the output is full).
   * With a known size an end marker right at the end is accepted too.
   */
  decode(input: Uint8Array, start: number, end: number, size: number): void {
    this.initRange(input, start, end);
    const out = this.out;
    const outEnd = size < 0 ? out.length : this.outPos + size;
    if (outEnd > out.length) throw this.fail(`output of ${outEnd} bytes exceeds ${out.length}`);
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    let state = this.state;
    let outPos = this.outPos;
    const dictStart = this.dictStart;
    let rep0 = this.rep0;
    let rep1 = this.rep1;
    let rep2 = this.rep2;
    let rep3 = this.rep3;

    const untilMarker = size < 0;
    while (outPos < outEnd || untilMarker) {
      const pos = outPos - dictStart;
      const posState = pos & pbMask;
      if (this.bit(IS_MATCH + (state << 4) + posState) === 0) {
        const prev = pos > 0 ? out[outPos - 1]! : 0;
        const base = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> (8 - lc)));
        let symbol = 1;
        if (state >= 7) {
          if (rep0 < 0 || rep0 >= pos) throw this.fail(`distance ${rep0 + 1} reaches before the dictionary`);
          let matchByte = out[outPos - rep0 - 1]!;
          while (symbol < 0x100) {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            const b = this.bit(base + ((1 + matchBit) << 8) + symbol);
            symbol = (symbol << 1) | b;
            if (b !== matchBit) break;
          }
        }
        while (symbol < 0x100) symbol = (symbol << 1) | this.bit(base + symbol);
        if (outPos >= outEnd) throw new FsError('EIO', `${this.format}: output exceeds ${out.length} bytes`);
        out[outPos++] = symbol & 0xff;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (this.bit(IS_REP + state) === 0) {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        len = this.length(LEN_CODER, posState);
        state = state < 7 ? 7 : 10;
        rep0 = this.distance(len);
        if (rep0 === END_MARKER) {
          if (this.overrun) break;
          if (size >= 0) throw this.fail('end marker before the declared uncompressed size');
          if (this.code !== 0) throw this.fail('range coder not finished at the end marker');
          this.outPos = outPos;
          return;
        }
      } else {
        if (pos === 0) throw this.fail('repeat match at the start of the dictionary');
        if (this.bit(IS_REP_G0 + state) === 0) {
          if (this.bit(IS_REP0_LONG + (state << 4) + posState) === 0) {
            // Short rep: one byte from rep0.
            if (rep0 < 0 || rep0 >= pos) throw this.fail(`distance ${rep0 + 1} reaches before the dictionary`);
            state = state < 7 ? 9 : 11;
            if (outPos >= outEnd) throw new FsError('EIO', `${this.format}: output exceeds ${out.length} bytes`);
            out[outPos] = out[outPos - rep0 - 1]!;
            outPos++;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(IS_REP_G1 + state) === 0) {
            dist = rep1;
          } else {
            if (this.bit(IS_REP_G2 + state) === 0) {
              dist = rep2;
            } else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        len = this.length(REP_LEN_CODER, posState);
        state = state < 7 ? 8 : 11;
      }
      if (this.overrun) break;
      if (rep0 < 0 || rep0 >= pos) throw this.fail(`distance ${rep0 + 1} reaches before the dictionary (${pos} bytes)`);
      let n = len + 2;
      if (outPos + n > outEnd) {
        if (size >= 0) throw this.fail(`match of ${n} bytes runs past the end of the ${size}-byte chunk`);
        throw new FsError('EIO', `${this.format}: output exceeds ${out.length} bytes`);
      }
      let from = outPos - rep0 - 1;
      if (n > 64 && rep0 + 1 >= n) {
        // copyWithin has a call cost that only pays off for long copies.
        out.copyWithin(outPos, from, from + n);
        outPos += n;
      } else {
        while (n-- > 0) out[outPos++] = out[from++]!;
      }
    }
    if (this.overrun) throw this.fail('input ends inside the stream');
    this.outPos = outPos;
    this.state = state;
    this.rep0 = rep0;
    this.rep1 = rep1;
    this.rep2 = rep2;
    this.rep3 = rep3;
  }

  private nextByte(): number {
    if (this.inPos < this.inEnd) return this.input[this.inPos++]!;
    this.overrun = true;
    return 0;
  }

  private bit(i: number): number {
    const probs = this.probs;
    const p = probs[i]!;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[i] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) + this.nextByte()) >>> 0;
    }
    return b;
  }

  private tree(base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(base + m);
    return m - (1 << bits);
  }

  private reverseTree(base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }

  private directBits(count: number): number {
    let result = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      result = (result << 1) | b;
      if (this.range < 0x1000000) {
        this.range = (this.range * 256) >>> 0;
        this.code = ((this.code * 256) + this.nextByte()) >>> 0;
      }
    }
    return result;
  }

  /** Match length minus 2 (0..271). */
  private length(base: number, posState: number): number {
    if (this.bit(base) === 0) return this.tree(base + 2 + posState * 8, 3);
    if (this.bit(base + 1) === 0) return 8 + this.tree(base + 2 + 128 + posState * 8, 3);
    return 16 + this.tree(base + 2 + 256, 8);
  }

  /** Match distance minus 1, or END_MARKER. */
  private distance(len: number): number {
    const lenState = len < 3 ? len : 3;
    const slot = this.tree(POS_SLOT + lenState * 64, 6);
    if (slot < 4) return slot;
    const direct = (slot >>> 1) - 1;
    // int32 arithmetic: distances of 2^31 and more wrap negative, which the caller refuses (and -1 is the end marker).
    const dist = (2 | (slot & 1)) << direct;
    if (slot < 14) return dist + this.reverseTree(SPEC_POS + dist - slot, direct);
    return (dist + (this.directBits(direct - 4) << 4) + this.reverseTree(ALIGN, 4)) | 0;
  }
}

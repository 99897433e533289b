/**
 * BinaryReader: bounds-checked little/big-endian reads over a byte array.
 *
 * Reads past the end never throw halfway through a parse: they return 0 and
 * record the overrun (like p9's buffer.go). The parser calls `check()` once
 * when it is done and gets an FsError naming the structure.
 */
import { FsError } from '../errors.js';

const TWO32 = 0x1_0000_0000;

export class BinaryReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** What is being parsed, for error messages ("qcow2 header"). */
  readonly what: string;
  /** Cursor for sequential reads (`next*` methods). */
  pos = 0;
  /** Largest offset a read wanted beyond the end, or -1. */
  private overrunTo = -1;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.what = what;
  }

  get length(): number {
    return this.bytes.length;
  }

  get overrun(): boolean {
    return this.overrunTo >= 0;
  }

  /** Throws EIO if any read went past the end. */
  check(): void {
    if (this.overrunTo >= 0) {
      throw new FsError('EIO', `${this.what}: truncated (needs ${this.overrunTo} bytes, has ${this.bytes.length})`);
    }
  }

  private ok(off: number, n: number): boolean {
    if (off >= 0 && off + n <= this.bytes.length) return true;
    this.overrunTo = Math.max(this.overrunTo, off + n);
    return false;
  }

  u8(off: number): number {
    return this.ok(off, 1) ? this.bytes[off]! : 0;
  }
  u16le(off: number): number {
    return this.ok(off, 2) ? this.view.getUint16(off, true) : 0;
  }
  u16be(off: number): number {
    return this.ok(off, 2) ? this.view.getUint16(off, false) : 0;
  }
  u32le(off: number): number {
    return this.ok(off, 4) ? this.view.getUint32(off, true) : 0;
  }
  u32be(off: number): number {
    return this.ok(off, 4) ? this.view.getUint32(off, false) : 0;
  }
  i32le(off: number): number {
    return this.ok(off, 4) ? this.view.getInt32(off, true) : 0;
  }
  i32be(off: number): number {
    return this.ok(off, 4) ? this.view.getInt32(off, false) : 0;
  }
  /**
   * 64-bit unsigned as a number. Exact below 2^53; above that the value is
   * rounded, which is harmless because every such offset or size is out of
   * range for any image and gets rejected by the caller's bounds check.
   */
  u64le(off: number): number {
    if (!this.ok(off, 8)) return 0;
    return this.view.getUint32(off + 4, true) * TWO32 + this.view.getUint32(off, true);
  }
  u64be(off: number): number {
    if (!this.ok(off, 8)) return 0;
    return this.view.getUint32(off, false) * TWO32 + this.view.getUint32(off + 4, false);
  }
  i64le(off: number): number {
    if (!this.ok(off, 8)) return 0;
    return this.view.getInt32(off + 4, true) * TWO32 + this.view.getUint32(off, true);
  }
  big64le(off: number): bigint {
    return this.ok(off, 8) ? this.view.getBigUint64(off, true) : 0n;
  }
  big64be(off: number): bigint {
    return this.ok(off, 8) ? this.view.getBigUint64(off, false) : 0n;
  }

  /** A view (not a copy) of n bytes; empty past the end. */
  slice(off: number, n: number): Uint8Array {
    return this.ok(off, n) ? this.bytes.subarray(off, off + n) : new Uint8Array(0);
  }

  /** Latin-1 string of n bytes, cut at the first NUL. */
  ascii(off: number, n: number): string {
    const b = this.slice(off, n);
    let end = b.indexOf(0);
    if (end < 0) end = b.length;
    let s = '';
    for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }

  /** UTF-8 string of n bytes, cut at the first NUL. */
  utf8(off: number, n: number): string {
    const b = this.slice(off, n);
    const end = b.indexOf(0);
    return utf8Decoder.decode(end < 0 ? b : b.subarray(0, end));
  }

  /** UTF-16LE string of n bytes, cut at the first NUL code unit. */
  utf16le(off: number, n: number): string {
    return decodeUtf16(this.slice(off, n & ~1), true);
  }
  utf16be(off: number, n: number): string {
    return decodeUtf16(this.slice(off, n & ~1), false);
  }

  // Sequential reads at `pos`.
  nextU8(): number {
    const v = this.u8(this.pos);
    this.pos += 1;
    return v;
  }
  nextU16le(): number {
    const v = this.u16le(this.pos);
    this.pos += 2;
    return v;
  }
  nextU32le(): number {
    const v = this.u32le(this.pos);
    this.pos += 4;
    return v;
  }
  nextU64le(): number {
    const v = this.u64le(this.pos);
    this.pos += 8;
    return v;
  }
  nextBytes(n: number): Uint8Array {
    const v = this.slice(this.pos, n);
    this.pos += n;
    return v;
  }
}

export const utf8Decoder = new TextDecoder('utf-8');
export const utf8Encoder = new TextEncoder();

function decodeUtf16(b: Uint8Array, littleEndian: boolean): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = littleEndian ? b[i]! | (b[i + 1]! << 8) : (b[i]! << 8) | b[i + 1]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Writes a 64-bit unsigned number (exact up to 2^53) little-endian. */
export function setU64le(view: DataView, off: number, value: number): void {
  view.setUint32(off, value % TWO32, true);
  view.setUint32(off + 4, Math.floor(value / TWO32), true);
}
export function setU64be(view: DataView, off: number, value: number): void {
  view.setUint32(off, Math.floor(value / TWO32), false);
  view.setUint32(off + 4, value % TWO32, false);
}

export function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The parts one after another in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

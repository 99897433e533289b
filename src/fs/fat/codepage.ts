/**
 * OEM code pages for 8.3 short names. Long names are UTF-16 and need none;
 * short names are bytes in the code page of whoever wrote them (DOS used
 * 437 in the US, 850 in Western Europe). We decode with the one the caller
 * chooses (option `codepage`, 437 by default like Linux) and, when making a
 * short name, only use characters that page has.
 */
import { FsError } from '../../errors.js';
import { OEM_HIGH_HALVES } from './codepage-tables.js';

export class OemCodepage {
  readonly name: string;
  private readonly high: string;
  private readonly reverse = new Map<string, number>();

  private constructor(name: string, high: string) {
    this.name = name;
    this.high = high;
    for (let i = 0; i < 128; i++) this.reverse.set(high[i]!, 0x80 + i);
  }

  static get(name: string | number = '437'): OemCodepage {
    const key = String(name).replace(/^cp/i, '');
    const high = OEM_HIGH_HALVES[key];
    if (high === undefined) {
      throw new FsError('EINVAL', `fat: code page '${name}' is not one of ${Object.keys(OEM_HIGH_HALVES).join(', ')}`);
    }
    return new OemCodepage(key, high);
  }

  /** The character a byte stands for (ASCII below 0x80, control bytes as they are). */
  decodeByte(b: number): string {
    return b < 0x80 ? String.fromCharCode(b) : this.high[b - 0x80]!;
  }

  decode(bytes: Uint8Array): string {
    let s = '';
    for (const b of bytes) s += this.decodeByte(b);
    return s;
  }

  /** The byte for one UTF-16 unit, or -1 if this code page has no such character. */
  encodeChar(ch: string): number {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c < 0x80) return c;
    return this.reverse.get(ch) ?? -1;
  }
}

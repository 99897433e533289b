/** Text encodings Node's fs accepts, without Buffer (the core runs in browsers). */
import { FsError } from '../errors.js';

export type Encoding = 'utf8' | 'utf-8' | 'latin1' | 'binary' | 'ascii' | 'hex' | 'base64' | 'base64url' | 'utf16le' | 'ucs2' | 'ucs-2' | 'utf-16le';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

function norm(encoding: string): string {
  const e = encoding.toLowerCase();
  if (e === 'utf-8') return 'utf8';
  if (e === 'binary') return 'latin1';
  if (e === 'ucs2' || e === 'ucs-2' || e === 'utf-16le') return 'utf16le';
  return e;
}

export function encode(s: string, encoding: string = 'utf8'): Uint8Array {
  switch (norm(encoding)) {
    case 'utf8':
      return utf8Encoder.encode(s);
    case 'latin1':
    case 'ascii': {
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
      return out;
    }
    case 'hex': {
      const n = s.length >> 1;
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = parseInt(s.substr(i * 2, 2), 16);
        if (Number.isNaN(v)) return out.subarray(0, i);
        out[i] = v;
      }
      return out;
    }
    case 'base64':
    case 'base64url': {
      const b = atob(s.replace(/-/g, '+').replace(/_/g, '/').replace(/[^A-Za-z0-9+/]/g, '').padEnd(Math.ceil(s.length / 4) * 4, '='));
      return encode(b, 'latin1');
    }
    case 'utf16le': {
      const out = new Uint8Array(s.length * 2);
      for (let i = 0; i < s.length; i++) {
        out[i * 2] = s.charCodeAt(i) & 0xff;
        out[i * 2 + 1] = s.charCodeAt(i) >> 8;
      }
      return out;
    }
    default:
      throw new FsError('EINVAL', `unknown encoding '${encoding}'`);
  }
}

export function decode(b: Uint8Array, encoding: string = 'utf8'): string {
  switch (norm(encoding)) {
    case 'utf8':
      return utf8Decoder.decode(b);
    case 'latin1':
      return latin1(b);
    case 'ascii': {
      let s = '';
      for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]! & 0x7f);
      return s;
    }
    case 'hex': {
      let s = '';
      for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
      return s;
    }
    case 'base64':
      return btoa(latin1(b));
    case 'base64url':
      return btoa(latin1(b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    case 'utf16le': {
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b[i]! | (b[i + 1]! << 8));
      return s;
    }
    default:
      throw new FsError('EINVAL', `unknown encoding '${encoding}'`);
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Data arguments as Node takes them: strings (with an encoding) or any ArrayBufferView. */
export function toBytes(data: string | ArrayBufferView, encoding?: string | null): Uint8Array {
  if (typeof data === 'string') return encode(data, encoding ?? 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new FsError('EINVAL', 'data must be a string or an ArrayBufferView');
}

/**
 * Playing the kernel's side of FUSE without a device: encodes requests as
 * the kernel writes them to /dev/fuse and decodes the replies a
 * FuseSession sends, so the protocol is tested byte for byte.
 */
import { concatBytes } from '../../src/binary/reader.js';
import { FuseSession, type FuseSessionOptions } from '../../src/hosts/fuse/session.js';
import type { FileSystem } from '../../src/fs/filesystem.js';
import * as P from '../../src/hosts/fuse/protocol.js';

export interface Reply {
  unique: number;
  error: number;
  body: Uint8Array;
  view: DataView;
}

const enc = new TextEncoder();

export class FakeKernel {
  readonly session: FuseSession;
  readonly replies: Reply[] = [];
  private unique = 2;
  /** Make `send` report the request as gone (interrupted) for these uniques. */
  readonly dropUniques = new Set<number>();

  constructor(fs: FileSystem, options: FuseSessionOptions = {}) {
    this.session = new FuseSession(fs, (parts) => this.receive(parts), options);
  }

  private receive(parts: Uint8Array[]): boolean {
    const all = concatBytes(parts);
    const total = all.length;
    const v = new DataView(all.buffer);
    const len = v.getUint32(0, true);
    if (len !== total) throw new Error(`reply header says ${len} bytes, ${total} sent`);
    const unique = P.getU64(v, 8);
    if (this.dropUniques.has(unique)) return false;
    const body = all.subarray(P.FUSE_OUT_HEADER_SIZE);
    this.replies.push({ unique, error: v.getInt32(4, true), body, view: new DataView(body.buffer, body.byteOffset, body.byteLength) });
    return true;
  }

  /** Raw request bytes: header + fixed struct + NUL-terminated names + payload. */
  request(opcode: number, nodeid: number, struct: Uint8Array = new Uint8Array(0), names: string[] = [], payload: Uint8Array = new Uint8Array(0), uid = 0): { bytes: Uint8Array; unique: number } {
    const nameBytes = names.map((n) => [...enc.encode(n), 0]).flat();
    const bytes = new Uint8Array(P.FUSE_IN_HEADER_SIZE + struct.length + nameBytes.length + payload.length);
    const v = new DataView(bytes.buffer);
    const unique = this.unique;
    this.unique += 2;
    v.setUint32(0, bytes.length, true);
    v.setUint32(4, opcode, true);
    P.setU64(v, 8, unique);
    P.setU64(v, 16, nodeid);
    v.setUint32(24, uid, true);
    v.setUint32(28, uid, true);
    v.setUint32(32, 4242, true);
    bytes.set(struct, P.FUSE_IN_HEADER_SIZE);
    bytes.set(nameBytes, P.FUSE_IN_HEADER_SIZE + struct.length);
    bytes.set(payload, P.FUSE_IN_HEADER_SIZE + struct.length + nameBytes.length);
    return { bytes, unique };
  }

  /** Sends a request and returns its reply (undefined for requests that get none). */
  async call(opcode: number, nodeid: number, struct?: Uint8Array, names?: string[], payload?: Uint8Array, uid?: number): Promise<Reply | undefined> {
    const { bytes, unique } = this.request(opcode, nodeid, struct, names, payload, uid);
    await this.session.handle(bytes);
    return this.replies.find((r) => r.unique === unique);
  }

  async ok(opcode: number, nodeid: number, struct?: Uint8Array, names?: string[], payload?: Uint8Array): Promise<Reply> {
    const r = await this.call(opcode, nodeid, struct, names, payload);
    if (!r) throw new Error('no reply');
    if (r.error) throw new Error(`error ${r.error}`);
    return r;
  }

  async init(minor = 45, flags = 0x73fffffb, maxReadahead = 131072): Promise<Reply> {
    const s = new Uint8Array(64);
    const v = new DataView(s.buffer);
    v.setUint32(0, 7, true);
    v.setUint32(4, minor, true);
    v.setUint32(8, maxReadahead, true);
    v.setUint32(12, flags, true);
    return this.ok(P.FUSE_INIT, 0, s);
  }
}

/** Little helpers to build fixed structs. */
export function struct(size: number, fill: (v: DataView) => void): Uint8Array {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  return b;
}

export function readIn(fh: number, offset: number, size: number): Uint8Array {
  return struct(P.fuse_read_in_size, (v) => {
    P.setU64(v, 0, fh);
    P.setU64(v, 8, offset);
    v.setUint32(16, size, true);
  });
}

/** Dirents of a READDIR reply: [name, ino, off, type]. */
export function parseDirents(body: Uint8Array, plus: boolean): Array<{ name: string; ino: number; off: number; type: number; nodeid?: number }> {
  const out: Array<{ name: string; ino: number; off: number; type: number; nodeid?: number }> = [];
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  while (at < body.length) {
    const nodeid = plus ? P.getU64(v, at) : undefined;
    const d = plus ? at + P.FUSE_ENTRY_OUT_SIZE : at;
    const namelen = v.getUint32(d + 16, true);
    const name = new TextDecoder().decode(body.subarray(d + 24, d + 24 + namelen));
    out.push({ name, ino: P.getU64(v, d), off: P.getU64(v, d + 8), type: v.getUint32(d + 20, true), ...(plus ? { nodeid } : {}) });
    at = d + P.alignDirent(24 + namelen);
  }
  return out;
}

/**
 * FuseSession: FUSE requests in, replies out, over a FileSystem driver. No
 * device here: `handle(bytes)` takes one request as the kernel wrote it to
 * /dev/fuse and calls `send` with the reply's parts (header first), so the
 * whole protocol runs in tests by feeding raw bytes, and src/node/fuse
 * only moves bytes between this and the device.
 *
 * Requests run concurrently; each reply carries its request's unique id,
 * so replies go out in whatever order the driver finishes. `send` must be
 * done with the parts when it returns (it writes or copies them): read
 * buffers are reused right after.
 */
import { utf8Encoder } from '../../binary/reader.js';
import { ERRNO, FsError, toFsError } from '../../errors.js';
import type { Caller, Entry, FileSystem } from '../../fs/filesystem.js';
import { cachePolicyFor, toFuseAttr, validity, type CachePolicy, type OwnerMapping } from './attr.js';
import { HandleTable } from './handles.js';
import { NodeTable, type FuseNode } from './nodes.js';
import { OPCODES, type Body } from './opcodes.js';
import { describeRequest, opcodeName } from './print.js';
import {
  FUSE_ENTRY_OUT_SIZE, FUSE_IN_HEADER_SIZE, FUSE_OUT_HEADER_SIZE, decodeInHeader, encodeEntryOut, encodeOutHeader,
  type fuse_attr, type fuse_in_header,
} from './protocol.js';

export interface FuseSessionOptions {
  /** Refuse every change with EROFS even if the driver can write. */
  readOnly?: boolean;
  /** Owner and mode mapping for display (`--uid`, `--gid`, `--umask`). */
  owners?: OwnerMapping;
  /** Override parts of the cache policy that `fs.capabilities.consistency` implies. */
  cache?: Partial<CachePolicy>;
  /** Largest READ/WRITE in bytes (default 1 MiB: 256 pages). */
  maxWrite?: number;
  /** Let the kernel cache writes (FUSE_WRITEBACK_CACHE); only for writable mounts. */
  writebackCache?: boolean;
  /** Bypass the page cache for file data (FOPEN_DIRECT_IO): 1 MiB requests, no mmap. */
  directIo?: boolean;
  /** One line per request and reply. */
  debug?: (line: string) => void;
}

/** One decoded request, handed to the opcode's handler. */
export interface FuseRequest {
  readonly header: fuse_in_header;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** The file names the opcode carries, in order. */
  readonly names: string[];
  /** Bytes after the fixed part and the names (WRITE data, SETXATTR value). */
  readonly rest: Uint8Array;
  readonly caller: Caller;
  /** Called when the kernel did not take the reply (the request was interrupted): undo lookup counts. */
  undo?: () => void;
  /** Called once the reply went out (returns pooled buffers). */
  after?: () => void;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class FuseSession {
  readonly fs: FileSystem;
  readonly nodes: NodeTable;
  readonly handles = new HandleTable();
  readonly cache: CachePolicy;
  readonly owners: OwnerMapping;
  readonly readOnly: boolean;
  readonly maxWrite: number;
  readonly writebackCache: boolean;
  readonly directIo: boolean;
  readonly debug: ((line: string) => void) | undefined;
  /** Protocol minor agreed at INIT (0 before). */
  minor = 0;
  /**
   * OPEN and OPENDIR are answered ENOSYS once, and the kernel opens without
   * asking from then on (fh 0, keep-cache): for drivers with no per-open
   * state, on immutable images, this saves two round trips per file.
   */
  noOpen = false;
  noOpendir = false;
  /** True once DESTROY arrived (or the session was torn down). */
  destroyed = false;
  private readonly send: (parts: Uint8Array[]) => boolean;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(fs: FileSystem, send: (parts: Uint8Array[]) => boolean, options: FuseSessionOptions = {}) {
    this.fs = fs;
    this.send = send;
    this.nodes = new NodeTable(fs.rootIno);
    this.readOnly = options.readOnly === true || !fs.capabilities.write;
    // A read-only mount of a writable driver keeps the driver's policy: others in this process may still change it.
    this.cache = { ...cachePolicyFor(fs.capabilities.consistency), ...options.cache };
    this.owners = options.owners ?? {};
    this.maxWrite = options.maxWrite ?? 1 << 20;
    this.writebackCache = !this.readOnly && options.writebackCache === true;
    this.directIo = options.directIo === true;
    this.debug = options.debug;
  }

  /** Handles one request; resolves once its reply went out (or none is due). */
  handle(bytes: Uint8Array): Promise<void> {
    const p = this.dispatch(bytes).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  /** Resolves when every request taken so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async dispatch(bytes: Uint8Array): Promise<void> {
    if (bytes.length < FUSE_IN_HEADER_SIZE) {
      this.debug?.(`fuse: short request of ${bytes.length} bytes dropped`);
      return;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = decodeInHeader(view);
    const op = OPCODES.get(header.opcode);
    let body: Body;
    let req: FuseRequest | undefined;
    try {
      if (header.len !== bytes.length) throw new FsError('EINVAL', `fuse: request says ${header.len} bytes, read ${bytes.length}`);
      if (!op) throw new FsError('ENOSYS', `fuse: opcode ${header.opcode} is not implemented`);
      if (this.minor === 0 && op.name !== 'INIT') throw new FsError('EIO', `fuse: ${op.name} before INIT`);
      const end = FUSE_IN_HEADER_SIZE + op.inSize;
      if (bytes.length < end) throw new FsError('EINVAL', `fuse: ${op.name} body is ${bytes.length - FUSE_IN_HEADER_SIZE} bytes, needs ${op.inSize}`);
      const arg = op.decode(view, FUSE_IN_HEADER_SIZE);
      const { names, next } = readNames(bytes, end, op.names, op.name);
      if (op.fileNames) checkNameLengths(names.slice(0, op.fileNames), this.fs.capabilities.maxNameLength, op.name);
      req = { header, bytes, view, names, rest: bytes.subarray(next), caller: { uid: header.uid, gid: header.gid } };
      if (this.debug) this.debug(`<- ${describeRequest(header, op.name, arg, names)}`);
      if (op.writes && this.readOnly) throw new FsError('EROFS', `fuse: ${op.name}: read-only mount`);
      body = await op.handler(this, req, arg);
    } catch (e) {
      const err = toFsError(e, `fuse ${op?.name ?? header.opcode}`);
      if (!(e instanceof FsError) && this.debug) this.debug(`fuse: ${op?.name}: unexpected ${String((e as Error)?.stack ?? e)}`);
      this.reply(header, -(ERRNO[err.code] ?? ERRNO.EIO), [], req);
      if (this.debug) this.debug(`-> ${header.unique} ${opcodeName(header.opcode)} error ${err.code}: ${err.message}`);
      return;
    }
    if (body === null) return; // FORGET, BATCH_FORGET, INTERRUPT: no reply
    this.reply(header, 0, body, req);
    if (this.debug) this.debug(`-> ${header.unique} ${op!.name} ok ${body.reduce((n, b) => n + b.length, 0)} bytes`);
  }

  private reply(header: fuse_in_header, error: number, body: Uint8Array[], req: FuseRequest | undefined): void {
    const out = new Uint8Array(FUSE_OUT_HEADER_SIZE);
    const len = FUSE_OUT_HEADER_SIZE + (error ? 0 : body.reduce((n, b) => n + b.length, 0));
    encodeOutHeader(new DataView(out.buffer), len, error, header.unique);
    let delivered = false;
    try {
      delivered = this.send(error ? [out] : [out, ...body]);
    } catch (e) {
      // The kernel refused the reply (a bug of ours: wrong size or layout). Its caller would wait
      // forever, so answer EIO instead.
      this.debug?.(`fuse: reply to ${header.unique} refused: ${(e as Error).message}`);
      if (!error) {
        encodeOutHeader(new DataView(out.buffer), FUSE_OUT_HEADER_SIZE, -ERRNO.EIO, header.unique);
        try {
          this.send([out]);
        } catch {
          // nothing more to try
        }
      }
    } finally {
      if (!delivered) req?.undo?.();
      req?.after?.();
    }
  }

  // ---- helpers for handlers ----

  node(nodeid: number): FuseNode {
    const n = this.nodes.get(nodeid);
    if (!n) throw new FsError('ESTALE', `fuse: unknown nodeid ${nodeid}`);
    return n;
  }

  attr(st: Parameters<typeof toFuseAttr>[0]): fuse_attr {
    return toFuseAttr(st, this.owners);
  }

  /**
   * An entry reply for a lookup-like call the driver counted: the kernel
   * now holds one more lookup, undone if the reply never arrives.
   */
  entryOut(req: FuseRequest, parent: number, entry: Entry, counted = true): Uint8Array[] {
    const node = this.nodes.remember(entry.ino, parent, counted);
    req.undo = () => this.forget(node.nodeid, 1);
    const out = new Uint8Array(FUSE_ENTRY_OUT_SIZE);
    encodeEntryOut(new DataView(out.buffer), 0, {
      nodeid: node.nodeid, generation: 0,
      entry_valid: validity(this.cache.entryTimeout), attr_valid: validity(this.cache.attrTimeout),
      attr: this.attr(entry.attr),
    });
    return [out];
  }

  /** The kernel drops `n` lookups of a node; the driver hears of it. */
  forget(nodeid: number, n: number): void {
    const dropped = this.nodes.forget(nodeid, n);
    if (dropped) this.fs.forget?.(dropped.ino, dropped.n);
  }

  /** Drops everything the kernel held (after unmount). */
  async teardown(): Promise<void> {
    await this.settled();
    for (const h of this.handles.drain()) {
      try {
        if (h.dir) await this.fs.releasedir?.(h.ino, h.fh);
        else await this.fs.release?.(h.ino, h.fh);
      } catch {
        // the mount is gone; nothing to tell
      }
    }
    for (const n of [...this.nodes.held()]) this.forget(n.nodeid, n.nlookup);
  }
}

/** Offsets and sizes the kernel sends are u64; past 2^53 they cannot name a byte we could hold. */
export function safeOffset(n: number, what: string): number {
  if (!(n >= 0 && n <= MAX_SAFE)) throw new FsError('EFBIG', `fuse: ${what} ${n} is beyond 2^53`);
  return n;
}

/** The kernel allows names up to 1024 bytes (FUSE_NAME_MAX); the driver's limit is the one users see. */
function checkNameLengths(names: string[], max: number, op: string): void {
  for (const n of names) {
    if (n.length * 3 > max && utf8Encoder.encode(n).length > max) throw new FsError('ENAMETOOLONG', `fuse: ${op}: name longer than ${max} bytes`);
  }
}

function readNames(bytes: Uint8Array, start: number, count: number, op: string): { names: string[]; next: number } {
  const names: string[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    const nul = bytes.indexOf(0, at);
    if (nul < 0) throw new FsError('EINVAL', `fuse: ${op}: name ${i + 1} is not NUL-terminated`);
    try {
      names.push(strictUtf8.decode(bytes.subarray(at, nul)));
    } catch {
      throw new FsError('EILSEQ', `fuse: ${op}: name ${i + 1} is not valid UTF-8`);
    }
    at = nul + 1;
  }
  return { names, next: at };
}

/**
 * A batch of extractTree's leaf copies, named by file handles: what the
 * walking thread hands a worker (extract-worker.ts), or runs itself while
 * no worker is ready. Each item is copied in order; its warnings, counts
 * and errors come back as data, for the walking thread to report in walk
 * order. An inode with several names is not copied here but handed back
 * ('deferred'): hardlink chains need the walk's order, which only the
 * walking thread has.
 */
import type { FileSystem } from '../fs/filesystem.js';
import { S_IFDIR, S_IFMT } from '../fs/mode.js';
import type { LeafCopier, LeafKind, LeafLog } from './extract-leaf.js';
import { serializeError, type SerializedError } from './worker-error.js';

/**
 * A batch of leaves in columns: the handles in one buffer and each leaf's
 * names, not an object, a handle buffer and two full paths per leaf — the
 * walking thread builds, keeps and the worker message clones far less.
 */
export interface LeafBatch {
  count: number;
  /** From the walking instance's encodeHandle, back to back: item i's ends at ends[i]. */
  handles: Uint8Array;
  ends: Uint32Array;
  /** The items' directories: image path, and the host path prefix a host name is appended to. */
  dirPaths: string[];
  destPrefixes: string[];
  /** Per item: its directory (index into dirPaths), its name in the image, its host name ('' if the same). */
  dir: Uint32Array;
  names: string[];
  hostNames: string[];
}

/** Fills a LeafBatch, leaf by leaf, in walk order. */
export class LeafBatchBuilder {
  count = 0;
  private handles = new Uint8Array(1024);
  private used = 0;
  private ends: number[] = [];
  private dirPaths: string[] = [];
  private destPrefixes: string[] = [];
  private dir: number[] = [];
  private names: string[] = [];
  private hostNames: string[] = [];

  add(handle: Uint8Array, dirPath: string, destPrefix: string, name: string, hostName: string): void {
    const n = this.dirPaths.length;
    // Consecutive leaves mostly share a directory: named once.
    if (n === 0 || this.destPrefixes[n - 1] !== destPrefix) {
      this.dirPaths.push(dirPath);
      this.destPrefixes.push(destPrefix);
    }
    if (this.used + handle.length > this.handles.length) {
      const grown = new Uint8Array(Math.max(this.handles.length * 2, this.used + handle.length));
      grown.set(this.handles.subarray(0, this.used));
      this.handles = grown;
    }
    this.handles.set(handle, this.used);
    this.used += handle.length;
    this.ends.push(this.used);
    this.dir.push(this.dirPaths.length - 1);
    this.names.push(name);
    this.hostNames.push(hostName === name ? '' : hostName);
    this.count++;
  }

  build(): LeafBatch {
    return {
      count: this.count,
      handles: this.handles.slice(0, this.used),
      ends: Uint32Array.from(this.ends),
      dirPaths: this.dirPaths,
      destPrefixes: this.destPrefixes,
      dir: Uint32Array.from(this.dir),
      names: this.names,
      hostNames: this.hostNames,
    };
  }
}

export function leafHandle(b: LeafBatch, i: number): Uint8Array {
  return b.handles.subarray(i === 0 ? 0 : b.ends[i - 1]!, b.ends[i]!);
}

export function leafImagePath(b: LeafBatch, i: number): string {
  const d = b.dirPaths[b.dir[i]!]!;
  return d === '/' ? `/${b.names[i]!}` : `${d}/${b.names[i]!}`;
}

export function leafDest(b: LeafBatch, i: number): string {
  return b.destPrefixes[b.dir[i]!]! + (b.hostNames[i]! || b.names[i]!);
}

/** Consecutive batches as one. */
export function concatBatches(batches: LeafBatch[]): LeafBatch {
  const out = new LeafBatchBuilder();
  for (const b of batches) for (let i = 0; i < b.count; i++) out.add(leafHandle(b, i), b.dirPaths[b.dir[i]!]!, b.destPrefixes[b.dir[i]!]!, b.names[i]!, b.hostNames[i]! || b.names[i]!);
  return out.build();
}

/** A warning or a skip, as LeafLog received it. */
export type LogRecord = { warn: string } | { skip: string; reason: string };

/** What became of each item, by index. */
export const ITEM_SKIPPED = 0; // nothing made (a log entry says why)
export const ITEM_FILE = 1;
export const ITEM_SYMLINK = 2;
export const ITEM_SPECIAL = 3;
/** Several names: for the walking thread to copy, in walk order. */
export const ITEM_DEFERRED = 4;
export const ITEM_FAILED = 5;

/**
 * A batch's results in columns (two typed arrays and the rare notes), so
 * that answering a batch costs a worker one small message, not an object
 * per file.
 */
export interface BatchResults {
  status: Uint8Array;
  bytes: Float64Array;
  /** Items with warnings or skips to report, or an error. */
  notes: Array<{ i: number; log: LogRecord[]; error?: SerializedError }>;
}

const KIND_STATUS = { file: ITEM_FILE, symlink: ITEM_SYMLINK, special: ITEM_SPECIAL } as const;

/** Copies each item of `items` from `fs`; never throws (a failure is that item's result). */
export async function copyBatch(fs: FileSystem, copier: LeafCopier, items: LeafBatch, bytes: { n: number }): Promise<BatchResults> {
  const out: BatchResults = { status: new Uint8Array(items.count), bytes: new Float64Array(items.count), notes: [] };
  let log: LogRecord[] = [];
  const sink: LeafLog = {
    warn: (message) => log.push({ warn: message }),
    skip: (path, reason) => log.push({ skip: path, reason }),
  };
  for (let i = 0; i < items.count; i++) {
    let ino: number | undefined;
    try {
      const entry = await fs.decodeHandle!(leafHandle(items, i));
      ino = entry.ino;
      if (entry.attr.nlink > 1 && (entry.attr.mode & S_IFMT) !== S_IFDIR) {
        out.status[i] = ITEM_DEFERRED;
        continue;
      }
      bytes.n = 0;
      const kind: LeafKind = await copier.copy(entry.ino, entry.attr, leafImagePath(items, i), leafDest(items, i), sink);
      out.status[i] = kind ? KIND_STATUS[kind] : ITEM_SKIPPED;
      out.bytes[i] = bytes.n;
      if (log.length) out.notes.push({ i, log });
    } catch (e) {
      out.status[i] = ITEM_FAILED;
      out.notes.push({ i, log, error: serializeError(e) });
    } finally {
      if (ino !== undefined) fs.forget?.(ino, 1);
      if (log.length) log = [];
    }
  }
  return out;
}

/** Every item failed with `e` (a batch that could not be run or answered). */
export function failedBatch(count: number, e: unknown): BatchResults {
  const error = serializeError(e);
  const out: BatchResults = { status: new Uint8Array(count).fill(ITEM_FAILED), bytes: new Float64Array(count), notes: [] };
  for (let i = 0; i < count; i++) out.notes.push({ i, log: [], error });
  return out;
}

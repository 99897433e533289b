/**
 * A batch of extractTree's leaf copies, named by file handles: what the
 * walking thread hands a worker (extract-worker.ts), or runs itself while
 * no worker is ready. Each item is copied in order; its warnings, counts
 * and errors come back as data, for the walking thread to report in walk
 * order. An inode with several names is not copied here but handed back
 * ('deferred'): hardlink chains need the walk's order, which only the
 * walking thread has.
 */
import { FsError, type ErrnoCode } from '../errors.js';
import type { FileSystem } from '../fs/filesystem.js';
import { S_IFDIR, S_IFMT } from '../fs/mode.js';
import type { LeafCopier, LeafKind, LeafLog } from './extract-leaf.js';

export interface BatchItem {
  /** From the walking instance's encodeHandle. */
  handle: Uint8Array;
  imagePath: string;
  dest: string;
}

/** A warning or a skip, as LeafLog received it. */
export type LogRecord = { warn: string } | { skip: string; reason: string };

export interface SerializedError {
  fsError: boolean;
  code: string;
  name: string;
  message: string;
}

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
export async function copyBatch(fs: FileSystem, copier: LeafCopier, items: BatchItem[], bytes: { n: number }): Promise<BatchResults> {
  const out: BatchResults = { status: new Uint8Array(items.length), bytes: new Float64Array(items.length), notes: [] };
  let log: LogRecord[] = [];
  const sink: LeafLog = {
    warn: (message) => log.push({ warn: message }),
    skip: (path, reason) => log.push({ skip: path, reason }),
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    let ino: number | undefined;
    try {
      const entry = await fs.decodeHandle!(item.handle);
      ino = entry.ino;
      if (entry.attr.nlink > 1 && (entry.attr.mode & S_IFMT) !== S_IFDIR) {
        out.status[i] = ITEM_DEFERRED;
        continue;
      }
      bytes.n = 0;
      const kind: LeafKind = await copier.copy(entry.ino, entry.attr, item.imagePath, item.dest, sink);
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

export function serializeError(e: unknown): SerializedError {
  const err = e as Error;
  return {
    fsError: e instanceof FsError,
    code: typeof (e as FsError)?.code === 'string' ? (e as FsError).code : '',
    name: err?.name ?? 'Error',
    message: err?.message ?? String(e),
  };
}

/**
 * The error as thrown: an FsError keeps its errno; anything else stays a
 * plain Error (a host error keeps its `code`, a bug stays a bug).
 */
export function rebuildError(e: SerializedError): Error {
  if (e.fsError) return new FsError(e.code as ErrnoCode, e.message);
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

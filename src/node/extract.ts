/**
 * extractTree: copy a tree out of any FileSystem onto the host, keeping
 * modes, times, symlinks and hardlinks where the host allows — and never
 * writing outside the destination, whatever the image says.
 *
 * Safety rules (hostile images are the normal case here):
 * - every name from the image is one plain component: '', '.', '..', names
 *   with '/', NUL or control characters are rewritten (safeName) and
 *   reported; duplicates after rewriting get a ~N suffix;
 * - nothing is ever written through a symlink: files are created with
 *   O_NOFOLLOW|O_EXCL, directories are checked with lstat, and whatever
 *   stands in the way (a symlink from the image or a stale file) is removed
 *   first, never followed;
 * - symlink targets are copied as text (they are data); since nothing is
 *   written through them, an absolute or '../..' target cannot lead a write
 *   outside DEST;
 * - a directory that appears inside itself (a cycle in a corrupt image) is
 *   skipped, as are setuid/setgid bits unless asked for, and device nodes
 *   unless running as root.
 *
 * Concurrency: the walk (readdir, lookup, mkdir) runs one entry at a time,
 * in order, on the calling thread. Every name used is unique in its
 * directory, so copies never touch one another's paths, and a directory
 * exists before any copy below it starts. Each non-directory entry is a
 * leaf copy (extract-leaf.ts), run one of two ways:
 * - in parallel on worker threads, when the caller says where the
 *   filesystem came from (`source`) and the driver has file handles
 *   (encodeHandle/decodeHandle): the walk does not even look the entry up,
 *   it sends its handle in a batch (extract-workers.ts); each worker opens
 *   the image itself and does the per-file work — look up, read and
 *   decompress, create, write, chmod, utimes, close — so every core does
 *   per-file work, not just decompression. An inode with several names
 *   comes back to this thread and is copied here, in walk order, so every
 *   later name becomes a hardlink to the first copy;
 * - otherwise here, FILES_IN_FLIGHT at once, because most files are small
 *   (a fragment each) and one at a time leaves the decompression workers
 *   and the disk idle between them. A hardlink waits for the copy of its
 *   first name.
 * File metadata is set on the open descriptor when its data is in;
 * directory metadata after every copy has ended. Warnings, skips and
 * renames come out in walk order, as a sequential copy would give them
 * (OrderedLog), whichever way the copies ran. The host calls are
 * synchronous while the host answers fast (HostFileIo, extract-io.ts).
 */
import { availableParallelism } from 'node:os';
import { readlink as hostReadlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FsError, toFsError } from '../errors.js';
import type { FileSystem, Ino, Stat } from '../fs/filesystem.js';
import { DT_DIR, DT_UNKNOWN, S_IFMT, S_IFDIR } from '../fs/mode.js';
import { safeName, uniqueName, unsafeNameReason } from '../util/safe-name.js';
import { ITEM_DEFERRED, ITEM_FAILED, ITEM_FILE, ITEM_SPECIAL, ITEM_SYMLINK, LeafBatchBuilder, leafDest, leafHandle, leafImagePath, type BatchResults, type LeafBatch } from './extract-batch.js';
import { HostFileIo } from './extract-io.js';
import { isRoot, LeafCopier, type LeafLog, type LeafOptions } from './extract-leaf.js';
import { OrderedLog, type LogSlot } from './extract-log.js';
import { LeafBatches, type ExtractSource } from './extract-workers.js';
import { rebuildError } from './worker-error.js';

export type { ExtractSource } from './extract-workers.js';

export interface ExtractOptions {
  /** chown to the image's owners (default: only when running as root, like tar). */
  sameOwner?: boolean;
  /** Keep setuid, setgid and sticky bits (default: only when running as root, like tar -p). */
  specialBits?: boolean;
  /** Create FIFOs and, as root, device nodes (default true). */
  specialFiles?: boolean;
  /** Called for every rewritten name, skipped entry and partial failure. */
  onWarning?: (message: string) => void;
  /** Called as data is copied. */
  onProgress?: (progress: ExtractProgress) => void;
  signal?: AbortSignal;
  /**
   * Where `fs` came from (the address and options given to openSource).
   * With it, and a driver that has file handles, files are copied on
   * worker threads that each open the same source; without, on this thread.
   */
  source?: ExtractSource;
  /** Worker threads for that (default: availableParallelism()); 0 copies everything on this thread. */
  workers?: number;
}

export interface ExtractProgress {
  entries: number;
  bytes: number;
  /** The image path being copied. */
  current: string;
}

export interface ExtractStats {
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  special: number;
  bytes: number;
  /** Names that had to be rewritten: image path → host path. */
  renamed: Array<{ from: string; to: string }>;
  skipped: Array<{ path: string; reason: string }>;
}

/** Non-directory entries copied at once on this thread. */
const FILES_IN_FLIGHT = 8;
/** Leaves per batch sent to a worker. */
const BATCH_ITEMS = 128;
/**
 * Batches sent and not yet reported before the walk waits: enough for the
 * walk to run ahead while the workers start (a few hundred bytes a leaf).
 */
const BATCHES_AHEAD = 64;

interface PendingDir {
  path: string;
  attr: Stat;
}

/** The copies of one multiply-linked inode form a chain: each waits for the one before it. */
interface LinkStep {
  /** Host path of the inode's first copy once the previous step is done; undefined if there is none. */
  previous: Promise<string | undefined> | undefined;
  resolve: (path: string | undefined) => void;
}

/**
 * A batch being filled or sent, with what the walk keeps of each leaf: its
 * order, and its log slot — one slot for a run of leaves with nothing else
 * started between them (their messages come out in item order anyway).
 */
interface QueuedBatch {
  leaves: LeafBatchBuilder;
  orders: number[];
  slots: LogSlot[];
}

class Extractor {
  readonly stats: ExtractStats = { files: 0, directories: 0, symlinks: 0, hardlinks: 0, special: 0, bytes: 0, renamed: [], skipped: [] };
  /** inode → the last link step started for it. */
  private readonly linked = new Map<Ino, Promise<string | undefined>>();
  private readonly dirsToFinish: PendingDir[] = [];
  private readonly io = new HostFileIo();
  private readonly log = new OrderedLog();
  private readonly running = new Set<Promise<void>>();
  private readonly leaf: LeafOptions;
  private readonly copier: LeafCopier;
  /** Bytes of the batch item being copied on this thread. */
  private readonly localBytes = { n: 0 };
  /** Parallel copies: the batches, the one being filled, and the reports still to apply, in order. */
  private readonly batches: LeafBatches | undefined;
  private filling: QueuedBatch = newBatch();
  private reported: Promise<void> = Promise.resolve();
  private batchesOut = 0;
  private batchWaiters: Array<() => void> = [];
  /** The first failure that ends the extraction (by walk order), once there is one. */
  private failure: { order: number; error: unknown } | undefined;
  private order = 0;
  private entries = 0;
  /** The image path the walk has reached (for progress). */
  private current = '';

  constructor(
    private readonly fs: FileSystem,
    private readonly options: ExtractOptions,
  ) {
    this.leaf = { sameOwner: options.sameOwner ?? isRoot, specialBits: options.specialBits ?? isRoot, specialFiles: options.specialFiles ?? true };
    this.copier = new LeafCopier(fs, this.io, this.leaf, (n) => {
      this.stats.bytes += n;
      this.progress();
    });
    const workers = options.workers ?? availableParallelism();
    if (options.source && fs.encodeHandle && fs.decodeHandle && workers > 0 && cloneable(options.source)) {
      // Batches run here (while no worker is ready) count their bytes when reported, like a worker's.
      const local = new LeafCopier(fs, this.io, this.leaf, (n) => (this.localBytes.n += n));
      this.batches = new LeafBatches(fs, local, this.localBytes, { source: options.source, leaf: this.leaf }, workers);
    }
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }

  private skip(path: string, reason: string): void {
    this.stats.skipped.push({ path, reason });
    this.warn(`${path}: skipped: ${reason}`);
  }

  /** Reports something at the walk's current position (after everything started before). */
  private note(action: () => void): void {
    const slot = this.log.slot();
    slot.add(action);
    slot.close();
  }

  /** A LeafLog whose messages go out in `slot`'s turn. */
  private slotLog(slot: LogSlot): LeafLog {
    return {
      warn: (message) => slot.add(() => this.warn(message)),
      skip: (path, reason) => slot.add(() => this.skip(path, reason)),
    };
  }

  private progress(): void {
    this.options.signal?.throwIfAborted();
    this.options.onProgress?.({ entries: this.entries, bytes: this.stats.bytes, current: this.current });
  }

  /** Copies `attr`'s inode (named `imagePath` in the image) to host path `dest`; then waits for every task. */
  async run(ino: Ino, attr: Stat, imagePath: string, dest: string): Promise<void> {
    try {
      try {
        if ((attr.mode & S_IFMT) === S_IFDIR) {
          await this.copyDir(ino, attr, imagePath, dest, new Set());
        } else {
          this.enter(imagePath);
          const slot = this.log.slot();
          try {
            await this.copyLeaf(ino, attr, imagePath, dest, slot, this.linkStep(ino, attr));
          } finally {
            slot.close();
          }
        }
        if (this.batches && this.filling.slots.length > 0) this.sendBatch(true);
        this.batches?.finishWalk();
      } catch (e) {
        this.fail(this.order++, e);
      }
      while (this.running.size) await Promise.all(this.running);
      await this.allReported();
    } finally {
      await this.batches?.close();
    }
    if (this.failure) throw this.failure.error;
    await this.finishDirectories();
  }

  private fail(order: number, error: unknown): void {
    if (!this.failure || order < this.failure.order) this.failure = { order, error };
  }

  private enter(imagePath: string): void {
    this.entries++;
    this.current = imagePath;
    this.progress();
  }

  private async copyDir(ino: Ino, attr: Stat, imagePath: string, dest: string, ancestors: Set<Ino>): Promise<void> {
    this.enter(imagePath);
    if (ancestors.has(ino)) return this.note(() => this.skip(imagePath, 'directory contains itself (corrupt image)'));
    await this.makeDir(dest);
    this.stats.directories++;
    // Modes and times are set after the children are in (a read-only directory could not take them).
    this.dirsToFinish.push({ path: dest, attr });
    ancestors.add(ino);
    const taken = new Set<string>();
    // join(dest, name) for a plain component name, without normalising each time.
    const destPrefix = join(dest, 'x').slice(0, -1);
    const fh = this.fs.opendir ? await this.fs.opendir(ino) : 0;
    try {
      let cookie = 0;
      for (;;) {
        const batch = await this.fs.readdir(ino, fh, cookie, 256);
        if (batch.length === 0) break;
        for (const entry of batch) {
          cookie = entry.next;
          if (entry.name === '.' || entry.name === '..') continue;
          if (this.failure) return;
          const childImagePath = imagePath === '/' ? `/${entry.name}` : `${imagePath}/${entry.name}`;
          let hostName = entry.name;
          const reason = unsafeNameReason(entry.name);
          if (reason) hostName = safeName(entry.name);
          hostName = uniqueName(hostName, taken);
          taken.add(hostName);
          const childDest = destPrefix + hostName;
          if (hostName !== entry.name) {
            this.note(() => {
              this.stats.renamed.push({ from: childImagePath, to: childDest });
              this.warn(`${JSON.stringify(childImagePath)}: ${reason ?? 'duplicate name'}; written as ${JSON.stringify(hostName)}`);
            });
          }
          // A leaf the workers can reach by handle: no lookup here at all.
          if (this.batches && entry.type !== DT_DIR && entry.type !== DT_UNKNOWN && this.queueLeaf(entry.ino, imagePath, destPrefix, entry.name, hostName, childImagePath)) {
            // No await per leaf: only when the workers are that far behind.
            while (this.batchesOut > BATCHES_AHEAD) await new Promise<void>((r) => this.batchWaiters.push(r));
            continue;
          }
          let child;
          try {
            child = await this.fs.lookup(ino, entry.name);
          } catch (e) {
            const message = toFsError(e).message;
            this.note(() => this.skip(childImagePath, message));
            continue;
          }
          if ((child.attr.mode & S_IFMT) === S_IFDIR) {
            try {
              await this.copyDir(child.ino, child.attr, childImagePath, childDest, ancestors);
            } catch (e) {
              this.childFailed(this.order++, e, childImagePath, undefined);
            } finally {
              this.fs.forget?.(child.ino, 1);
            }
          } else {
            this.enter(childImagePath);
            while (this.running.size >= FILES_IN_FLIGHT) await Promise.race(this.running);
            this.start(child.ino, child.attr, childImagePath, childDest);
          }
        }
      }
    } finally {
      if (this.fs.releasedir) await this.fs.releasedir(ino, fh);
      ancestors.delete(ino);
    }
  }

  /** An entry failed: EIO (a corrupt part of the image) skips it; anything else ends the extraction. */
  private childFailed(order: number, e: unknown, imagePath: string, slot: LogSlot | undefined): void {
    if ((e as Error).name !== 'AbortError' && e instanceof FsError && e.code === 'EIO') {
      const message = e.message;
      if (slot) slot.add(() => this.skip(imagePath, message));
      else this.note(() => this.skip(imagePath, message));
    } else this.fail(order, e);
  }

  /** Runs the copy of a non-directory entry as a task on this thread. */
  private start(ino: Ino, attr: Stat, imagePath: string, dest: string): void {
    const order = this.order++;
    const slot = this.log.slot();
    const step = this.linkStep(ino, attr);
    const task = this.copyLeaf(ino, attr, imagePath, dest, slot, step).then(
      () => {},
      (e: unknown) => this.childFailed(order, e, imagePath, slot),
    );
    this.running.add(task);
    void task.then(() => {
      this.fs.forget?.(ino, 1);
      slot.close();
      this.running.delete(task);
    });
  }

  // ----- parallel copies (worker threads, by file handle) -----

  /** Adds the leaf `ino` to the batch being filled; false if it has no handle (the caller copies it here). */
  private queueLeaf(ino: Ino, dirPath: string, destPrefix: string, name: string, hostName: string, imagePath: string): boolean {
    let handle: Uint8Array;
    try {
      handle = this.fs.encodeHandle!(ino);
    } catch {
      return false;
    }
    this.enter(imagePath);
    const b = this.filling;
    const n = b.slots.length;
    b.leaves.add(handle, dirPath, destPrefix, name, hostName);
    b.orders.push(this.order++);
    b.slots.push(n > 0 && this.log.isLast(b.slots[n - 1]!) ? b.slots[n - 1]! : this.log.slot());
    if (n + 1 >= BATCH_ITEMS) this.sendBatch(false);
    return true;
  }

  private sendBatch(last: boolean): void {
    const { leaves: builder, orders, slots } = this.filling;
    this.filling = newBatch();
    const leaves = builder.build();
    this.batchesOut++;
    // Handled at once (a batch can fail before the reports before it are applied), reported in turn.
    const outcome = this.batches!.submit(leaves, last).then(
      (results) => ({ results, error: undefined }),
      (error: unknown) => ({ results: undefined, error }),
    );
    // Reports are applied in the order batches were sent, whatever order they finish in.
    this.reported = this.reported.then(async () => {
      const { results, error } = await outcome;
      try {
        if (results) await this.applyResults(leaves, orders, slots, results);
        else this.batchLost(leaves, orders, slots, error);
      } finally {
        this.batchesOut--;
        for (const w of this.batchWaiters.splice(0)) w();
      }
    });
  }

  private async allReported(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.reported) {
      seen = this.reported;
      await seen;
    }
  }

  /** One batch's results, item by item in walk order: warnings, counts, failures, and the deferred copies. */
  private async applyResults(leaves: LeafBatch, orders: number[], slots: LogSlot[], results: BatchResults): Promise<void> {
    let n = 0;
    for (let k = 0; k < leaves.count; k++) {
      const order = orders[k]!;
      const slot = slots[k]!;
      const status = results.status[k];
      const note = results.notes[n]?.i === k ? results.notes[n++] : undefined;
      try {
        if (status === ITEM_DEFERRED) {
          await this.copyDeferred(leaves, k, order, slot);
          continue;
        }
        if (note) for (const rec of note.log) slot.add('warn' in rec ? () => this.warn(rec.warn) : () => this.skip(rec.skip, rec.reason));
        if (status === ITEM_FAILED || status === undefined) {
          const imagePath = leafImagePath(leaves, k);
          const e = note?.error ? rebuildError(note.error) : new FsError('EIO', `${imagePath}: no result from the extraction worker`);
          this.childFailed(order, e, imagePath, slot);
          continue;
        }
        if (status === ITEM_FILE) this.stats.files++;
        else if (status === ITEM_SYMLINK) this.stats.symlinks++;
        else if (status === ITEM_SPECIAL) this.stats.special++;
        this.stats.bytes += results.bytes[k]!;
      } finally {
        // A slot shared by a run of leaves closes after the last of them.
        if (slots[k + 1] !== slot) slot.close();
      }
    }
    this.options.onProgress?.({ entries: this.entries, bytes: this.stats.bytes, current: this.current });
  }

  /** An inode with several names, handed back by the batch: copied (or linked) here, in walk order. */
  private async copyDeferred(leaves: LeafBatch, k: number, order: number, slot: LogSlot): Promise<void> {
    const imagePath = leafImagePath(leaves, k);
    let entry;
    try {
      entry = await this.fs.decodeHandle!(leafHandle(leaves, k));
    } catch (e) {
      this.childFailed(order, e, imagePath, slot);
      return;
    }
    try {
      await this.copyLeaf(entry.ino, entry.attr, imagePath, leafDest(leaves, k), slot, this.linkStep(entry.ino, entry.attr));
    } catch (e) {
      this.childFailed(order, e, imagePath, slot);
    } finally {
      this.fs.forget?.(entry.ino, 1);
    }
  }

  /** A worker died holding the batch: its files may be missing or half-written; the extraction stops. */
  private batchLost(leaves: LeafBatch, orders: number[], slots: LogSlot[], e: unknown): void {
    const message = `${(e as Error).message}: ${leaves.count} entries from ${leafImagePath(leaves, 0)} to ${leafImagePath(leaves, leaves.count - 1)} may be missing or incomplete`;
    slots[0]!.add(() => this.warn(message));
    for (const slot of slots) slot.close();
    this.fail(orders[0]!, e instanceof FsError ? new FsError(e.code, message) : e);
  }

  private count(kind: 'file' | 'symlink' | 'special'): void {
    if (kind === 'file') this.stats.files++;
    else if (kind === 'symlink') this.stats.symlinks++;
    else this.stats.special++;
  }

  // ----- leaves on this thread -----

  /** For an inode with several names: its place in the chain of copies (registered in walk order). */
  private linkStep(ino: Ino, attr: Stat): LinkStep | undefined {
    if (attr.nlink <= 1) return undefined;
    const previous = this.linked.get(ino);
    let resolve!: (path: string | undefined) => void;
    this.linked.set(ino, new Promise((r) => (resolve = r)));
    return { previous, resolve };
  }

  private async copyLeaf(ino: Ino, attr: Stat, imagePath: string, dest: string, slot: LogSlot, step: LinkStep | undefined): Promise<void> {
    let made: string | undefined;
    try {
      const first = step?.previous ? await step.previous : undefined;
      if (first !== undefined) {
        await this.copier.clearWay(dest);
        try {
          await this.io.link(first, dest);
          this.stats.hardlinks++;
          made = first;
          return;
        } catch (e) {
          const message = (e as Error).message;
          slot.add(() => this.warn(`${imagePath}: hardlink to ${first} failed (${message}); copying instead`));
        }
      }
      const kind = await this.copier.copy(ino, attr, imagePath, dest, this.slotLog(slot));
      if (kind) {
        this.count(kind);
        made = dest;
      }
    } finally {
      step?.resolve(made);
    }
  }

  /** Makes `path` a real directory: an existing directory is kept; a symlink or file in the way is removed, never followed. */
  private async makeDir(path: string): Promise<void> {
    try {
      await this.io.mkdir(path, 0o700);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw toFsError(e, `mkdir ${path}`);
    }
    const st = await this.io.lstat(path);
    if (st.isDirectory()) return;
    await this.io.unlink(path);
    await this.io.mkdir(path, 0o700);
  }

  /** Directory modes and times last, deepest first, so writing into them was possible. */
  private async finishDirectories(): Promise<void> {
    const log: LeafLog = { warn: (m) => this.warn(m), skip: (p, r) => this.skip(p, r) };
    for (const d of this.dirsToFinish.reverse()) await this.copier.setMetadata(d.path, d.attr, false, log);
  }
}

function newBatch(): QueuedBatch {
  return { leaves: new LeafBatchBuilder(), orders: [], slots: [] };
}

/** A source the workers can be given (structured-cloneable: no functions, such as a custom fetch). */
function cloneable(source: ExtractSource): boolean {
  try {
    structuredClone(source);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies the inode `ino` (a directory or anything else) of `fs` to `dest`.
 * A directory's contents go into `dest` (created if missing); anything else
 * becomes the file `dest`.
 */
export async function extractTree(fs: FileSystem, ino: Ino, imagePath: string, dest: string, options: ExtractOptions = {}): Promise<ExtractStats> {
  const x = new Extractor(fs, options);
  const attr = await fs.getattr(ino);
  await x.run(ino, attr, imagePath, dest);
  return x.stats;
}

/** For tests and callers that resolve host paths: the target of a symlink on the host. */
export async function hostLinkTarget(path: string): Promise<string> {
  return hostReadlink(path);
}

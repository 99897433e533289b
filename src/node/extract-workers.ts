/**
 * LeafBatches: runs extractTree's batches of leaf copies on worker threads
 * (extract-worker.ts), each with its own instance of the image, so the
 * per-file work — decompression, the host's create/write/chmod/utimes/
 * close — uses every core while the walking thread walks.
 *
 * - Workers start with the first full batch; a tree smaller than one
 *   batch is copied on the walking thread and starts none. Until a worker
 *   has opened the image the batches wait (the walk goes on meanwhile),
 *   unless the walk is over: then the walking thread, idle, works through
 *   them itself. A worker that cannot open the image (init-failed) is
 *   dropped; with none left, every batch runs on the walking thread.
 * - Each worker holds at most DEPTH batches, one running and one waiting,
 *   so it never idles during a round trip. At the end (walk over, fewer
 *   than TAIL batches queued per worker) batches go out one at a time to
 *   whichever worker is free: a merged or waiting batch (up to ~0.6 s of
 *   xz) held by one worker while the other has nothing left was a tail of
 *   ~0.3 s with one core idle.
 * - A worker that dies fails its batches with EIO: the caller stops the
 *   extraction and says which files may be incomplete.
 * - Workers are ref'd only while they hold batches (or start with batches
 *   waiting for them): they never keep the process alive otherwise. close() asks each to close its image and exit, and
 *   terminates those that do not within CLOSE_TIMEOUT_MS.
 */
import { Worker } from 'node:worker_threads';
import { codecPool } from './codecs.js';
import { preferSyncReads } from './file-device.js';
import { FsError } from '../errors.js';
import type { FileSystem } from '../fs/filesystem.js';
import type { Address } from './address.js';
import { concatBatches, copyBatch, type LeafBatch, type BatchResults } from './extract-batch.js';
import type { LeafCopier } from './extract-leaf.js';
import type { ToWorker, WorkerInit } from './extract-worker.js';
import type { OpenSourceOptions } from './open-source.js';
import type { SerializedError } from './worker-error.js';
import { wasmZstdModule } from './zstd-wasm.js';

/** Where a FileSystem came from, so a worker can open the same one (openSource). */
export interface ExtractSource {
  address: string | Address;
  options?: OpenSourceOptions;
}

/** Test hooks. */
export const extractTestHooks = {
  /** The worker that is to get batch number N (from 1; 0 = none) is terminated instead, as if it crashed copying it. */
  terminateAtBatch: 0,
  /** False: the walking thread never copies batches itself while workers start (so tests see the workers work). */
  walkingThreadHelps: true,
};

const DEPTH = 2;
/** Queued batches per ready worker below which the walk's end is near: no merging, no waiting batch. */
const TAIL = 4;
/** Queued batches one worker may take at once. */
const MERGE_MAX = 4;
const CLOSE_TIMEOUT_MS = 2000;
const WORKER_URL = new URL('./extract-worker.js', import.meta.url);

type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'batch'; batch: number; results: BatchResults };

interface Job {
  items: LeafBatch;
  resolve: (results: BatchResults) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  state: 'starting' | 'ready' | 'gone';
  inflight: Map<number, Job>;
  /** The thread runs (terminating one before that can leave terminate() waiting forever). */
  online: Promise<void>;
  exited: Promise<void>;
}

export class LeafBatches {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextBatch = 1;
  private localBusy = false;
  private walkDone = false;
  private closing = false;
  private lastSlot: Slot | undefined;
  private started = false;
  /** Undoes what starting the workers changed on this thread. */
  private restore: (() => void) | undefined;

  constructor(
    private readonly fs: FileSystem,
    private readonly local: LeafCopier,
    private readonly localBytes: { n: number },
    private readonly init: WorkerInit,
    private readonly workers: number,
  ) {}

  /**
   * The results of copying `items`, in order (from a worker, or from this
   * thread). `last`: no batch follows, so no worker is started for it.
   */
  submit(items: LeafBatch, last = false): Promise<BatchResults> {
    if (!this.started && !last) {
      this.started = true;
      // The workers fill the cores: this thread's own reads (metadata, a block or 8 KiB at a time) run in
      // place, not through the threadpool or the codec pool (round trips and pool threads competing for cores).
      const release = codecPool().holdInline();
      const wasSync = preferSyncReads(true);
      this.restore = () => {
        release();
        preferSyncReads(wasSync);
      };
      for (let i = 0; i < this.workers; i++) this.spawn();
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const ready = this.slots.filter((s) => s.state === 'ready').length;
      const tail = this.walkDone && this.queue.length < TAIL * ready;
      const depth = tail ? 1 : DEPTH;
      // Consecutive batches share blocks (small files' tails packed together): the worker that got
      // the last one takes the next while it has room, so fewer blocks are decompressed twice.
      let best = this.lastSlot && this.lastSlot.state === 'ready' && this.lastSlot.inflight.size < depth ? this.lastSlot : undefined;
      if (!best) {
        for (const s of this.slots) {
          if (s.state === 'ready' && s.inflight.size < depth && (!best || s.inflight.size < best.inflight.size)) best = s;
        }
      }
      if (!best) break;
      this.lastSlot = best;
      // With a queue, a worker takes a run of batches at once (its share, up to MERGE_MAX): fewer
      // boundaries between workers, so fewer shared blocks decompressed by both.
      const take = tail ? 1 : Math.max(1, Math.min(MERGE_MAX, Math.floor(this.queue.length / (ready * TAIL))));
      this.send(best, merge(this.queue.splice(0, take)));
    }
    // A worker keeps the process alive only while someone waits for it: its batches, or its start with batches queued.
    // While closing, close() holds every worker referenced until it is gone.
    if (!this.closing) {
      for (const s of this.slots) {
        if (s.state !== 'gone' && (s.inflight.size > 0 || (s.state === 'starting' && this.queue.length > 0))) s.worker.ref();
        else s.worker.unref();
      }
    }
    // Nobody ready, and either nobody coming or nothing else for this thread to do: it works through the queue itself.
    const coming = this.slots.some((s) => s.state === 'starting');
    if (this.queue.length > 0 && !this.localBusy && !this.slots.some((s) => s.state === 'ready') && (!coming || (this.walkDone && extractTestHooks.walkingThreadHelps))) {
      const job = this.queue.shift()!;
      this.localBusy = true;
      copyBatch(this.fs, this.local, job.items, this.localBytes)
        .then(job.resolve, job.reject)
        .finally(() => {
          this.localBusy = false;
          this.pump();
        });
    }
  }

  /** The walk has ended: this thread is free to copy batches itself while the workers start. */
  finishWalk(): void {
    this.walkDone = true;
    this.pump();
  }

  private send(slot: Slot, job: Job): void {
    const batch = this.nextBatch++;
    slot.inflight.set(batch, job);
    if (batch === extractTestHooks.terminateAtBatch) {
      void slot.worker.terminate();
      return;
    }
    const msg: ToWorker = { type: 'batch', batch, items: job.items };
    slot.worker.postMessage(msg);
  }

  private spawn(): void {
    const init: WorkerInit = { ...this.init, zstdModule: wasmZstdModule() };
    const worker = new Worker(WORKER_URL, { workerData: init });
    let exited!: () => void;
    let online!: () => void;
    const slot: Slot = { worker, state: 'starting', inflight: new Map(), online: new Promise((r) => (online = r)), exited: new Promise((r) => (exited = r)) };
    this.slots.push(slot);
    worker.once('online', () => online());
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') {
        slot.state = 'ready';
      } else if (msg.type === 'init-failed') {
        slot.state = 'gone';
      } else {
        const job = slot.inflight.get(msg.batch);
        slot.inflight.delete(msg.batch);
        job?.resolve(msg.results);
      }
      this.pump();
    });
    worker.on('error', (e) => this.lost(slot, `extraction worker failed: ${e.message}`));
    worker.on('exit', (code) => {
      this.lost(slot, `extraction worker exited (code ${code})`);
      online();
      exited();
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
  }

  /** A worker is gone: the batches it held fail (their files may be half-written), the rest go elsewhere. */
  private lost(slot: Slot, why: string): void {
    slot.state = 'gone';
    for (const job of slot.inflight.values()) job.reject(new FsError('EIO', why));
    slot.inflight.clear();
    this.pump();
  }

  /** Stops every worker (after the batches they hold); call once nothing more will be submitted. */
  async close(): Promise<void> {
    this.closing = true;
    this.restore?.();
    this.restore = undefined;
    await Promise.all(
      this.slots.map(async (s) => {
        // Someone waits for it now (an unref'd worker would let the process end before it has).
        s.worker.ref();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((r) => (timer = setTimeout(r, CLOSE_TIMEOUT_MS)));
        if (s.state === 'ready') {
          s.worker.postMessage({ type: 'close' } satisfies ToWorker);
          await Promise.race([s.exited, timeout]);
        } else {
          // A worker still opening the image has nothing to close cleanly yet; it is stopped once it runs.
          await Promise.race([s.online, timeout]);
        }
        clearTimeout(timer);
        await s.worker.terminate();
      }),
    );
  }
}

/** One job for several consecutive ones: their items in order; the results split back. */
function merge(jobs: Job[]): Job {
  if (jobs.length === 1) return jobs[0]!;
  return {
    items: concatBatches(jobs.map((j) => j.items)),
    resolve(results) {
      let at = 0;
      let n = 0;
      for (const j of jobs) {
        const end = at + j.items.count;
        const notes: BatchResults['notes'] = [];
        while (n < results.notes.length && results.notes[n]!.i < end) {
          const note = results.notes[n++]!;
          notes.push({ ...note, i: note.i - at });
        }
        j.resolve({ status: results.status.subarray(at, end), bytes: results.bytes.subarray(at, end), notes });
        at = end;
      }
    },
    reject(e) {
      for (const j of jobs) j.reject(e);
    },
  };
}

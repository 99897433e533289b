/**
 * CodecPool: decompression on worker threads, so the readers that keep
 * several blocks in flight (squashfs, qcow2, vmdk) use every core.
 *
 * - Workers (codec-worker.ts) run every codec synchronously; as many as
 *   `availableParallelism()` unless told otherwise; 0 means no pool (every
 *   job on the calling thread). They start on first use, and until one is
 *   online the calling thread works through the queue itself, a job per
 *   event-loop turn, so a short CLI run never waits for a worker to boot.
 * - Jobs submitted in the same tick are dispatched together: each worker
 *   gets batches (its share of the queue, at most BATCH_JOBS jobs or
 *   BATCH_BYTES of output), inputs packed into one transferred buffer, and
 *   keeps DEPTH batches in flight so it never idles during a round trip.
 * - A job whose output is small enough that the round trip (about 50 µs of
 *   messaging on both sides) would cost more than the work runs inline
 *   (thresholds per codec in INLINE_BELOW, measured here); so does a job
 *   arriving while the queue is full (MAX_QUEUED): the caller then does the
 *   work itself, which is the back-pressure.
 * - Errors come back as they were thrown: FsError keeps its errno; anything
 *   else (a decoder bug) stays a plain Error so fuzz tests still see it. A
 *   worker that dies fails its jobs with EIO and is replaced on demand.
 * - Idle workers are unref'd: they never keep a process alive; a worker is
 *   ref'd only while it holds jobs someone awaits.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CodecName, Decompressor } from '../codecs/index.js';
import { FsError, type ErrnoCode } from '../errors.js';
import { codecReady, decompressSync, prepareCodec } from './codec-sync.js';
import type { SerializedError } from './worker-error.js';

/** Below this many bytes of expected output a job runs on the calling thread. */
export const INLINE_BELOW: Record<CodecName, number> = {
  'deflate-raw': 16 << 10,
  zlib: 16 << 10,
  gzip: 16 << 10,
  zstd: 16 << 10,
  lz4: 64 << 10,
  lzo: 32 << 10,
  xz: 1 << 10,
  lzma: 1 << 10,
};
/** Batches a worker holds at once: one running, one waiting, so it never waits for us. */
const DEPTH = 2;
const BATCH_JOBS = 16;
const BATCH_BYTES = 2 << 20;
/** Jobs waiting for a worker; beyond this the caller decompresses inline. */
const MAX_QUEUED = 512;

export interface CodecPoolOptions {
  /** Worker threads (default: availableParallelism()); 0 runs everything on the calling thread. */
  workers?: number;
  /** Override INLINE_BELOW per codec (bytes of expected output); tests set 0 to force the workers. */
  inlineBelow?: Partial<Record<CodecName, number>>;
}

// The messages between the pool and a worker.
export interface JobRequest {
  id: number;
  codec: CodecName;
  /** Where the input lies in the batch's data. */
  offset: number;
  length: number;
  maxOutput: number;
  partial: boolean;
}
export interface BatchRequest {
  batch: number;
  jobs: JobRequest[];
  data: ArrayBuffer;
}
export interface JobResult {
  id: number;
  out?: Uint8Array;
  error?: SerializedError;
}
export interface BatchResponse {
  batch: number;
  results: JobResult[];
}

interface Job {
  id: number;
  codec: CodecName;
  input: Uint8Array;
  maxOutput: number;
  partial: boolean;
  resolve: (out: Uint8Array) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** The worker said 'ready' (its module loaded): it takes jobs from now on. */
  online: boolean;
  /** Settles once it is online, or has exited without getting there. */
  started: Promise<void>;
  batches: Map<number, Job[]>;
}

export interface CodecPoolStats {
  inline: number;
  pooled: number;
  /** Jobs the calling thread took from the queue while the workers started. */
  warmup: number;
  batches: number;
  workerDeaths: number;
}

const WORKER_URL = new URL('./codec-worker.js', import.meta.url);
/** A worker's first message: its module has loaded. */
export const WORKER_READY = 'ready';

export class CodecPool {
  readonly stats: CodecPoolStats = { inline: 0, pooled: 0, warmup: 0, batches: 0, workerDeaths: 0 };
  private readonly inlineBelow: Record<CodecName, number>;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private queueHead = 0;
  private nextId = 1;
  private nextBatch = 1;
  private scheduled = false;
  private warming = false;
  private deathsInARow = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private workers: number;
  private inlineHolds = 0;

  constructor(options: CodecPoolOptions = {}) {
    const n = options.workers ?? availableParallelism();
    this.workers = Number.isInteger(n) && n > 0 ? Math.min(n, 64) : 0;
    this.inlineBelow = { ...INLINE_BELOW, ...options.inlineBelow };
  }

  /** Worker threads this pool runs (0: none, everything inline). */
  get size(): number {
    return this.workers;
  }

  /** A Decompressor for `name` that goes through this pool. */
  decompressor(name: CodecName): Decompressor {
    return (input, maxOutput, options) => this.decompress(name, input, maxOutput, options?.partial ?? false);
  }

  decompress(codec: CodecName, input: Uint8Array, maxOutput: number, partial = false): Promise<Uint8Array> {
    if (this.size === 0 || this.closed || this.inlineHolds > 0 || maxOutput < this.inlineBelow[codec] || this.queued >= MAX_QUEUED) {
      this.stats.inline++;
      return this.inline(codec, input, maxOutput, partial);
    }
    this.stats.pooled++;
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, codec, input, maxOutput, partial, resolve, reject });
      this.schedule();
    });
  }

  /** Starts every worker now and waits until they are online (jobs never wait for start-up after this). */
  async start(): Promise<void> {
    while (this.slots.length < this.size) this.spawn();
    await Promise.all(
      this.slots.map((s) => {
        if (s.online) return undefined;
        s.worker.ref(); // someone is waiting for it
        // Could not start: lost() has dealt with it.
        return s.started.then(() => {
          if (s.online && s.batches.size === 0) s.worker.unref();
        });
      }),
    );
  }

  /**
   * Until the returned function is called, every job runs on the calling
   * thread: for a caller whose own worker threads already fill the cores
   * (extractTree), where round trips and idle pool threads only cost.
   */
  holdInline(): () => void {
    this.inlineHolds++;
    let held = true;
    return () => {
      if (held) this.inlineHolds--;
      held = false;
    };
  }

  /** Lets the jobs already submitted finish, then stops the workers. Later jobs run inline. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queued > 0 || this.slots.some((s) => s.batches.size > 0)) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  /** Test hook: ends one worker abruptly, as a crash would. */
  async killWorkerForTest(): Promise<void> {
    await this.slots[0]?.worker.terminate();
  }

  private get queued(): number {
    return this.queue.length - this.queueHead;
  }

  private async inline(codec: CodecName, input: Uint8Array, maxOutput: number, partial: boolean): Promise<Uint8Array> {
    if (!codecReady(codec)) await prepareCodec(codec);
    return decompressSync(codec, input, maxOutput, partial);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.dispatch();
    };
    // A worker with nothing to do gets the jobs after the current tick (those submitted together go
    // together). When every worker is busy there is no hurry: wait a turn of the event loop so that
    // jobs a reader submits one await apart make one batch, not many.
    if (this.slots.length < this.size || this.slots.some((s) => s.online && s.batches.size === 0)) queueMicrotask(run);
    else setImmediate(run);
  }

  private dispatch(): void {
    if (this.queued > 0) while (this.slots.length < this.size) this.spawn();
    while (this.queued > 0) {
      let best: Slot | undefined;
      let free = 0;
      for (const s of this.slots) {
        if (!s.online || s.batches.size >= DEPTH) continue;
        free += DEPTH - s.batches.size;
        if (!best || s.batches.size < best.batches.size) best = s;
      }
      if (!best) break;
      this.send(best, Math.min(BATCH_JOBS, Math.ceil(this.queued / free)));
    }
    if (this.queued > 0 && !this.slots.some((s) => s.online)) this.warmUp();
    if (this.idleWaiters.length && this.queued === 0 && !this.slots.some((s) => s.batches.size > 0)) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Until a worker is online, the calling thread takes jobs itself, one per event-loop turn. */
  private warmUp(): void {
    if (this.warming) return;
    this.warming = true;
    const step = () => {
      if (this.queued === 0 || this.slots.some((s) => s.online)) {
        this.warming = false;
        this.dispatch();
        return;
      }
      const job = this.take();
      this.stats.warmup++;
      this.inline(job.codec, job.input, job.maxOutput, job.partial).then(job.resolve, job.reject);
      setImmediate(step);
    };
    setImmediate(step);
  }

  private take(): Job {
    const job = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined as unknown as Job;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    return job;
  }

  private send(slot: Slot, maxJobs: number): void {
    const jobs: Job[] = [];
    let bytes = 0;
    let out = 0;
    while (this.queued > 0 && jobs.length < maxJobs) {
      const next = this.queue[this.queueHead]!;
      if (jobs.length > 0 && out + next.maxOutput > BATCH_BYTES) break;
      jobs.push(this.take());
      bytes += next.input.length;
      out += next.maxOutput;
    }
    // One copy of the inputs into a buffer of our own (not zero-filled first, not from Node's shared
    // pool), which is then moved, not copied, to the worker.
    const data = Buffer.allocUnsafeSlow(bytes);
    const requests: JobRequest[] = [];
    let at = 0;
    for (const j of jobs) {
      data.set(j.input, at);
      requests.push({ id: j.id, codec: j.codec, offset: at, length: j.input.length, maxOutput: j.maxOutput, partial: j.partial });
      at += j.input.length;
    }
    const batch = this.nextBatch++;
    slot.batches.set(batch, jobs);
    if (slot.batches.size === 1) slot.worker.ref();
    this.stats.batches++;
    const req: BatchRequest = { batch, jobs: requests, data: data.buffer };
    slot.worker.postMessage(req, [data.buffer]);
  }

  private spawn(): void {
    const worker = new Worker(WORKER_URL);
    let started!: () => void;
    const slot: Slot = { worker, online: false, started: new Promise((r) => (started = r)), batches: new Map() };
    this.slots.push(slot);
    // Not the 'online' event: that comes before the worker's module has loaded, and a worker that
    // fails there (a bad execArgv, a missing file) would fail the jobs sent to it, and never count
    // as one that could not start.
    worker.on('message', (res: BatchResponse | typeof WORKER_READY) => {
      if (res !== WORKER_READY) return this.receive(slot, res);
      slot.online = true;
      started();
      this.deathsInARow = 0;
      this.dispatch();
    });
    worker.on('error', (e) => void this.lost(slot, `decompression worker failed: ${e.message}`));
    worker.on('exit', (code) => {
      started();
      void this.lost(slot, `decompression worker exited (code ${code})`);
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
  }

  private receive(slot: Slot, res: BatchResponse): void {
    const jobs = slot.batches.get(res.batch);
    if (!jobs) return;
    slot.batches.delete(res.batch);
    if (slot.batches.size === 0) slot.worker.unref();
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const r of res.results) {
      const job = byId.get(r.id);
      if (!job) continue;
      byId.delete(r.id);
      if (r.out) job.resolve(r.out);
      else job.reject(rebuildError(job.codec, r.error));
    }
    for (const job of byId.values()) job.reject(new FsError('EIO', `${job.codec}: decompression worker returned no result`));
    this.dispatch();
  }

  /** A worker died: its jobs fail, and the next dispatch starts a new one (unless they keep dying). */
  private async lost(slot: Slot, why: string): Promise<void> {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    this.stats.workerDeaths++;
    await this.fail(slot, why);
    // Workers that cannot even start: stop trying, and run everything inline.
    if (!slot.online && ++this.deathsInARow >= 3) this.workers = 0;
    if (this.size === 0) {
      while (this.queued > 0) {
        const job = this.take();
        this.inline(job.codec, job.input, job.maxOutput, job.partial).then(job.resolve, job.reject);
      }
    }
    this.schedule();
  }

  private async fail(slot: Slot, why: string): Promise<void> {
    for (const jobs of slot.batches.values()) for (const job of jobs) job.reject(new FsError('EIO', `${job.codec}: ${why}`));
    slot.batches.clear();
    slot.worker.unref();
  }
}

function rebuildError(codec: CodecName, e: JobResult['error']): Error {
  if (!e) return new FsError('EIO', `${codec}: decompression failed`);
  if (e.fsError) return new FsError(e.code as ErrnoCode, e.message);
  const err = new Error(`${codec} (in a codec worker): ${e.name}: ${e.message}`);
  err.name = e.name;
  return err;
}

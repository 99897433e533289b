/**
 * One HTTP exchange over the global `fetch` (or an injected one), with an
 * idle timeout that covers the headers and every wait for body bytes, a
 * way to cancel the body without reading it, and the sorting of failures
 * into "try again" (TransientError) and "final" (FsError).
 */
import { FsError } from '../errors.js';
import type { CloseSignal } from './close-signal.js';
import { TransientError } from './retry.js';

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface RequestContext {
  fetch: FetchFunction;
  /** Milliseconds without progress (no headers, no body bytes) before giving up on an attempt. */
  timeoutMs: number;
  /**
   * An attempt may also take no longer than timeoutMs plus its size at this
   * rate: a server trickling a byte just inside every timeout would
   * otherwise hold a read for days.
   */
  minBytesPerSecond: number;
  /** Closes when the device does: every exchange aborts. */
  closing: CloseSignal;
}

/** Abort reasons, told apart from the aborts of `fetch` itself. */
const TIMED_OUT = Symbol('timed out');
const TOO_SLOW = Symbol('too slow');
const CANCELLED = Symbol('cancelled');

export class Exchange {
  readonly response: Response;
  private readonly controller: AbortController;
  private readonly ctx: RequestContext;
  private readonly stopTimer: () => void;
  private readonly touch: () => void;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private ended = false;

  constructor(response: Response, controller: AbortController, ctx: RequestContext, touch: () => void, stopTimer: () => void) {
    this.response = response;
    this.controller = controller;
    this.ctx = ctx;
    this.touch = touch;
    this.stopTimer = stopTimer;
    // Node 20's fetch can leave a read pending forever when the abort lands
    // after the last body byte but before the end; cancelling the reader
    // settles it (as done), and next() then reports the abort.
    controller.signal.addEventListener('abort', () => void this.reader?.cancel(controller.signal.reason).catch(() => {}), { once: true });
  }

  /** The next piece of the body, or undefined at its end. */
  async next(): Promise<Uint8Array | undefined> {
    if (!this.response.body) return undefined;
    this.reader ??= this.response.body.getReader();
    this.touch();
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await this.reader.read();
    } catch (e) {
      throw classifyFailure(e, this.controller.signal, this.ctx);
    }
    this.touch();
    const signal = this.controller.signal;
    if (signal.aborted) throw classifyFailure(signal.reason, signal, this.ctx);
    if (r.done) this.ended = true;
    return r.done ? undefined : r.value;
  }

  /**
   * Done with this exchange: stops the timer and, unless the body was read
   * to its end, drops the rest of it without reading (closing the connection).
   */
  close(): void {
    this.stopTimer();
    if (this.ended || this.response.body === null) return;
    if (!this.controller.signal.aborted) this.controller.abort(CANCELLED);
    if (this.reader) this.reader.cancel().catch(() => {});
    else if (!this.response.bodyUsed) this.response.body.cancel().catch(() => {});
  }
}

/** Sends one request; the caller must `close()` the exchange. */
export async function exchange(ctx: RequestContext, url: string, init: RequestInit, expectedBytes = 0): Promise<Exchange> {
  if (ctx.closing.closed) throw closedError(ctx);
  const controller = new AbortController();
  const unsubscribe = ctx.closing.subscribe((reason) => controller.abort(reason));

  // One timer per exchange, re-armed lazily: touching only records the time.
  let last = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = last + ctx.timeoutMs + (expectedBytes / ctx.minBytesPerSecond) * 1000;
  const check = () => {
    const now = Date.now();
    const idle = now - last;
    if (idle >= ctx.timeoutMs) controller.abort(TIMED_OUT);
    else if (now >= deadline) controller.abort(TOO_SLOW);
    else timer = setTimeout(check, Math.min(ctx.timeoutMs - idle, deadline - now));
  };
  timer = setTimeout(check, ctx.timeoutMs);
  const stopTimer = () => {
    clearTimeout(timer);
    unsubscribe();
  };

  let response: Response;
  try {
    response = await ctx.fetch(url, { ...init, signal: controller.signal, redirect: 'follow' });
  } catch (e) {
    stopTimer();
    throw classifyFailure(e, controller.signal, ctx);
  }
  return new Exchange(response, controller, ctx, () => (last = Date.now()), stopTimer);
}

function closedError(ctx: RequestContext): FsError {
  const reason = ctx.closing.reason;
  return reason instanceof FsError ? reason : new FsError('ECANCELED', 'request cancelled: device closed');
}

/**
 * What a thrown fetch or body error means: our timeout → ETIMEDOUT (retry);
 * the device closing → final; a network failure → retry, keeping
 * ECONNREFUSED for the final errno (Node's fetch puts the system error in
 * `cause`; a browser says only "Failed to fetch").
 */
export function classifyFailure(e: unknown, signal: AbortSignal, ctx: RequestContext): FsError | TransientError {
  if (e instanceof FsError || e instanceof TransientError) return e;
  if (ctx.closing.closed) return closedError(ctx);
  if (signal.aborted && signal.reason === TIMED_OUT) return new TransientError('ETIMEDOUT', `no progress for ${ctx.timeoutMs} ms`);
  if (signal.aborted && signal.reason === TOO_SLOW) return new TransientError('ETIMEDOUT', `transfer slower than ${ctx.minBytesPerSecond} bytes/s`);
  const code = causeCode(e);
  const text = describeFailure(e);
  if (code === 'ECONNREFUSED') return new TransientError('ECONNREFUSED', text);
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TransientError('ETIMEDOUT', text);
  }
  return new TransientError('EIO', text);
}

/** The first `code` string along the `cause` chain (ECONNRESET, UND_ERR_SOCKET …). */
function causeCode(e: unknown): string | undefined {
  for (let c = e, depth = 0; c && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)" — the outer message plus the innermost cause. */
function describeFailure(e: unknown): string {
  const outer = e instanceof Error ? e.message : String(e);
  let inner: unknown = e;
  for (let depth = 0; depth < 8 && (inner as { cause?: unknown })?.cause; depth++) inner = (inner as { cause: unknown }).cause;
  const code = causeCode(e);
  const innerText = inner !== e && inner instanceof Error ? `: ${inner.message}` : '';
  return `${outer}${innerText}${code ? ` (${code})` : ''}`;
}

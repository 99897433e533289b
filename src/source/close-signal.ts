/**
 * CloseSignal: tells every request and backoff wait of a device that it
 * closed. Like an AbortSignal, but a plain listener set: a device may have
 * dozens of requests in flight, and Node warns about more than ten
 * listeners on one AbortSignal (the core cannot reach node:events to
 * raise that limit).
 */
export class CloseSignal {
  private isClosed = false;
  private why: unknown;
  private readonly listeners = new Set<(reason: unknown) => void>();

  get closed(): boolean {
    return this.isClosed;
  }

  get reason(): unknown {
    return this.why;
  }

  /** Calls every listener once with `reason`; later calls do nothing. */
  close(reason: unknown): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.why = reason;
    const all = [...this.listeners];
    this.listeners.clear();
    for (const l of all) l(reason);
  }

  /** Runs `listener` on close; returns the function that unsubscribes it. */
  subscribe(listener: (reason: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * A readers-writer lock for the driver: reads (lookup, readdir, read,
 * getattr) share it, modifications take it alone, so a reader never sees
 * a chain or directory half changed and modifications happen one at a
 * time in the order written to disk. Writers queue fairly behind readers
 * that arrived first.
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly queue: Array<{ write: boolean; wake: () => void }> = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.queue.length) await new Promise<void>((wake) => this.queue.push({ write: false, wake }));
    else this.readers++;
    try {
      return await fn();
    } finally {
      this.readers--;
      this.next();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.readers || this.queue.length) await new Promise<void>((wake) => this.queue.push({ write: true, wake }));
    else this.writer = true;
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.next();
    }
  }

  private next(): void {
    if (this.writer || this.readers) return;
    const head = this.queue[0];
    if (!head) return;
    if (head.write) {
      this.queue.shift();
      this.writer = true;
      head.wake();
      return;
    }
    while (this.queue.length && !this.queue[0]!.write) {
      this.readers++;
      this.queue.shift()!.wake();
    }
  }
}

/**
 * OrderedLog: messages from work that runs concurrently, delivered in the
 * order the work was started. extractTree copies several files at once, but
 * its warnings (and the skipped/renamed lists) must come out as a
 * one-at-a-time copy would give them: each entry gets a slot when the walk
 * reaches it; a slot's messages go out once every earlier slot is closed.
 */
export class LogSlot {
  /** Actions waiting for the earlier slots to close (most slots never get one). */
  pending: Array<() => void> | undefined;
  closed = false;

  constructor(private readonly log: OrderedLog) {}

  /** Runs `action` (report a warning, record a skip) in slot order. */
  add(action: () => void): void {
    (this.pending ??= []).push(action);
    this.log.pump();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.pump();
  }
}

export class OrderedLog {
  private slots: LogSlot[] = [];
  private head = 0;

  /** A new slot, after every slot handed out so far. */
  slot(): LogSlot {
    const s = new LogSlot(this);
    this.slots.push(s);
    return s;
  }

  /** Whether `s` is the latest slot handed out (nothing started after it). */
  isLast(s: LogSlot): boolean {
    return this.slots[this.slots.length - 1] === s;
  }

  /** Delivers what the leading slots hold; stops at the first slot still open. */
  pump(): void {
    while (this.head < this.slots.length) {
      const s = this.slots[this.head]!;
      const actions = s.pending;
      if (actions) {
        s.pending = undefined;
        for (const a of actions) a();
      }
      if (!s.closed) return;
      this.head++;
      if (this.head > 4096 && this.head * 2 > this.slots.length) {
        this.slots = this.slots.slice(this.head);
        this.head = 0;
      }
    }
  }
}

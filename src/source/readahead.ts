/**
 * SequentialDetector: notices a reader walking forward through the file and
 * says how far ahead to fetch, so a linear copy keeps the network busy
 * instead of waiting one round trip per read. The window starts small and
 * doubles with every further sequential read up to a bound, and drops to
 * nothing at the first seek (Linux's readahead ramps up the same way).
 */
export interface ReadaheadOptions {
  /** First window, in bytes, once two reads in a row were sequential. */
  initialBytes: number;
  /** The window never grows beyond this. */
  maxBytes: number;
}

export class SequentialDetector {
  private readonly options: ReadaheadOptions;
  private nextOffset = -1;
  private window = 0;

  constructor(options: ReadaheadOptions) {
    this.options = options;
  }

  /** Records a read and returns the readahead window to fetch beyond its end (0: not sequential). */
  onRead(offset: number, length: number): number {
    // A read that starts where the last one ended continues the streak.
    if (offset === this.nextOffset && this.options.maxBytes > 0) {
      const start = Math.max(this.options.initialBytes, 2 * length);
      this.window = Math.min(this.options.maxBytes, this.window === 0 ? start : this.window * 2);
    } else {
      this.window = 0;
    }
    this.nextOffset = offset + length;
    return this.window;
  }
}

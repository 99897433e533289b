/**
 * BlockRun: what a run of logical blocks of a file maps to. Both mapping
 * schemes (extent trees and the old block maps) answer `map(lblk, max)`
 * with the longest run from `lblk` they can see cheaply, so the read path
 * can turn contiguous runs into one large device read.
 */
export interface BlockRun {
  /** First logical block of the run. */
  readonly logical: number;
  /** Blocks in the run, at least 1. */
  readonly length: number;
  /** First physical block, or 0 for a hole (block 0 never holds file data). */
  readonly physical: number;
  /** Allocated but never written (an unwritten extent): reads as zeros. */
  readonly unwritten: boolean;
}

export interface BlockMapper {
  /** The run starting at `lblk`, at most `max` blocks long. */
  map(lblk: number, max: number): Promise<BlockRun>;
}

/** Logical block numbers are 32-bit in both schemes. */
export const MAX_LOGICAL_BLOCKS = 0x1_0000_0000;

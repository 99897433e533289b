/**
 * What the journal (jbd2) and the superblock say about the volume's state.
 * We never replay the journal: a volume whose journal holds committed
 * transactions (needs_recovery set, journal superblock s_start ≠ 0) is read
 * as it is on disk, which may be older than what the kernel would show
 * after replaying, and the filesystem says so in its warnings.
 *
 * The jbd2 superblock is big-endian, in block 0 of the journal inode:
 * h_magic 0xC03B3998, h_blocktype 3 (v1) or 4 (v2), …, s_sequence at
 * 0x18, s_start at 0x1C (0 = the journal is empty).
 */
import { COMPAT, INCOMPAT } from './features.js';
import { hasCompat, hasIncompat, type Ext4Superblock } from './superblock.js';

export const JBD2_MAGIC = 0xc03b3998;
const EXT4_VALID_FS = 0x1;
const EXT4_ERROR_FS = 0x2;
const MMP_MAGIC = 0x004d4d50;
const MMP_SEQ_CLEAN = 0xff4d4d50;
const MMP_SEQ_FSCK = 0xe24d4d50;

export interface JournalState {
  /** The journal superblock's s_start (0 = nothing to replay), when it could be read. */
  start?: number;
  sequence?: number;
}

/** Parses a jbd2 superblock; undefined if it is not one. */
export function parseJournalSuperblock(block: Uint8Array): JournalState | undefined {
  if (block.length < 0x24) return undefined;
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (dv.getUint32(0, false) !== JBD2_MAGIC) return undefined;
  const type = dv.getUint32(4, false);
  if (type !== 3 && type !== 4) return undefined;
  return { sequence: dv.getUint32(0x18, false), start: dv.getUint32(0x1c, false) };
}

/**
 * Warnings about the volume's state. `journal` is the internal journal's
 * superblock state (undefined when there is none or it could not be read,
 * with `journalError` saying why).
 */
export function stateWarnings(sb: Ext4Superblock, journal: JournalState | undefined, journalError: string | undefined): string[] {
  const w: string[] = [];
  const recovery = hasIncompat(sb, INCOMPAT.needs_recovery);
  const pending = journal?.start !== undefined && journal.start !== 0;
  if (recovery || pending) {
    const where = sb.s_journal_inum === 0 && hasCompat(sb, COMPAT.has_journal) ? 'an external journal' : 'the journal';
    const detail = journal?.start !== undefined ? ` (journal s_start=${journal.start}, sequence ${journal.sequence})` : journalError ? ` (${journalError})` : '';
    w.push(
      `ext4: journal present but not replayed: ${recovery ? 'needs_recovery is set' : 'the journal holds transactions'}${detail}; ` +
        `changes still in ${where} are not visible, what we read may be stale (mount it with the kernel or run e2fsck to replay)`,
    );
  }
  if ((sb.s_state & EXT4_VALID_FS) === 0 && !hasCompat(sb, COMPAT.has_journal)) w.push('ext4: not cleanly unmounted (s_state lacks VALID_FS); run e2fsck');
  if (sb.s_state & EXT4_ERROR_FS) w.push('ext4: the kernel recorded errors on this filesystem (s_state ERROR_FS); run e2fsck');
  return w;
}

/** A warning if the multiple-mount-protection block says another node has the volume open. */
export function mmpWarning(block: Uint8Array): string | undefined {
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (block.length < 0x50 || dv.getUint32(0, true) !== MMP_MAGIC) return 'ext4: MMP block is unreadable or has a bad magic';
  const seq = dv.getUint32(4, true);
  if (seq === MMP_SEQ_CLEAN) return undefined;
  let node = '';
  for (let i = 0x10; i < 0x50 && block[i]; i++) node += String.fromCharCode(block[i]!);
  return seq === MMP_SEQ_FSCK
    ? `ext4: MMP says e2fsck is running on this volume${node ? ` (node ${node})` : ''}`
    : `ext4: MMP says the volume is in use${node ? ` by node ${node}` : ''}: it may change under us`;
}

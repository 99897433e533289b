/**
 * Multisession: a disc written in several sessions has one volume
 * descriptor set per session, at the session's first sector + 16, and
 * each newer session's tree includes (points back at) the files of the
 * older ones. An image file has no table of contents, so we find the
 * sessions the way the writers lay them out:
 *
 * - libisoburn (xorriso -dev on a file or other overwritable media) puts
 *   the first session at sector 32 and keeps a copy of the newest
 *   session's descriptors at sector 16. Each session's PVD gives its own
 *   size, and the next session starts at the next multiple of 32 after it.
 *   We trust this layout only if the chain from 32 ends at the session
 *   whose root the copy at 16 names (so an ISO stored as a file at sector
 *   32 is not mistaken for a session).
 * - mkisofs/genisoimage/xorriso -C last,next … -M old: the new session's
 *   descriptors sit at next + 16, and the PVD's volume space size counts
 *   from sector 0 or from the session start, depending on the writer.
 *   CD writers leave lead-out/lead-in gaps (11400 sectors after the first
 *   session, 6900 after later ones).
 *
 * From a session starting at S whose PVD says V blocks, the next session
 * is looked for at S+V and V, each also rounded up to 16 and 32 sectors,
 * and after the CD gaps; the first candidate with a descriptor set whose
 * root lies inside the new session wins. At most MAX_SESSIONS sessions
 * (a CD holds 99), so a lying size cannot make us loop.
 */
import type { BlockDevice } from '../../block/device.js';
import { FsError } from '../../errors.js';
import { hasIsoSignature, readVolumeDescriptorSet, SECTOR, VD_START, VD_TERMINATOR, type VolumeDescriptorSet } from './volume-descriptors.js';

export const MAX_SESSIONS = 100;
const LIBISOBURN_FIRST_SESSION = 32;
const CD_GAPS = [11400, 6900];

async function trySet(dev: BlockDevice, start: number): Promise<VolumeDescriptorSet | undefined> {
  if ((start + VD_START + 1) * SECTOR > dev.size) return undefined;
  // A look at the first descriptor's type and signature before reading the set.
  const head = new Uint8Array(6);
  await dev.read(head, (start + VD_START) * SECTOR);
  if (!hasIsoSignature(head) || head[0] === VD_TERMINATOR) return undefined;
  try {
    const set = await readVolumeDescriptorSet(dev, start);
    // The root of a session's tree is written in that session.
    const rootSector = (set.primary.root.extent * set.primary.logicalBlockSize) / SECTOR;
    return rootSector >= start ? set : undefined;
  } catch (e) {
    if (e instanceof FsError) return undefined;
    throw e;
  }
}

function candidates(set: VolumeDescriptorSet): number[] {
  const s = set.sessionStart;
  const v = Math.ceil((set.primary.volumeSpaceSize * set.primary.logicalBlockSize) / SECTOR);
  const out = new Set<number>();
  for (const base of [s + v, v]) {
    out.add(base);
    out.add(Math.ceil(base / 16) * 16);
    out.add(Math.ceil(base / 32) * 32);
    for (const gap of CD_GAPS) out.add(base + gap);
  }
  return [...out].filter((c) => c > s && Number.isSafeInteger(c)).sort((a, b) => a - b);
}

async function chain(dev: BlockDevice, first: VolumeDescriptorSet): Promise<VolumeDescriptorSet[]> {
  const sessions = [first];
  for (let cur = first; sessions.length < MAX_SESSIONS; ) {
    let next: VolumeDescriptorSet | undefined;
    for (const c of candidates(cur)) {
      next = await trySet(dev, c);
      if (next) break;
    }
    if (!next) break;
    sessions.push(next);
    cur = next;
  }
  return sessions;
}

/**
 * Every session's descriptor set, oldest first. The last one is what a
 * reader should mount (its tree holds the files of all sessions).
 */
export async function findSessions(dev: BlockDevice): Promise<VolumeDescriptorSet[]> {
  const atZero = await readVolumeDescriptorSet(dev, 0);
  const emulated = await trySet(dev, LIBISOBURN_FIRST_SESSION);
  if (emulated) {
    const sessions = await chain(dev, emulated);
    const newest = sessions[sessions.length - 1]!;
    if (newest.primary.root.extent === atZero.primary.root.extent) return sessions;
  }
  return chain(dev, atZero);
}

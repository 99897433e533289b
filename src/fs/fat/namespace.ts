/**
 * Creating, removing and renaming entries.
 *
 * Order on disk (so a crash loses at most the operation under way and
 * never leaves two entries owning one cluster):
 * - create: the entry (LFN slots and short entry in one write);
 * - mkdir: the new cluster with '.' and '..' written while still free, then
 *   linked in the FAT, then the entry in the parent;
 * - unlink/rmdir: the entry marked deleted (0xE5) first, clusters freed after;
 * - rename: room for the new entry made first (the only step that can fail
 *   with ENOSPC), then the old entry deleted, then the new one written (over
 *   the replaced target's short entry in one 32-byte write when the name is
 *   spelled the same), then a moved directory's '..', then the replaced
 *   target's clusters freed. A crash between deleting the old entry and
 *   writing the new one loses the name; fsck.fat finds its clusters as a
 *   lost chain. FAT has no way to make both steps one.
 */
import { FsError } from '../../errors.js';
import { RENAME_EXCHANGE, RENAME_NOREPLACE } from '../filesystem.js';
import { findClusters, freeChain, linkClusters } from './allocate.js';
import { ClusterChain } from './chain.js';
import type { FatContext } from './context.js';
import type { FatDir } from './dir-cache.js';
import type { DirRecord } from './directory.js';
import {
  ATTR_ARCHIVE, ATTR_DIRECTORY, SLOT, encodeLfnSlots, encodeShortEntry, shortNameChecksum, type ShortEntry,
} from './dirent.js';
import type { FatNode } from './inodes.js';
import { checkLongName, makeShortName, printable, shortKey, type ShortNameChoice } from './names.js';
import { unixToFat } from './time.js';

const F = 'fat';

interface EntryPlan {
  name: string;
  choice: ShortNameChoice;
  lfn: Uint8Array;
  count: number;
}

/** Chooses the short name and slot count for `name` in `dir` and makes room for it. */
async function planEntry(ctx: FatContext, dir: FatDir, name: string, ignore: DirRecord[] = []): Promise<EntryPlan> {
  if (dir.chain) ctx.assertChangeable(dir.key, dir.what, 'add an entry');
  const ignored = new Set(ignore.map((r) => r.shortKey));
  const choice = makeShortName(name, ctx.vol.cp, (k) => !ignored.has(k) && dir.index.shortTaken(k));
  const lfn = choice.needsLfn ? encodeLfnSlots(name, shortNameChecksum(choice.raw)) : new Uint8Array(0);
  const count = lfn.length / SLOT + 1;
  if (dir.index.findFreeRun(count) < 0) await ctx.dirs.extend(dir, count);
  return { name, choice, lfn, count };
}

/** Writes a planned entry (LFN slots, short entry, and an end marker when it lands at the end). */
async function placeEntry(ctx: FatContext, dir: FatDir, plan: EntryPlan, fields: ShortEntry): Promise<DirRecord> {
  const first = dir.index.findFreeRun(plan.count);
  if (first < 0) throw new FsError('EIO', `${F}: ${dir.what}: the room made for a new entry is gone`);
  const entry: ShortEntry = { ...fields, name: plan.choice.raw, ntCase: plan.choice.ntCase };
  const end = first + plan.count;
  const marker = end < dir.index.slots && dir.index.isTail(end);
  const bytes = new Uint8Array((plan.count + (marker ? 1 : 0)) * SLOT);
  bytes.set(plan.lfn);
  encodeShortEntry(entry, bytes, plan.lfn.length);
  await ctx.dirs.writeSlots(dir, first, bytes);
  const rec: DirRecord = { name: plan.name, entry, slot: end - 1, first, shortKey: shortKey(entry.name) };
  dir.index.insert(rec);
  ctx.dirs.touch(dir);
  return rec;
}

/** Deletes a record's slots and detaches the inode that lived there, if any (returned). */
async function removeRecord(ctx: FatContext, dir: FatDir, rec: DirRecord): Promise<FatNode | undefined> {
  const offset = ctx.dirs.slotOffset(dir, rec.slot);
  const ino = ctx.inodes.inoFor(offset);
  const node = ctx.inodes.get(ino);
  await ctx.deleteSlots(dir, rec.first, rec.slot);
  dir.index.remove(rec);
  ctx.dirs.touch(dir);
  if (node && node.loc?.offset === offset) ctx.inodes.unlinked(node, offset);
  else ctx.inodes.entryGone(offset);
  return node && node.unlinked ? node : undefined;
}

function nowFields(ctx: FatContext): Pick<ShortEntry, 'crtCs' | 'crtTime' | 'crtDate' | 'accDate' | 'wrtTime' | 'wrtDate'> {
  const t = unixToFat(ctx.vol.clock(), ctx.vol.tz);
  return { crtCs: t.cs, crtTime: t.time, crtDate: t.date, accDate: t.date, wrtTime: t.time, wrtDate: t.date };
}

/** A directory's mtime follows its entries, as on Linux (the root has none to keep). */
async function touchDir(ctx: FatContext, dirNode: FatNode): Promise<void> {
  if (dirNode === ctx.root || !dirNode.loc) return;
  const now = ctx.vol.clock();
  const t = unixToFat(now, ctx.vol.tz);
  dirNode.entry.wrtDate = t.date;
  dirNode.entry.wrtTime = t.time;
  dirNode.ctime = now;
  await ctx.writeEntry(dirNode);
}

async function lookupFree(ctx: FatContext, dirNode: FatNode, name: string, op: string): Promise<FatDir> {
  checkLongName(op, name);
  const dir = await ctx.dirOf(dirNode);
  if (dir.index.find(name)) throw new FsError('EEXIST', `${F}: ${op}: '${printable(name)}' exists`);
  return dir;
}

export async function createFile(ctx: FatContext, dirNode: FatNode, name: string): Promise<FatNode> {
  const dir = await lookupFree(ctx, dirNode, name, 'create');
  await ctx.vol.beginChange();
  const plan = await planEntry(ctx, dir, name);
  const fields: ShortEntry = { name: plan.choice.raw, attr: ATTR_ARCHIVE, ntCase: 0, ...nowFields(ctx), firstCluster: 0, size: 0 };
  const rec = await placeEntry(ctx, dir, plan, fields);
  await touchDir(ctx, dirNode);
  return ctx.nodeFor(dirNode, dir, rec);
}

export async function makeDirectory(ctx: FatContext, dirNode: FatNode, name: string): Promise<FatNode> {
  const dir = await lookupFree(ctx, dirNode, name, 'mkdir');
  const vol = ctx.vol;
  await vol.beginChange();
  const times = nowFields(ctx);
  const [cluster] = await findClusters(vol, 1, vol.fat.nextFree);
  const parentCluster = dirNode === ctx.root ? 0 : dirNode.entry.firstCluster;
  const body = new Uint8Array(vol.clusterSize);
  const dot = (raw: string, first: number): ShortEntry => ({
    name: new TextEncoder().encode(raw.padEnd(11, ' ')), attr: ATTR_DIRECTORY, ntCase: 0, ...times, firstCluster: first, size: 0,
  });
  encodeShortEntry(dot('.', cluster!), body, 0);
  encodeShortEntry(dot('..', parentCluster), body, SLOT);
  // Written while the cluster is still free, linked after: no crash shows a directory of garbage.
  await vol.dev.write(body, vol.clusterOffset(cluster!));
  const chain = new ClusterChain(vol.fat, 0, `new directory '${name}'`);
  await linkClusters(vol, chain, [cluster!]);
  let rec: DirRecord;
  try {
    const plan = await planEntry(ctx, dir, name);
    rec = await placeEntry(ctx, dir, plan, { ...dot('', cluster!), name: plan.choice.raw });
  } catch (e) {
    await freeChain(vol, chain);
    throw e;
  }
  await touchDir(ctx, dirNode);
  return ctx.nodeFor(dirNode, dir, rec);
}

/** Frees a removed file's or directory's clusters now, or at last close if it is open. */
async function dispose(ctx: FatContext, node: FatNode | undefined, entry: ShortEntry, what: string): Promise<void> {
  if (node && node.open > 0) return; // freed by release()
  if (entry.firstCluster === 0 || !ctx.vol.fat.isCluster(entry.firstCluster)) return;
  if (entry.attr & ATTR_DIRECTORY) ctx.dirs.invalidate(entry.firstCluster);
  if (ctx.crossLinked.has(entry.firstCluster)) {
    ctx.vol.warn(`${what}: its clusters are cross-linked; they are left allocated for fsck.fat`);
    return;
  }
  const chain = node?.chain && node.chain.first === entry.firstCluster ? node.chain : new ClusterChain(ctx.vol.fat, entry.firstCluster, what);
  await freeChain(ctx.vol, chain);
  if (node) {
    node.entry = { ...node.entry, firstCluster: 0 };
    node.chain = undefined;
  }
}

export async function unlink(ctx: FatContext, dirNode: FatNode, name: string): Promise<void> {
  const dir = await ctx.dirOf(dirNode);
  const rec = dir.index.find(name);
  if (!rec) throw new FsError('ENOENT', `${F}: unlink: '${printable(name)}' not found`);
  if (rec.entry.attr & ATTR_DIRECTORY) throw new FsError('EISDIR', `${F}: unlink: '${rec.name}' is a directory`);
  await ctx.vol.beginChange();
  const node = await removeRecord(ctx, dir, rec);
  await touchDir(ctx, dirNode);
  await dispose(ctx, node, rec.entry, `file '${rec.name}'`);
}

async function checkEmptyDir(ctx: FatContext, rec: DirRecord, what: string): Promise<void> {
  if (!ctx.vol.fat.isCluster(rec.entry.firstCluster)) return; // corrupt: nothing to check, nothing to free
  const sub = await ctx.dirs.get(rec.entry.firstCluster, `directory '${rec.name}'`);
  if (!sub.index.isEmpty()) throw new FsError('ENOTEMPTY', `${F}: ${what}: directory '${rec.name}' is not empty`);
}

export async function rmdir(ctx: FatContext, dirNode: FatNode, name: string): Promise<void> {
  const dir = await ctx.dirOf(dirNode);
  const rec = dir.index.find(name);
  if (!rec) throw new FsError('ENOENT', `${F}: rmdir: '${printable(name)}' not found`);
  if (!(rec.entry.attr & ATTR_DIRECTORY)) throw new FsError('ENOTDIR', `${F}: rmdir: '${rec.name}' is not a directory`);
  await checkEmptyDir(ctx, rec, 'rmdir');
  await ctx.vol.beginChange();
  const node = await removeRecord(ctx, dir, rec);
  await touchDir(ctx, dirNode);
  await dispose(ctx, node, rec.entry, `directory '${rec.name}'`);
}

export async function rename(
  ctx: FatContext, oldDirNode: FatNode, oldName: string, newDirNode: FatNode, newName: string, flags: number,
): Promise<void> {
  if (flags & ~RENAME_NOREPLACE) {
    throw new FsError('EINVAL', `${F}: rename: flags 0x${flags.toString(16)} are not supported${flags & RENAME_EXCHANGE ? ' (no RENAME_EXCHANGE on FAT)' : ''}`);
  }
  checkLongName('rename', newName);
  const oldDir = await ctx.dirOf(oldDirNode);
  const src = oldDir.index.find(oldName);
  if (!src) throw new FsError('ENOENT', `${F}: rename: '${printable(oldName)}' not found`);
  const newDir = oldDirNode === newDirNode ? oldDir : await ctx.dirOf(newDirNode);
  const target = newDir.index.find(newName);
  const srcIsDir = (src.entry.attr & ATTR_DIRECTORY) !== 0;
  if (target === src) {
    if (src.name === newName) return; // the same entry under the same spelling
  } else if (target) {
    if (flags & RENAME_NOREPLACE) throw new FsError('EEXIST', `${F}: rename: '${target.name}' exists`);
    const targetIsDir = (target.entry.attr & ATTR_DIRECTORY) !== 0;
    if (srcIsDir && !targetIsDir) throw new FsError('ENOTDIR', `${F}: rename: '${target.name}' is not a directory`);
    if (!srcIsDir && targetIsDir) throw new FsError('EISDIR', `${F}: rename: '${target.name}' is a directory`);
    if (targetIsDir) await checkEmptyDir(ctx, target, 'rename');
  }
  const vol = ctx.vol;
  await vol.beginChange();
  const srcOffset = ctx.dirs.slotOffset(oldDir, src.slot);
  const moving = ctx.inodes.get(ctx.inodes.inoFor(srcOffset));
  const movingNode = moving && moving.loc?.offset === srcOffset ? moving : undefined;
  const replaced = target && target !== src ? target : undefined;
  const inPlace = replaced !== undefined && replaced.name === newName;
  // Room first: after the old entry is gone nothing may fail for lack of space.
  const plan = inPlace ? undefined : await planEntry(ctx, newDir, newName, [src, ...(replaced ? [replaced] : [])]);

  const fields: ShortEntry = { ...src.entry };
  await ctx.deleteSlots(oldDir, src.first, src.slot);
  oldDir.index.remove(src);
  ctx.dirs.touch(oldDir);

  let rec: DirRecord;
  let replacedNode: FatNode | undefined;
  if (replaced && inPlace) {
    const offset = ctx.dirs.slotOffset(newDir, replaced.slot);
    const held = ctx.inodes.get(ctx.inodes.inoFor(offset));
    const entry: ShortEntry = { ...fields, name: replaced.entry.name, ntCase: replaced.entry.ntCase };
    await vol.dev.write(encodeShortEntry(entry), offset);
    newDir.index.remove(replaced);
    rec = { name: replaced.name, entry, slot: replaced.slot, first: replaced.first, shortKey: replaced.shortKey };
    newDir.index.insert(rec);
    ctx.dirs.touch(newDir);
    if (held && held.loc?.offset === offset) {
      ctx.inodes.unlinked(held, offset);
      replacedNode = held;
    } else ctx.inodes.entryGone(offset);
  } else {
    if (replaced) replacedNode = await removeRecord(ctx, newDir, replaced);
    rec = await placeEntry(ctx, newDir, plan!, fields);
  }
  const newOffset = ctx.dirs.slotOffset(newDir, rec.slot);

  if (srcIsDir && oldDir !== newDir && vol.fat.isCluster(fields.firstCluster) && !ctx.crossLinked.has(fields.firstCluster)) {
    await setDotdot(ctx, fields.firstCluster, newDirNode === ctx.root ? 0 : newDirNode.entry.firstCluster, rec.name);
  }
  if (movingNode) {
    ctx.inodes.moved(movingNode, srcOffset, newOffset);
    movingNode.loc = { dirKey: newDir.key, slot: rec.slot, first: rec.first, offset: newOffset };
    movingNode.entry = rec.entry;
    movingNode.parent = newDirNode.ino;
    movingNode.name = rec.name;
    movingNode.ctime = vol.clock();
  } else ctx.inodes.entryGone(srcOffset);
  if (replaced) await dispose(ctx, replacedNode, replaced.entry, `replaced '${replaced.name}'`);
  await touchDir(ctx, oldDirNode);
  if (newDirNode !== oldDirNode) await touchDir(ctx, newDirNode);
}

/** Points a moved directory's '..' entry at its new parent (0 for the root). */
async function setDotdot(ctx: FatContext, dirCluster: number, parentCluster: number, name: string): Promise<void> {
  const dir = await ctx.dirs.get(dirCluster, `directory '${name}'`);
  if (!dir.chain) return;
  const offset = ctx.dirs.slotOffset(dir, 1);
  const slot = await ctx.dirs.readSlots(dir, 1, 1);
  if (slot[0] !== 0x2e || slot[1] !== 0x2e) {
    ctx.vol.warn(`${dir.what}: no '..' entry in slot 1 to point at the new parent`);
    return;
  }
  const v = new DataView(slot.buffer);
  v.setUint16(20, Math.floor(parentCluster / 0x10000), true);
  v.setUint16(26, parentCluster & 0xffff, true);
  await ctx.vol.dev.write(slot, offset);
  dir.index.dotdotCluster = parentCluster;
}

/**
 * File contents: reading, writing, truncating and extending. FAT has no
 * holes, so growing a file writes zeros over the gap (also over the stale
 * tail of its old last cluster). Order on disk for every change: clusters
 * linked in both FATs first, then data, then the directory entry (size,
 * first cluster, mtime); shrinking writes the entry first and frees after.
 */
import { corrupt } from '../../block/corrupt.js';
import { FsError } from '../../errors.js';
import { allocate, freeFrom } from './allocate.js';
import type { FatContext } from './context.js';
import { ATTR_ARCHIVE } from './dirent.js';
import type { FatNode } from './inodes.js';
import { unixToFat } from './time.js';

const F = 'fat';
/** Largest FAT file: the size field is 32 bits. */
export const MAX_FILE_SIZE = 0xffffffff;

export async function readFile(ctx: FatContext, node: FatNode, buf: Uint8Array, pos: number): Promise<number> {
  if (node.isDir) throw new FsError('EISDIR', `${F}: read: ${ctx.describe(node)} is a directory`);
  if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `${F}: read at offset ${pos}`);
  const size = node.entry.size;
  if (pos >= size || buf.length === 0) return 0;
  const n = Math.min(buf.length, size - pos);
  const chain = ctx.chainOf(node);
  const cs = ctx.vol.clusterSize;
  await chain.ensure(Math.ceil((pos + n) / cs));
  if (chain.mapped * cs < pos + n) {
    throw corrupt(F, chain.what, node.loc?.offset, `size is ${size} bytes but the cluster chain holds only ${chain.mapped} clusters (${chain.mapped * cs} bytes)`);
  }
  await ctx.vol.readChain(chain, pos, buf.subarray(0, n));
  return n;
}

function checkWritableFile(ctx: FatContext, node: FatNode, op: string): void {
  if (node.isDir) throw new FsError('EISDIR', `${F}: ${op}: ${ctx.describe(node)} is a directory`);
  ctx.assertChangeable(node.entry.firstCluster, ctx.describe(node), op);
}

/** Makes the chain hold at least `bytes`, returning it (allocating in the FAT first). */
async function ensureCapacity(ctx: FatContext, node: FatNode, bytes: number) {
  const chain = ctx.chainOf(node);
  const need = Math.ceil(bytes / ctx.vol.clusterSize);
  await chain.ensure(need);
  if (chain.mapped < need) {
    await allocate(ctx.vol, chain, need - chain.mapped);
    node.entry.firstCluster = chain.first;
  }
  return chain;
}

function touchMtime(ctx: FatContext, node: FatNode): void {
  const now = ctx.vol.clock();
  const t = unixToFat(now, ctx.vol.tz);
  node.entry.wrtDate = t.date;
  node.entry.wrtTime = t.time;
  node.entry.attr |= ATTR_ARCHIVE;
  node.ctime = now;
}

export async function writeFile(ctx: FatContext, node: FatNode, data: Uint8Array, pos: number): Promise<number> {
  checkWritableFile(ctx, node, 'write');
  if (!Number.isSafeInteger(pos) || pos < 0) throw new FsError('EINVAL', `${F}: write at offset ${pos}`);
  if (data.length === 0) return 0;
  const end = pos + data.length;
  if (end > MAX_FILE_SIZE) throw new FsError('EFBIG', `${F}: write: a FAT file ends at ${MAX_FILE_SIZE} bytes`);
  await ctx.vol.beginChange();
  const old = node.entry.size;
  const chain = await ensureCapacity(ctx, node, end);
  if (pos > old) await ctx.vol.zeroChain(chain, old, pos - old);
  await ctx.vol.writeChain(chain, pos, data);
  if (end > old) node.entry.size = end;
  touchMtime(ctx, node);
  await ctx.writeEntry(node);
  return data.length;
}

/** Truncates or extends to `size` bytes (zero-filled); `touch` also sets mtime. */
export async function setSize(ctx: FatContext, node: FatNode, size: number, touch: boolean): Promise<void> {
  checkWritableFile(ctx, node, 'truncate');
  if (!Number.isSafeInteger(size) || size < 0) throw new FsError('EINVAL', `${F}: truncate to ${size}`);
  if (size > MAX_FILE_SIZE) throw new FsError('EFBIG', `${F}: truncate: a FAT file ends at ${MAX_FILE_SIZE} bytes`);
  await ctx.vol.beginChange();
  const old = node.entry.size;
  const cs = ctx.vol.clusterSize;
  if (size > old) {
    const chain = await ensureCapacity(ctx, node, size);
    await ctx.vol.zeroChain(chain, old, size - old);
    node.entry.size = size;
    if (touch) touchMtime(ctx, node);
    await ctx.writeEntry(node);
    return;
  }
  const chain = node.entry.firstCluster ? ctx.chainOf(node) : undefined;
  const keep = Math.ceil(size / cs);
  node.entry.size = size;
  if (keep === 0) node.entry.firstCluster = 0;
  if (touch) touchMtime(ctx, node);
  // The entry first: a crash then leaves a chain longer than the file (fsck trims it), never a shared cluster.
  await ctx.writeEntry(node);
  if (chain) await freeFrom(ctx.vol, chain, keep);
}

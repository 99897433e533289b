/**
 * Allocating and freeing clusters. Allocation finds every cluster it needs
 * before it changes anything (so ENOSPC leaves the volume as it was),
 * prefers the clusters right after the chain's end (contiguous files),
 * links them in the FAT and commits both FAT copies before the caller
 * writes data into them. Freeing is the caller's last step, after the
 * directory entry no longer points at the clusters, so a crash can lose
 * clusters (fsck reclaims them) but never leave two owners of one.
 */
import { FsError } from '../../errors.js';
import type { ClusterChain } from './chain.js';
import { FREE } from './fat-table.js';
import type { FatVolume } from './volume.js';

/** `count` free clusters, or ENOSPC with nothing changed. */
export async function findClusters(vol: FatVolume, count: number, near: number): Promise<number[]> {
  const found = await vol.fat.findFree(count, near);
  if (found.length < count) {
    throw new FsError('ENOSPC', `fat: no space left: ${count} clusters needed, ${found.length} free`);
  }
  return found;
}

/** Links `clusters` (free, found by findClusters) onto the end of `chain` and commits the FAT. */
export async function linkClusters(vol: FatVolume, chain: ClusterChain, clusters: number[]): Promise<void> {
  const fat = vol.fat;
  for (let i = 0; i < clusters.length; i++) await fat.set(clusters[i]!, i + 1 < clusters.length ? clusters[i + 1]! : fat.eoc);
  if (chain.mapped > 0 && clusters.length) await fat.set(chain.lastCluster, clusters[0]!);
  const last = clusters[clusters.length - 1];
  if (last !== undefined) fat.nextFree = last + 1 <= fat.lastUsable ? last + 1 : 2;
  await fat.commit();
  chain.appended(clusters);
}

/** Grows `chain` (mapped to its end) by `count` clusters. */
export async function allocate(vol: FatVolume, chain: ClusterChain, count: number): Promise<number[]> {
  if (count <= 0) return [];
  const near = chain.mapped > 0 ? chain.lastCluster + 1 : vol.fat.nextFree;
  const clusters = await findClusters(vol, count, near);
  await linkClusters(vol, chain, clusters);
  return clusters;
}

/**
 * Frees the clusters of `chain` from file cluster `keep` on, ending the
 * chain after `keep` clusters (or emptying it), and commits the FAT.
 */
export async function freeFrom(vol: FatVolume, chain: ClusterChain, keep: number): Promise<void> {
  await chain.ensureAll();
  if (chain.mapped <= keep) return;
  const fat = vol.fat;
  const drop = chain.clustersFrom(keep);
  if (keep > 0) await fat.set(chain.lookup(keep - 1)!.cluster, fat.eoc);
  for (const c of drop) await fat.set(c, FREE);
  await fat.commit();
  chain.truncated(keep);
}

/**
 * Frees a whole chain starting at `first` as far as it can be followed:
 * a chain that turns out corrupt loses only what lies past the damage
 * (a warning says so), since its directory entry is already gone.
 */
export async function freeChain(vol: FatVolume, chain: ClusterChain): Promise<void> {
  try {
    await chain.ensureAll();
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    vol.warn(`${chain.what}: ${e.message}; freeing only the ${chain.mapped} clusters before the damage`);
  }
  const fat = vol.fat;
  for (const c of chain.clustersFrom(0)) {
    if ((await fat.get(c)) !== FREE) await fat.set(c, FREE);
  }
  await fat.commit();
  chain.truncated(0);
}

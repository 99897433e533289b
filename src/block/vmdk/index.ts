/**
 * VMDK (VMware virtual disk), read-only: monolithicSparse, streamOptimized,
 * monolithicFlat, twoGbMaxExtentSparse/Flat, vmfs (flat), with a parent
 * (delta link) through OpenContext.openRelated.
 */
import { FsError } from '../../errors.js';
import { corrupt, unsupported } from '../corrupt.js';
import { readBytes, readOnlyError, type BlockDevice, type DeviceDescription } from '../device.js';
import type { ContainerFormat, OpenContext } from '../container.js';
import { MAX_DESCRIPTOR_BYTES, descriptorText, looksLikeDescriptor, parseDescriptor, type Descriptor } from './descriptor.js';
import { VmdkDevice, type Extent, type VmdkInfo } from './device.js';
import { COWD_MAGIC, FLAG_COMPRESSED, SECTOR, SPARSE_MAGIC } from './header.js';
import { SparseExtent } from './sparse-extent.js';

export { VmdkDevice } from './device.js';

export const vmdkFormat: ContainerFormat = {
  id: 'vmdk',
  name: 'VMware VMDK',
  writable: false,
  open: openVmdk,
};

/** Extent types that need VMFS semantics we do not implement. */
const REFUSED_EXTENTS: Record<string, string> = {
  VMFSSPARSE: 'vmfsSparse (COWD) extents',
  VMFSRDM: 'raw device mapping (VMFSRDM) extents',
  VMFSRAW: 'raw device (VMFSRAW) extents',
  SESPARSE: 'seSparse extents',
};

export async function openVmdk(file: BlockDevice, ctx: OpenContext): Promise<BlockDevice> {
  if (!ctx.readOnly) throw readOnlyError('vmdk (writing is not supported)');
  const opened: BlockDevice[] = []; // closed again if opening fails
  try {
    const { extents, info, descriptor } = await openExtents(file, ctx, opened);
    const parent = await openParent(descriptor, ctx, info);
    if (parent) opened.push(parent.device);
    return new VmdkDevice(extents, info, parent?.device, [file, ...opened]);
  } catch (e) {
    for (const d of opened) await d.close().catch(() => {});
    throw e;
  }
}

async function openExtents(file: BlockDevice, ctx: OpenContext, opened: BlockDevice[]): Promise<{ extents: Extent[]; info: VmdkInfo; descriptor: Descriptor | undefined }> {
  const head = await readBytes(file, 0, Math.min(SECTOR, file.size));
  const magic = head.length >= 4 ? new DataView(head.buffer).getUint32(0, true) : 0;
  const selfName = ctx.name ?? 'image';
  if (magic === COWD_MAGIC) throw unsupported('vmdk', 'vmfsSparse (COWD) extents');
  if (magic === SPARSE_MAGIC) {
    const sparse = await SparseExtent.open(file, selfName);
    const text = await sparse.embeddedDescriptor();
    const descriptor = text === undefined ? undefined : parseDescriptor(text);
    const compressed = (sparse.header.flags & FLAG_COMPRESSED) !== 0;
    const info = infoFrom(descriptor, compressed ? 'streamOptimized' : 'monolithicSparse');
    if (sparse.header.uncleanShutdown && !compressed) info.warnings.push('vmdk: the image was not closed cleanly (uncleanShutdown set)');
    return { extents: [{ kind: 'sparse', start: 0, length: sparse.capacityBytes, sparse, name: selfName }], info, descriptor };
  }
  if (file.size > MAX_DESCRIPTOR_BYTES) {
    throw new FsError('EIO', `vmdk: ${selfName}: no sparse extent magic (KDMV) and too large (${file.size} bytes) for a descriptor file`);
  }
  const text = descriptorText(await readBytes(file, 0, file.size));
  if (!looksLikeDescriptor(text)) throw new FsError('EIO', `vmdk: ${selfName}: neither a sparse extent (KDMV) nor a descriptor file`);
  const descriptor = parseDescriptor(text);
  const info = infoFrom(descriptor, 'unknown');
  if (descriptor.extents.length === 0) throw corrupt('vmdk', 'descriptor', 0, 'names no extents');
  const extents: Extent[] = [];
  let start = 0;
  for (const line of descriptor.extents) {
    const refused = REFUSED_EXTENTS[line.type];
    if (refused) throw unsupported('vmdk', refused);
    const length = line.sectors * SECTOR;
    if (line.type === 'ZERO' || line.access === 'NOACCESS') {
      extents.push({ kind: 'zero', start, length });
    } else {
      const name = line.fileName!;
      if (!ctx.openRelated) throw unsupported('vmdk', `extent file "${name}" cannot be opened here (no access to related files)`);
      const rel = await ctx.openRelated(name, { format: 'raw', readOnly: true, role: 'vmdk extent' });
      opened.push(rel.device);
      if (line.type === 'SPARSE') {
        const sparse = await SparseExtent.open(rel.device, name);
        extents.push({ kind: 'sparse', start, length, sparse, name });
      } else {
        const fileOffset = line.offset * SECTOR;
        if (fileOffset + length > rel.device.size) {
          throw corrupt('vmdk', `flat extent "${name}"`, fileOffset, `needs ${length} bytes but the file has ${rel.device.size}`);
        }
        extents.push({ kind: 'flat', start, length, file: rel.device, fileOffset, name });
      }
    }
    start += length;
    if (!Number.isSafeInteger(start) || start > 2 ** 50) throw corrupt('vmdk', 'descriptor', 0, 'extents add up to an absurd size');
  }
  return { extents, info, descriptor };
}

function infoFrom(d: Descriptor | undefined, fallbackType: string): VmdkInfo {
  const info: VmdkInfo = { createType: d?.fields.get('createType') || fallbackType, warnings: [] };
  const set = (k: 'cid' | 'parentCid' | 'parentHint' | 'adapterType' | 'hwVersion', v: string | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  set('cid', d?.fields.get('CID'));
  set('parentCid', d?.fields.get('parentCID'));
  set('adapterType', d?.ddb.get('ddb.adapterType'));
  set('hwVersion', d?.ddb.get('ddb.virtualHWVersion'));
  const pcid = d?.fields.get('parentCID');
  if (pcid !== undefined && pcid.toLowerCase() !== 'ffffffff') info.parentHint = d?.fields.get('parentFileNameHint') ?? '';
  return info;
}

async function openParent(d: Descriptor | undefined, ctx: OpenContext, info: VmdkInfo): Promise<{ device: BlockDevice } | undefined> {
  const hint = info.parentHint;
  if (!d || hint === undefined) return undefined;
  if (hint === '') throw corrupt('vmdk', 'descriptor', 0, `parentCID is ${info.parentCid} but parentFileNameHint is missing`);
  if (!ctx.openRelated) throw unsupported('vmdk', `parent "${hint}" cannot be opened here (no access to related files)`);
  const rel = await ctx.openRelated(hint, { readOnly: true, role: 'vmdk parent' });
  info.parentName = rel.name;
  const pd: DeviceDescription | undefined = rel.device.describe?.();
  if (pd) info.parentDescription = pd;
  const parentCid = pd?.details?.['cid'];
  if (typeof parentCid === 'string' && info.parentCid && parentCid.toLowerCase() !== info.parentCid.toLowerCase()) {
    info.warnings.push(`vmdk: parentCID ${info.parentCid} does not match the parent's CID ${parentCid} (parent changed since this delta was made?)`);
  }
  return { device: rel.device };
}

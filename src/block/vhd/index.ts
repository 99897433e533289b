/**
 * VHD (Connectix / Microsoft Virtual PC; QEMU's "vpc"), read-only: fixed,
 * dynamic and differencing disks.
 */
import { FsError, isFsError } from '../../errors.js';
import { corrupt, unsupported } from '../corrupt.js';
import { readBytes, readOnlyError, readStructure, type BlockDevice } from '../device.js';
import type { ContainerFormat, OpenContext } from '../container.js';
import { VhdDevice, type VhdInfo } from './device.js';
import {
  DISK_DIFFERENCING,
  DISK_DYNAMIC,
  DISK_FIXED,
  DYNAMIC_HEADER_SIZE,
  FOOTER_SIZE,
  MAX_CHS_SECTORS,
  isFooter,
  parseDynamicHeader,
  parseFooter,
  uuidString,
  virtualSize,
  type VhdFooter,
} from './footer.js';
import { parentCandidates } from './locator.js';

export { VhdDevice } from './device.js';

export const vhdFormat: ContainerFormat = {
  id: 'vpc',
  name: 'VHD (Virtual PC)',
  writable: false,
  open: openVhd,
};

/** 256 MiB blocks would already need 64 KiB bitmaps; nothing writes more than 2 MiB. */
const MAX_BLOCK_SIZE = 256 << 20;

export async function openVhd(file: BlockDevice, ctx: OpenContext): Promise<BlockDevice> {
  if (!ctx.readOnly) throw readOnlyError('vpc (writing is not supported)');
  if (file.size < FOOTER_SIZE) throw corrupt('vhd', 'file', 0, `only ${file.size} bytes, too short for a footer`);
  const warnings: string[] = [];
  const footer = await pickFooter(file, warnings);
  let size = virtualSize(footer);
  const chs = footer.cylinders * footer.heads * footer.sectorsPerTrack;
  const info: VhdInfo = { footer, sizeSource: size === chs * 512 && chs !== MAX_CHS_SECTORS ? 'chs' : 'currentSize', warnings };
  if (footer.diskType === DISK_FIXED) {
    if (size > file.size - FOOTER_SIZE) {
      throw corrupt('vhd', 'footer', file.size - FOOTER_SIZE, `fixed disk of ${size} bytes but the file holds only ${file.size - FOOTER_SIZE} bytes of data`);
    }
    return new VhdDevice(file, size, info, undefined);
  }
  if (footer.diskType !== DISK_DYNAMIC && footer.diskType !== DISK_DIFFERENCING) {
    throw unsupported('vhd', `disk type ${footer.diskType} (known: 2 fixed, 3 dynamic, 4 differencing)`);
  }
  if (footer.dataOffset < 0) throw corrupt('vhd', 'footer', 0, 'dynamic disk without a dynamic header offset');
  const dh = parseDynamicHeader(await readStructure(file, footer.dataOffset, DYNAMIC_HEADER_SIZE, 'vhd: dynamic disk header'), footer.dataOffset);
  if (!dh.checksumOk) warnings.push(`vhd: dynamic disk header at ${footer.dataOffset}: checksum mismatch (ignored, as QEMU does)`);
  const bs = dh.blockSize;
  if (bs < 512 || bs > MAX_BLOCK_SIZE || (bs & (bs - 1)) !== 0) {
    throw corrupt('vhd', 'dynamic disk header', footer.dataOffset, `block size ${bs} is not a power of two between 512 and ${MAX_BLOCK_SIZE}`);
  }
  if (dh.maxTableEntries * bs < size) {
    throw corrupt('vhd', 'dynamic disk header', footer.dataOffset, `${dh.maxTableEntries} BAT entries of ${bs} bytes cannot hold a ${size}-byte disk`);
  }
  info.dynamic = dh;
  let parent: BlockDevice | undefined;
  if (footer.diskType === DISK_DIFFERENCING) {
    parent = await openParent(file, ctx, info);
  }
  try {
    return new VhdDevice(file, size, info, parent);
  } catch (e) {
    await parent?.close().catch(() => {});
    throw e;
  }
}

/**
 * The footer at the end is authoritative; dynamic disks keep a copy in the
 * first sector. A bad checksum on one copy falls back to the other with a
 * warning; both bad is EIO (QEMU refuses such images too).
 */
async function pickFooter(file: BlockDevice, warnings: string[]): Promise<VhdFooter> {
  const endAt = file.size - FOOTER_SIZE;
  const endBytes = await readBytes(file, endAt, FOOTER_SIZE);
  const startBytes = await readBytes(file, 0, FOOTER_SIZE);
  const end = isFooter(endBytes) ? parseFooter(endBytes, endAt) : undefined;
  const start = isFooter(startBytes) && endAt !== 0 ? parseFooter(startBytes, 0) : undefined;
  if (end?.checksumOk) return end;
  if (start?.checksumOk) {
    warnings.push(end ? `vhd: footer at ${endAt}: checksum mismatch, using the copy at offset 0` : `vhd: no footer at the end of the file (truncated?), using the copy at offset 0`);
    return start;
  }
  const bad = end ?? start;
  if (bad) throw corrupt('vhd', 'footer', end ? endAt : 0, `checksum mismatch (stored 0x${bad.checksum.toString(16)})`);
  throw new FsError('EIO', 'vhd: no "conectix" footer at the start or end of the file');
}

async function openParent(file: BlockDevice, ctx: OpenContext, info: VhdInfo): Promise<BlockDevice> {
  const dh = info.dynamic!;
  const candidates = await parentCandidates(file, dh);
  if (candidates.length === 0) throw corrupt('vhd', 'dynamic disk header', info.footer.dataOffset, 'differencing disk names no parent');
  if (!ctx.openRelated) throw unsupported('vhd', `parent "${candidates[0]!.name}" cannot be opened here (no access to related files)`);
  let firstError: unknown;
  for (const c of candidates) {
    try {
      const rel = await ctx.openRelated(c.name, { readOnly: true, role: 'vhd parent' });
      info.parentName = rel.name;
      info.parentLocator = c.platformCode;
      const pd = rel.device.describe?.();
      if (pd) info.parentDescription = pd;
      const pid = pd?.details?.['uniqueId'];
      const want = uuidString(dh.parentUniqueId);
      if (typeof pid === 'string' && pid !== want) {
        info.warnings.push(`vhd: parent ${rel.name} has unique id ${pid}, the differencing disk expects ${want}`);
      }
      return rel.device;
    } catch (e) {
      // Only a missing file moves on to the next locator; anything else is a real failure.
      if (!isFsError(e, 'ENOENT')) throw e;
      firstError ??= e;
    }
  }
  throw firstError;
}

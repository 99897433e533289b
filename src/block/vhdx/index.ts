/**
 * VHDX (Hyper-V virtual hard disk v2), read-only: dynamic, fixed and
 * differencing disks, with the log replayed in memory when a writer left
 * one behind.
 */
import { isFsError } from '../../errors.js';
import { corrupt, unsupported } from '../corrupt.js';
import { readOnlyError, type BlockDevice } from '../device.js';
import type { ContainerFormat, OpenContext } from '../container.js';
import { VhdxDevice, type VhdxInfo } from './device.js';
import { NULL_GUID, readFileIdentifier, readHeaders, readRegionTable } from './header.js';
import { replayLog } from './log.js';
import { readMetadata } from './metadata.js';

export { VhdxDevice } from './device.js';

export const vhdxFormat: ContainerFormat = {
  id: 'vhdx',
  name: 'Hyper-V VHDX',
  writable: false,
  open: openVhdx,
};

/** Parent locator keys, best first ([MS-VHDX] 2.6.2.6.1). */
const PARENT_KEYS = ['relative_path', 'volume_path', 'absolute_win32_path'];

export async function openVhdx(file: BlockDevice, ctx: OpenContext): Promise<BlockDevice> {
  if (!ctx.readOnly) throw readOnlyError('vhdx (writing is not supported)');
  const warnings: string[] = [];
  const creator = await readFileIdentifier(file);
  const header = await readHeaders(file, warnings);
  let image: BlockDevice = file;
  let logEntriesReplayed = 0;
  if (header.logGuid !== NULL_GUID) {
    const replay = await replayLog(file, header);
    if (replay) {
      image = replay.overlay;
      logEntriesReplayed = replay.entries;
      warnings.push(`vhdx: replayed ${replay.entries} log entries (up to sequence ${replay.sequence}) in memory; the file itself still needs replay by a writer`);
    }
  }
  const { bat, metadata: mdRegion } = await readRegionTable(image, warnings);
  const metadata = await readMetadata(image, mdRegion);
  const info: VhdxInfo = { creator, header, metadata, logEntriesReplayed, warnings };
  let parent: BlockDevice | undefined;
  if (metadata.hasParent) parent = await openParent(metadata.parentLocator!, ctx, info, mdRegion.fileOffset);
  try {
    // The overlay closes the file under it; close exactly one of them.
    return new VhdxDevice(image, bat, info, parent, parent ? [image, parent] : [image]);
  } catch (e) {
    await parent?.close().catch(() => {});
    throw e;
  }
}

async function openParent(locator: Map<string, string>, ctx: OpenContext, info: VhdxInfo, mdAt: number): Promise<BlockDevice> {
  const names = PARENT_KEYS.map((k) => locator.get(k)).filter((v): v is string => !!v).map((n) => n.replace(/\\/g, '/').replace(/^\.\//, ''));
  if (names.length === 0) throw corrupt('vhdx', 'parent locator', mdAt, 'names no parent path');
  if (!ctx.openRelated) throw unsupported('vhdx', `parent "${names[0]}" cannot be opened here (no access to related files)`);
  let firstError: unknown;
  for (const name of names) {
    try {
      const rel = await ctx.openRelated(name, { readOnly: true, role: 'vhdx parent' });
      info.parentName = rel.name;
      const pd = rel.device.describe?.();
      if (pd) info.parentDescription = pd;
      const linkage = locator.get('parent_linkage')?.replace(/[{}]/g, '').toUpperCase();
      const pguid = pd?.details?.['dataWriteGuid'];
      if (linkage && typeof pguid === 'string' && pguid !== linkage) {
        info.warnings.push(`vhdx: parent ${rel.name} has DataWriteGuid ${pguid}, the differencing disk expects ${linkage}`);
      }
      return rel.device;
    } catch (e) {
      if (!isFsError(e, 'ENOENT')) throw e;
      firstError ??= e;
    }
  }
  throw firstError;
}

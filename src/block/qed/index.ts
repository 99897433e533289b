/** QED (QEMU Enhanced Disk), read-only, with a backing file through OpenContext.openRelated. */
import { BinaryReader } from '../../binary/reader.js';
import { unsupported } from '../corrupt.js';
import { readOnlyError, readStructure, type BlockDevice } from '../device.js';
import type { ContainerFormat, OpenContext } from '../container.js';
import { QedDevice, type QedInfo } from './device.js';
import { HEADER_BYTES, QED_F_BACKING_FILE, QED_F_BACKING_FORMAT_NO_PROBE, QED_F_NEED_CHECK, parseQedHeader, validateQedHeader } from './header.js';

export { QedDevice } from './device.js';

export const qedFormat: ContainerFormat = {
  id: 'qed',
  name: 'QEMU Enhanced Disk',
  writable: false,
  open: openQed,
};

export async function openQed(file: BlockDevice, ctx: OpenContext): Promise<BlockDevice> {
  if (!ctx.readOnly) throw readOnlyError('qed (writing is not supported)');
  const h = parseQedHeader(await readStructure(file, 0, HEADER_BYTES, 'qed: header'));
  validateQedHeader(h, file.size);
  const info: QedInfo = { warnings: [] };
  if (h.features & QED_F_NEED_CHECK) {
    info.warnings.push('qed: the image was not closed cleanly (need-check set); tables are read as they are, run `qemu-img check` to repair');
  }
  let backing: BlockDevice | undefined;
  if (h.features & QED_F_BACKING_FILE) {
    const nameBytes = await readStructure(file, h.backingFilenameOffset, h.backingFilenameSize, 'qed: backing file name');
    const name = new BinaryReader(nameBytes, 'qed backing file name').utf8(0, nameBytes.length);
    if (!ctx.openRelated) throw unsupported('qed', `backing file "${name}" cannot be opened here (no access to related files)`);
    const options = { readOnly: true, role: 'qed backing file', ...(h.features & QED_F_BACKING_FORMAT_NO_PROBE ? { format: 'raw' } : {}) };
    const rel = await ctx.openRelated(name, options);
    backing = rel.device;
    info.backingName = rel.name;
    const bd = rel.device.describe?.();
    if (bd) info.backingDescription = bd;
  }
  return new QedDevice(file, h, info, backing);
}

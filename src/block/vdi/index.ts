/** VDI (VirtualBox disk image), read-only: dynamic and static images, header version 1.1. */
import { readOnlyError, readStructure, type BlockDevice } from '../device.js';
import type { ContainerFormat, OpenContext } from '../container.js';
import { VdiDevice } from './device.js';
import { HEADER_BYTES, parseVdiHeader, validateVdiHeader } from './header.js';

export { VdiDevice } from './device.js';

export const vdiFormat: ContainerFormat = {
  id: 'vdi',
  name: 'VirtualBox VDI',
  writable: false,
  open: openVdi,
};

export async function openVdi(file: BlockDevice, ctx: OpenContext): Promise<BlockDevice> {
  if (!ctx.readOnly) throw readOnlyError('vdi (writing is not supported)');
  const h = parseVdiHeader(await readStructure(file, 0, HEADER_BYTES, 'vdi: header'));
  validateVdiHeader(h, file.size);
  return new VdiDevice(file, h);
}

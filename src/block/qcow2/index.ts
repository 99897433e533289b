/** qcow2 (QEMU copy-on-write v2/v3): read, write, backing chains, create. */
import type { ContainerFormat } from '../container.js';
import { Qcow2Device } from './device.js';

export { Qcow2Device, type Qcow2OpenOptions } from './device.js';
export { createQcow2, type CreateQcow2Options } from './create.js';
export type { Qcow2Header } from './header.js';
export type { Qcow2Snapshot } from './snapshot.js';

export const qcow2Format: ContainerFormat = {
  id: 'qcow2',
  name: 'QEMU qcow2',
  writable: true,
  open: (file, ctx) => Qcow2Device.open(file, ctx),
};

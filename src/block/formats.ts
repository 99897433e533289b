/**
 * The container formats and partition schemes anymount can open, by
 * catalogue id. Detection (src/detect) says what a device is; these say how
 * to open it. Order of partition schemes is the order they are tried.
 */
import type { ContainerFormat } from './container.js';
import type { PartitionScheme } from './partition/table.js';

export const CONTAINER_FORMATS: ContainerFormat[] = [];

export const PARTITION_SCHEMES: PartitionScheme[] = [];

export function containerFormat(id: string): ContainerFormat | undefined {
  return CONTAINER_FORMATS.find((f) => f.id === id);
}

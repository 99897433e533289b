/**
 * The container formats and partition schemes anymount can open, by
 * catalogue id. Detection (src/detect) says what a device is; these say how
 * to open it. Order of partition schemes is the order they are tried.
 */
import type { ContainerFormat } from './container.js';
import type { PartitionScheme } from './partition/table.js';
import { GPT_SCHEME } from './partition/gpt.js';
import { MBR_SCHEME } from './partition/mbr.js';

export const CONTAINER_FORMATS: ContainerFormat[] = [];

// GPT before MBR: a protective MBR defers to the GPT behind it.
export const PARTITION_SCHEMES: PartitionScheme[] = [GPT_SCHEME, MBR_SCHEME];

export function containerFormat(id: string): ContainerFormat | undefined {
  return CONTAINER_FORMATS.find((f) => f.id === id);
}

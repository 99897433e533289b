/**
 * The stable, machine-readable form of what `info` finds: the container
 * chain, then the probe tree. `anymount info --json` prints exactly this;
 * the text output is rendered from it, so the two always agree.
 */
import type { DeviceDescription } from '../block/device.js';
import type { Identification } from './index.js';
import type { ProbeNode } from './probe.js';
import type { Partition } from '../block/partition/table.js';

export interface InfoReport {
  /** The address as the user gave it. */
  name: string;
  /** Size in bytes of the addressed device (the virtual disk, or the partition). */
  size: number;
  /** The container layers, outermost first; empty for a raw image or a partition. */
  container?: DeviceDescription;
  node: InfoNode;
}

export interface InfoNode {
  /** 'p2' for a partition, '' for the whole device. */
  selector: string;
  size: number;
  partition?: Partition;
  contents: Identification[];
  partitionTable?: {
    scheme: string;
    diskId?: string;
    sectorSize: number;
    warnings: string[];
    partitions: InfoNode[];
  };
  errors: string[];
}

export function reportNode(node: ProbeNode): InfoNode {
  const out: InfoNode = { selector: node.selector, size: node.device.size, contents: node.contents, errors: node.errors };
  if (node.partition) {
    const p = node.partition;
    out.size = p.size;
    // Only the fields that are set, so the JSON stays stable and small.
    out.partition = Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && !(k === 'flags' && (v as string[]).length === 0))) as unknown as Partition;
  }
  if (node.table) {
    const t = node.table;
    out.partitionTable = { scheme: t.scheme, sectorSize: t.sectorSize, warnings: t.warnings, partitions: node.children.map(reportNode) };
    if (t.diskId !== undefined) out.partitionTable.diskId = t.diskId;
  }
  return out;
}

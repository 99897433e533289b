/**
 * probe: what is on a device, all the way down — partition tables and the
 * partitions they hold, and what each partition contains — as a tree that
 * `anymount info` prints and that addresses like `disk.qcow2:p2` select from.
 * Containers (qcow2 …) are opened before this, by the host.
 */
import { FsError, toFsError } from '../errors.js';
import type { BlockDevice } from '../block/device.js';
import { PARTITION_SCHEMES } from '../block/formats.js';
import { PartitionDevice, type Partition, type PartitionTable } from '../block/partition/table.js';
import { identify, type Identification } from './index.js';

export interface ProbeNode {
  /** How the parent addresses this node ('p2'); '' for the whole device. */
  selector: string;
  device: BlockDevice;
  /** The partition this node is, when it is one. */
  partition?: Partition;
  /** What the device holds, best match first (filesystems, volumes, archives …). */
  contents: Identification[];
  /** The partition table on this device, if any; its partitions are the children. */
  table?: PartitionTable;
  children: ProbeNode[];
  /** Problems found while probing this node that did not stop the probe. */
  errors: string[];
}

export interface ProbeOptions {
  /** How deep to look for partition tables inside partitions (BSD labels in MBR slices …). */
  maxDepth?: number;
}

export async function probe(device: BlockDevice, options: ProbeOptions = {}): Promise<ProbeNode> {
  return probeNode(device, '', undefined, 0, options.maxDepth ?? 3);
}

async function probeNode(device: BlockDevice, selector: string, partition: Partition | undefined, depth: number, maxDepth: number): Promise<ProbeNode> {
  const node: ProbeNode = { selector, device, contents: [], children: [], errors: [] };
  if (partition) node.partition = partition;
  // An MBR extended partition only holds the EBR chain, whose logical partitions the table already lists.
  if (partition?.flags?.includes('extended')) return node;
  let found: Identification[] = [];
  try {
    found = await identify(device, { all: true });
  } catch (e) {
    node.errors.push(toFsError(e).message);
  }
  // Containers were opened by the host already; a partition table becomes `table`.
  node.contents = found.filter((f) => f.kind !== 'partition-table' && f.kind !== 'container');
  const filesystem = node.contents.find((f) => f.kind === 'filesystem');
  // A filesystem that starts at sector 0 owns the device, except ISO 9660, which hybrid images pair with an MBR/GPT.
  const lookForTable = depth <= maxDepth && (!filesystem || filesystem.id === 'iso9660' || found.some((f) => f.kind === 'partition-table'));
  if (lookForTable) {
    for (const scheme of PARTITION_SCHEMES) {
      let table: PartitionTable | undefined;
      try {
        table = await scheme.read(device);
      } catch (e) {
        node.errors.push(toFsError(e).message);
        continue;
      }
      if (!table) continue;
      node.table = table;
      for (const p of table.partitions) {
        let child: ProbeNode;
        try {
          const dev = new PartitionDevice(device, table, p);
          child = await probeNode(dev, `p${p.index}`, p, depth + 1, maxDepth);
        } catch (e) {
          child = { selector: `p${p.index}`, device, partition: p, contents: [], children: [], errors: [toFsError(e).message] };
        }
        node.children.push(child);
      }
      break;
    }
  }
  return node;
}

/** Follows selectors (['p2'], ['p1', 'p3']) down the tree. ENOENT names what is missing. */
export function select(root: ProbeNode, selectors: string[], sourceName: string): ProbeNode {
  let node = root;
  let where = sourceName;
  for (const s of selectors) {
    if (!node.table) throw new FsError('ENOENT', `${where}: no partition table, so no ${s}`);
    const next = node.children.find((c) => c.selector === s);
    if (!next) {
      const have = node.children.map((c) => c.selector).join(', ') || 'none';
      throw new FsError('ENOENT', `${where}: no partition ${s} (${node.table.scheme} has ${have})`);
    }
    node = next;
    where = `${where}:${s}`;
  }
  return node;
}

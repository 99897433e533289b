/**
 * Partition tables as data: a scheme reads a device and lists partitions;
 * each partition is opened as a SliceDevice of the disk.
 */
import type { BlockDevice, DeviceDescription } from '../device.js';
import { SliceDevice } from '../slice.js';

export interface Partition {
  /**
   * The number users address it by (`disk.img:p2`), numbered like Linux:
   * MBR primaries 1–4, logical partitions from 5 in chain order; GPT entries
   * by their slot in the entry array (1-based).
   */
  index: number;
  /** Byte offset of the first byte on the disk. */
  start: number;
  /** Length in bytes. */
  size: number;
  /** Type as the scheme stores it: MBR "0x83", GPT type GUID, APM "Apple_HFS". */
  type: string;
  /** Human name of the type when known ("Linux filesystem", "EFI System"). */
  typeName?: string;
  /** Partition name/label stored in the table (GPT name, APM name). */
  name?: string;
  /** Unique partition GUID (GPT) or MBR disk signature-partition id ("1234abcd-02"). */
  uuid?: string;
  /** Scheme flags worth showing: 'bootable', 'extended', 'logical', 'legacy-bios-bootable', 'read-only' … */
  flags?: string[];
}

export interface PartitionTable {
  /** Catalogue id of the scheme ('mbr', 'gpt', 'apm', 'bsd' …). */
  scheme: string;
  /** Disk identifier: GPT disk GUID or MBR disk signature as 8 hex digits. */
  diskId?: string;
  /** Sector size the table was read with. */
  sectorSize: number;
  partitions: Partition[];
  /** Facts the user should hear ("primary GPT header corrupt: using the backup at LBA …"). */
  warnings: string[];
  /**
   * Set when this table only stands guard for another scheme: a protective
   * (or hybrid) MBR names 'gpt', whose table is the one to use.
   */
  supersededBy?: string;
}

export interface PartitionScheme {
  id: string;
  name: string;
  /**
   * Reads the table. Returns undefined when the signature is absent (not this
   * scheme); throws FsError(EIO) when it is present but corrupt beyond use.
   */
  read(disk: BlockDevice): Promise<PartitionTable | undefined>;
}

/** A partition as a device of its own, describing itself for `info`. */
export class PartitionDevice extends SliceDevice {
  readonly partition: Partition;
  readonly scheme: string;

  constructor(disk: BlockDevice, table: PartitionTable, partition: Partition, options: { readOnly?: boolean } = {}) {
    super(disk, partition.start, partition.size, options);
    this.partition = partition;
    this.scheme = table.scheme;
  }

  describe(): DeviceDescription {
    const p = this.partition;
    return {
      format: 'partition',
      summary: `${this.scheme} partition ${p.index}${p.name ? ` "${p.name}"` : ''}`,
      details: { ...p },
    };
  }
}

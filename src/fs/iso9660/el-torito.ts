/**
 * El Torito boot catalogue (El Torito 1.0): named by a boot record volume
 * descriptor, a run of 32-byte entries in the sector it points at.
 *
 *   validation entry   0 header id 1, 1 platform, 4 id string (24),
 *                      28 checksum (all 16 LE words sum to 0), 30 55 AA
 *   initial entry      0 indicator 88 (bootable) or 00, 1 media type
 *                      (0 no emulation, 1/2/3 1.2/1.44/2.88 MB floppy,
 *                      4 hard disk), 2 load segment, 4 system type,
 *                      6 sector count (512-byte units), 8 load RBA
 *   section header     0 indicator 90 (more follow) or 91 (last),
 *                      1 platform, 2 number of section entries
 *   section entry      as the initial entry; media type bit 5 says
 *                      extension entries (indicator 44) follow
 *
 * The entries are shown as files in a virtual directory, with 7-Zip's
 * names and sizes (Archive/Iso/IsoIn.cpp), so what anymount and 7-Zip
 * list agree: 'Boot-NoEmul.img', 'NotBoot-1.44M.img', prefixed '1-', '2-'
 * … when there is more than one entry; the size is the sector count × 512,
 * or the whole floppy for floppy emulation, cut at the end of the image.
 */
import type { BlockDevice } from '../../block/device.js';

/** At most this many catalogue bytes are read (512 entries). */
export const MAX_CATALOG_BYTES = 16384;
export const MAX_BOOT_ENTRIES = 64;

const MEDIA_NAMES = ['NoEmul', '1.2M', '1.44M', '2.88M', 'HardDisk'];
const FLOPPY_SIZES: Record<number, number> = { 1: 1200 << 10, 2: 1440 << 10, 3: 2880 << 10 };

export interface BootEntry {
  /** File name in the virtual boot directory. */
  readonly name: string;
  readonly bootable: boolean;
  /** The media type byte as stored (low 4 bits: emulation). */
  readonly mediaType: number;
  readonly platform: number;
  readonly loadSegment: number;
  readonly systemType: number;
  readonly sectorCount: number;
  /** First 2048-byte block of the image. */
  readonly loadRba: number;
  /** Byte offset and length of what the virtual file shows. */
  readonly offset: number;
  readonly size: number;
}

export interface BootCatalog {
  readonly entries: BootEntry[];
  readonly warnings: string[];
  /** The entries went on past the bytes given: parse again with more. */
  readonly truncated?: boolean;
}

interface RawEntry {
  bootable: boolean;
  mediaType: number;
  platform: number;
  loadSegment: number;
  systemType: number;
  sectorCount: number;
  loadRba: number;
  vendor: Uint8Array;
}

function le16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

function parseEntry(e: Uint8Array, platform: number): RawEntry | undefined {
  if ((e[0] !== 0x88 && e[0] !== 0x00) || e[5] !== 0) return undefined;
  return {
    bootable: e[0] === 0x88,
    mediaType: e[1]!,
    platform,
    loadSegment: le16(e, 2),
    systemType: e[4]!,
    sectorCount: le16(e, 6),
    loadRba: le32(e, 8),
    vendor: e.subarray(12, 32),
  };
}

function entryName(e: RawEntry): string {
  let s = `${e.bootable ? 'Boot' : 'NotBoot'}-${MEDIA_NAMES[e.mediaType] ?? String(e.mediaType)}`;
  // IBM "language and version information" in the vendor bytes, as 7-Zip shows it.
  if (e.vendor[0] === 1 && e.vendor.subarray(1).every((c) => c <= 0x7f)) {
    let extra = '';
    for (const c of e.vendor.subarray(1)) {
      if (c === 0) break;
      extra += c === 0x5c || c === 0x2f ? '_' : String.fromCharCode(c);
    }
    s += `-${extra}`;
  }
  return `${s}.img`;
}

/** Parses the catalogue bytes (read from its first sector on). */
export function parseBootCatalog(cat: Uint8Array, deviceSize: number): BootCatalog {
  const warnings: string[] = [];
  const none = (why: string): BootCatalog => ({ entries: [], warnings: [`El Torito boot catalogue ignored: ${why}`] });
  if (cat.length < 64) return none('it lies past the end of the image');
  if (cat[0] !== 1 || cat[30] !== 0x55 || cat[31] !== 0xaa) return none('no validation entry');
  let sum = 0;
  for (let i = 0; i < 32; i += 2) sum += le16(cat, i);
  if ((sum & 0xffff) !== 0) return none('validation entry checksum is wrong');
  const platform0 = cat[1]!;
  const raw: RawEntry[] = [];
  const initial = parseEntry(cat.subarray(32, 64), platform0);
  if (!initial) return none('initial entry is not valid');
  raw.push(initial);
  let p = 64;
  let truncated = false;
  for (;;) {
    if (p + 32 > cat.length) {
      truncated = true;
      break;
    }
    const indicator = cat[p]!;
    if (indicator !== 0x90 && indicator !== 0x91) break;
    const platform = cat[p + 1]!;
    const count = le16(cat, p + 2);
    p += 32;
    for (let i = 0; i < count; i++) {
      if (p + 32 > cat.length && cat.length < MAX_CATALOG_BYTES) {
        truncated = true;
        break;
      }
      if (p + 32 > cat.length || raw.length >= MAX_BOOT_ENTRIES) {
        warnings.push(`El Torito: section of ${count} entries cut after ${raw.length} entries`);
        break;
      }
      const e = parseEntry(cat.subarray(p, p + 32), platform);
      p += 32;
      if (!e) {
        warnings.push(`El Torito: section entry at catalogue offset ${p - 32} is not valid`);
        break;
      }
      if (e.mediaType & 0x20) {
        // Skip the extension entries; the last one has bit 5 of its flags clear.
        for (let j = 0; p + 32 <= cat.length && j <= 32; j++) {
          const more = cat[p] === 0x44 && (cat[p + 1]! & 0x20) !== 0;
          if (cat[p] !== 0x44) break;
          p += 32;
          if (!more) break;
        }
      }
      raw.push(e);
    }
    if (indicator !== 0x90 || raw.length >= MAX_BOOT_ENTRIES) break;
  }
  const entries = raw.map((e, i): BootEntry => {
    const offset = e.loadRba * 2048;
    let size = FLOPPY_SIZES[e.mediaType] ?? e.sectorCount * 512;
    size = offset < deviceSize ? Math.min(size, deviceSize - offset) : 0;
    const base = entryName(e);
    return {
      name: raw.length === 1 ? base : `${i + 1}-${base}`,
      bootable: e.bootable,
      mediaType: e.mediaType,
      platform: e.platform,
      loadSegment: e.loadSegment,
      systemType: e.systemType,
      sectorCount: e.sectorCount,
      loadRba: e.loadRba,
      offset,
      size,
    };
  });
  return { entries, warnings, ...(truncated ? { truncated } : {}) };
}

/** Reads and parses the catalogue at 2048-byte block `block`. */
export async function readBootCatalog(dev: BlockDevice, block: number): Promise<BootCatalog> {
  const offset = block * 2048;
  if (!Number.isSafeInteger(offset) || offset >= dev.size) return parseBootCatalog(new Uint8Array(0), dev.size);
  // One sector holds 64 entries, more than any disc has; read on only when they go past it.
  let buf = new Uint8Array(Math.min(2048, dev.size - offset));
  await dev.read(buf, offset);
  const first = parseBootCatalog(buf, dev.size);
  if (!first.truncated || buf.length === Math.min(MAX_CATALOG_BYTES, dev.size - offset)) return first;
  buf = new Uint8Array(Math.min(MAX_CATALOG_BYTES, dev.size - offset));
  await dev.read(buf, offset);
  return parseBootCatalog(buf, dev.size);
}

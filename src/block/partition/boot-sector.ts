/**
 * Is sector 0 a filesystem boot sector rather than an MBR? A FAT, NTFS or
 * exFAT volume written to a whole disk ("superfloppy") ends its first
 * sector with 55AA like an MBR, and its boot code can leave bytes at 0x1BE
 * that look like partition entries. libblkid and the kernel settle it by
 * checking for a plausible BIOS parameter block; so do we (our own checks,
 * the same idea: magic string plus fields that a real volume must have).
 */

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

function ascii(b: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[off + i] ?? 0);
  return s;
}

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** A FAT12/16/32 boot sector with a sane BIOS parameter block. */
export function isFatBootSector(b: Uint8Array): boolean {
  if (b.length < 512) return false;
  const fat32Magic = ascii(b, 0x52, 8);
  const fat16Magic = ascii(b, 0x36, 8);
  const strong = fat32Magic.startsWith('MSWIN') || fat32Magic === 'FAT32   ' || fat16Magic.startsWith('MSDOS') || /^FAT(12|16|  )   $/.test(fat16Magic);
  if (!strong) {
    // Old volumes have only a jump instruction and 55AA; OS/2 puts a
    // FAT-like pseudo-header in front of JFS and HPFS, which are not FAT.
    if (b[0] !== 0xeb && b[0] !== 0xe9) return false;
    if (b[510] !== 0x55 || b[511] !== 0xaa) return false;
    if (fat16Magic === 'JFS     ' || fat16Magic === 'HPFS    ') return false;
  }
  const sectorSize = u16(b, 0x0b);
  const clusterSize = b[0x0d]!;
  const reserved = u16(b, 0x0e);
  const fats = b[0x10]!;
  const media = b[0x15]!;
  if (fats === 0 || reserved === 0) return false;
  if (!(media >= 0xf8 || media === 0xf0)) return false;
  if (!isPow2(clusterSize)) return false;
  if (!isPow2(sectorSize) || sectorSize < 512 || sectorSize > 4096) return false;
  const sectors = u16(b, 0x13) || u32(b, 0x20);
  const fatLength = u16(b, 0x16) || u32(b, 0x24);
  return sectors > 0 && fatLength > 0;
}

/** An NTFS boot sector: "NTFS    " OEM id and a BPB whose unused fields are zero. */
export function isNtfsBootSector(b: Uint8Array): boolean {
  if (b.length < 512 || ascii(b, 3, 8) !== 'NTFS    ') return false;
  const sectorSize = u16(b, 0x0b);
  if (!isPow2(sectorSize) || sectorSize < 256 || sectorSize > 4096) return false;
  const spc = b[0x0d]!;
  if (!isPow2(spc) && !(spc >= 240 && spc <= 249)) return false;
  // reserved sectors, FAT count, root entries, 16-bit sectors, sectors per FAT, 32-bit sectors: all zero on NTFS
  return u16(b, 0x0e) === 0 && b[0x10] === 0 && u16(b, 0x11) === 0 && u16(b, 0x13) === 0 && u16(b, 0x16) === 0 && u32(b, 0x20) === 0;
}

/** An exFAT boot sector: jump EB 76 90, "EXFAT   ", and the must-be-zero area (bytes 11–63) zero. */
export function isExfatBootSector(b: Uint8Array): boolean {
  if (b.length < 512 || b[0] !== 0xeb || b[1] !== 0x76 || b[2] !== 0x90 || ascii(b, 3, 8) !== 'EXFAT   ') return false;
  for (let i = 11; i < 64; i++) if (b[i] !== 0) return false;
  const shift = b[108]!;
  return shift >= 9 && shift <= 12;
}

/** The filesystem whose boot sector this is ('vfat', 'ntfs', 'exfat'), or undefined. */
export function filesystemBootSector(b: Uint8Array): string | undefined {
  if (isExfatBootSector(b)) return 'exfat';
  if (isNtfsBootSector(b)) return 'ntfs';
  if (isFatBootSector(b)) return 'vfat';
  return undefined;
}

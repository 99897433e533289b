/** MBR partition type bytes → names, as fdisk lists them (the common ones). */
export const MBR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'Empty',
  0x01: 'FAT12',
  0x04: 'FAT16 <32M',
  0x05: 'Extended',
  0x06: 'FAT16',
  0x07: 'HPFS/NTFS/exFAT',
  0x0b: 'W95 FAT32',
  0x0c: 'W95 FAT32 (LBA)',
  0x0e: 'W95 FAT16 (LBA)',
  0x0f: "W95 Ext'd (LBA)",
  0x11: 'Hidden FAT12',
  0x12: 'Compaq diagnostics',
  0x14: 'Hidden FAT16 <32M',
  0x16: 'Hidden FAT16',
  0x17: 'Hidden HPFS/NTFS',
  0x1b: 'Hidden W95 FAT32',
  0x1c: 'Hidden W95 FAT32 (LBA)',
  0x1e: 'Hidden W95 FAT16 (LBA)',
  0x27: 'Hidden NTFS WinRE',
  0x39: 'Plan 9',
  0x42: 'SFS',
  0x4d: 'QNX4.x',
  0x63: 'GNU HURD or SysV',
  0x75: 'PC/IX',
  0x80: 'Old Minix',
  0x81: 'Minix / old Linux',
  0x82: 'Linux swap / Solaris',
  0x83: 'Linux',
  0x84: 'OS/2 hidden or Intel hibernation',
  0x85: 'Linux extended',
  0x86: 'NTFS volume set',
  0x87: 'NTFS volume set',
  0x88: 'Linux plaintext',
  0x8e: 'Linux LVM',
  0x93: 'Amoeba',
  0x9f: 'BSD/OS',
  0xa0: 'IBM Thinkpad hibernation',
  0xa5: 'FreeBSD',
  0xa6: 'OpenBSD',
  0xa7: 'NeXTSTEP',
  0xa8: 'Darwin UFS',
  0xa9: 'NetBSD',
  0xab: 'Darwin boot',
  0xaf: 'HFS / HFS+',
  0xb7: 'BSDI fs',
  0xb8: 'BSDI swap',
  0xbe: 'Solaris boot',
  0xbf: 'Solaris',
  0xc1: 'DRDOS/sec (FAT-12)',
  0xc4: 'DRDOS/sec (FAT-16 < 32M)',
  0xc6: 'DRDOS/sec (FAT-16)',
  0xcd: 'ISO 9660 (xorriso)',
  0xda: 'Non-FS data',
  0xdb: 'CP/M / CTOS / ...',
  0xde: 'Dell Utility',
  0xea: 'Linux extended boot',
  0xeb: 'BeOS fs',
  0xee: 'GPT',
  0xef: 'EFI (FAT-12/16/32)',
  0xf0: 'Linux/PA-RISC boot',
  0xfb: 'VMware VMFS',
  0xfc: 'VMware VMKCORE',
  0xfd: 'Linux raid autodetect',
  0xfe: 'LANstep',
  0xff: 'BBT',
};

/** Types that hold a chain of EBRs (DOS, Windows LBA, Linux extended). */
export const MBR_EXTENDED_TYPES: ReadonlySet<number> = new Set([0x05, 0x0f, 0x85]);

/** The protective entry of a GPT disk. */
export const MBR_GPT_PROTECTIVE = 0xee;

/** Types whose partition holds a BSD disklabel (FreeBSD, OpenBSD, NetBSD). */
export const MBR_BSD_TYPES: ReadonlySet<number> = new Set([0xa5, 0xa6, 0xa9]);

export function mbrTypeString(type: number): string {
  return `0x${type.toString(16).padStart(2, '0')}`;
}

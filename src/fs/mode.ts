/**
 * File types, permission bits and device numbers, with Linux's values
 * (include/uapi/linux/stat.h), so they pass unchanged to FUSE, 9P and Node.
 */

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;
export const S_IRWXU = 0o700;
export const S_IXUSR = 0o100;
export const S_IRWXG = 0o070;
export const S_IXGRP = 0o010;
export const S_IRWXO = 0o007;
export const S_IXOTH = 0o001;
/** Permission bits plus setuid, setgid and sticky: what chmod may change. */
export const S_IALLUGO = 0o7777;

/**
 * Directory entry types as readdir reports them (`d_type`, DT_*): the file
 * type bits shifted down. FUSE dirents and 9P Rreaddir carry these values.
 */
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

export type FileType = 'file' | 'directory' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export function isDir(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}
export function isReg(mode: number): boolean {
  return (mode & S_IFMT) === S_IFREG;
}
export function isLnk(mode: number): boolean {
  return (mode & S_IFMT) === S_IFLNK;
}

export function dtFromMode(mode: number): number {
  return (mode & S_IFMT) >>> 12;
}

export function modeFromDt(dt: number): number {
  return (dt << 12) & S_IFMT;
}

const TYPE_NAMES: Record<number, FileType> = {
  [S_IFREG]: 'file',
  [S_IFDIR]: 'directory',
  [S_IFLNK]: 'symlink',
  [S_IFCHR]: 'char',
  [S_IFBLK]: 'block',
  [S_IFIFO]: 'fifo',
  [S_IFSOCK]: 'socket',
};

/** The type of a mode, or undefined for a type Linux does not know (corrupt image). */
export function fileTypeOf(mode: number): FileType | undefined {
  return TYPE_NAMES[mode & S_IFMT];
}

/**
 * Device numbers encoded as glibc's makedev does (and Node's `stat.rdev`
 * shows): 12-bit major and 20-bit minor in the low 32 bits, the rest above.
 * Plain arithmetic, because the result can exceed 32 bits.
 */
export function makedev(major: number, minor: number): number {
  const lowMajor = major % 0x1000;
  const highMajor = Math.floor(major / 0x1000);
  const lowMinor = minor % 0x100;
  const highMinor = Math.floor(minor / 0x100);
  return lowMinor + lowMajor * 0x100 + highMinor * 0x100000 + highMajor * 0x100000000 * 0x1000;
}

export function devMajor(dev: number): number {
  return (Math.floor(dev / 0x100) % 0x1000) + Math.floor(dev / 0x100000000000) * 0x1000;
}

export function devMinor(dev: number): number {
  return (dev % 0x100) + (Math.floor(dev / 0x100000) % 0x1000000) * 0x100;
}

/** `ls -l` style mode string ('drwxr-xr-x'), for messages and the CLI. */
export function modeString(mode: number): string {
  const t = { [S_IFDIR]: 'd', [S_IFLNK]: 'l', [S_IFCHR]: 'c', [S_IFBLK]: 'b', [S_IFIFO]: 'p', [S_IFSOCK]: 's' }[mode & S_IFMT] ?? '-';
  const rwx = (bits: number, special: boolean, s: string): string =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (special ? (bits & 1 ? s : s.toUpperCase()) : bits & 1 ? 'x' : '-');
  return t + rwx((mode >> 6) & 7, (mode & S_ISUID) !== 0, 's') + rwx((mode >> 3) & 7, (mode & S_ISGID) !== 0, 's') + rwx(mode & 7, (mode & S_ISVTX) !== 0, 't');
}

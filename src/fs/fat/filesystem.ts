/**
 * FatFileSystem: FAT12/16/32 with VFAT long names behind the FileSystem
 * interface, read and write. Reads share a lock, changes take it alone;
 * the work is in context.ts (inodes, attributes), dir-cache.ts and
 * directory.ts (directories), file-io.ts (contents) and namespace.ts
 * (create, remove, rename). See README.md for the decisions.
 */
import { FsError } from '../../errors.js';
import type { BlockDevice } from '../../block/device.js';
import { POSIX_CAPABILITIES, type Capabilities } from '../capabilities.js';
import type { Caller, DirEntry, Entry, FileSystem, Ino, SetattrRequest, Stat, StatFs } from '../filesystem.js';
import { DT_DIR, DT_REG } from '../mode.js';
import type { Timespec } from '../time.js';
import { FatContext } from './context.js';
import { ATTR_DIRECTORY, ATTR_READ_ONLY } from './dirent.js';
import { MAX_FILE_SIZE, readFile, setSize, writeFile } from './file-io.js';
import type { FatNode } from './inodes.js';
import { createFile, makeDirectory, rename, rmdir, unlink } from './namespace.js';
import { MAX_LFN_UNITS } from './names.js';
import { unixToFat } from './time.js';
import { FatVolume, type FatOptions } from './volume.js';
import { crossCheck } from './cross-check.js';

const F = 'fat';
/** statfs f_type: MSDOS_SUPER_MAGIC. */
const MSDOS_SUPER_MAGIC = 0x4d44;
/** 255 UTF-16 units are at most 765 bytes of UTF-8. */
const MAX_NAME_BYTES = 765;

export const FAT_CAPABILITIES: Capabilities = Object.freeze({
  ...POSIX_CAPABILITIES,
  symlinks: false,
  hardlinks: false,
  posixPermissions: false,
  specialFiles: false,
  xattrNamespaces: Object.freeze([]) as readonly string[],
  caseInsensitive: true,
  atomicRename: false,
  renameNoReplace: true,
  renameExchange: false,
  sparseFiles: false,
  maxNameLength: MAX_NAME_BYTES,
  maxFileSize: MAX_FILE_SIZE,
  maxLinks: 1,
  timestampGranularityNs: 2e9,
  birthTime: true,
  consistency: 'local-exclusive',
});

export class FatFileSystem implements FileSystem {
  readonly name = 'fat';
  readonly capabilities: Capabilities;
  readonly rootIno: Ino;
  readonly volume: FatVolume;
  private readonly ctx: FatContext;
  private nextFh = 1;
  private checked: Promise<void> | undefined;
  private destroyed = false;

  private constructor(vol: FatVolume) {
    this.volume = vol;
    this.ctx = new FatContext(vol);
    this.rootIno = this.ctx.root.ino;
    this.capabilities = vol.writable
      ? FAT_CAPABILITIES
      : Object.freeze({ ...FAT_CAPABILITIES, write: false, consistency: 'immutable' as const });
  }

  static async open(dev: BlockDevice, options: FatOptions & { write?: boolean } = {}): Promise<FatFileSystem> {
    return new FatFileSystem(await FatVolume.open(dev, options));
  }

  /** FAT12, FAT16 or FAT32. */
  get fatType(): number {
    return this.volume.geo.fatType;
  }

  /** Things found wrong while reading (bad long names, skipped entries …). */
  get warnings(): readonly string[] {
    return this.volume.warnings;
  }

  /** The volume label (root directory entry, else boot sector), or undefined. */
  async label(): Promise<string | undefined> {
    return this.volume.lock.shared(async () => {
      const root = await this.ctx.dirOf(this.ctx.root);
      return this.volume.labelFrom(root.index.label?.raw);
    });
  }

  private read_<T>(fn: () => Promise<T>): Promise<T> {
    return this.volume.lock.shared(fn);
  }

  /** Runs a change alone, after the cross-link check has run once. */
  private change<T>(op: string, fn: () => Promise<T>): Promise<T> {
    this.volume.assertWritable(op);
    if (this.destroyed) throw new FsError('EIO', `${F}: ${op}: the file system was unmounted`);
    return this.volume.lock.exclusive(async () => {
      if (!this.checked) this.checked = crossCheck(this.ctx);
      await this.checked;
      return fn();
    });
  }

  async lookup(dir: Ino, name: string): Promise<Entry> {
    return this.read_(async () => {
      const dirNode = this.ctx.dirNode(dir);
      if (name.length > MAX_LFN_UNITS) throw new FsError('ENAMETOOLONG', `${F}: lookup: name longer than ${MAX_LFN_UNITS} UTF-16 units`);
      const d = await this.ctx.dirOf(dirNode);
      const rec = d.index.find(name);
      if (!rec) throw new FsError('ENOENT', `${F}: '${name}' not found in ${this.ctx.describe(dirNode)}`);
      const node = this.ctx.nodeFor(dirNode, d, rec);
      const attr = await this.ctx.stat(node);
      node.nlookup++;
      return { ino: node.ino, attr };
    });
  }

  forget(ino: Ino, nlookup: number): void {
    const node = this.ctx.inodes.get(ino);
    if (!node || node === this.ctx.root) return;
    node.nlookup = Math.max(0, node.nlookup - nlookup);
    if (node.nlookup === 0 && node.open === 0) {
      const release = () => this.ctx.release(node);
      const p = node.unlinked && this.volume.writable ? this.volume.lock.exclusive(release) : release();
      p.catch((e: unknown) => this.volume.warn(`forget of inode ${ino}: ${(e as Error).message}`));
    }
  }

  async getattr(ino: Ino): Promise<Stat> {
    return this.read_(() => this.ctx.stat(this.ctx.node(ino)));
  }

  async readlink(ino: Ino): Promise<string> {
    this.ctx.node(ino);
    throw new FsError('EINVAL', `${F}: inode ${ino} is not a symbolic link (FAT has none)`);
  }

  async statfs(): Promise<StatFs> {
    return this.read_(async () => {
      const free = await this.volume.fat.countFree();
      const geo = this.volume.geo;
      return {
        type: MSDOS_SUPER_MAGIC,
        bsize: geo.clusterSize,
        frsize: geo.clusterSize,
        blocks: geo.clusterCount,
        bfree: free,
        bavail: free,
        files: 0,
        ffree: 0,
        namemax: MAX_NAME_BYTES,
      };
    });
  }

  async open(ino: Ino, flags: number): Promise<number> {
    const node = this.ctx.node(ino);
    if ((flags & 3) !== 0) {
      this.volume.assertWritable('open for writing');
      if (node.isDir) throw new FsError('EISDIR', `${F}: open: ${this.ctx.describe(node)} is a directory`);
    }
    node.open++;
    return this.nextFh++;
  }

  async read(ino: Ino, _fh: number, buf: Uint8Array, pos: number): Promise<number> {
    return this.read_(() => readFile(this.ctx, this.ctx.node(ino), buf, pos));
  }

  async release(ino: Ino, _fh: number): Promise<void> {
    const node = this.ctx.inodes.get(ino);
    if (!node || node.open === 0) return;
    node.open--;
    if (node.open === 0 && node.nlookup === 0) {
      if (node.unlinked && this.volume.writable) await this.volume.lock.exclusive(() => this.ctx.release(node));
      else await this.ctx.release(node);
    }
  }

  async readdir(ino: Ino, _fh: number, cookie: number, limit = Infinity): Promise<DirEntry[]> {
    return this.read_(async () => {
      const node = this.ctx.dirNode(ino);
      const dir = await this.ctx.dirOf(node);
      const out: DirEntry[] = [];
      // Cookies: 1 after '.', 2 after '..', slot + 3 after the entry whose short entry is in `slot`.
      if (cookie < 1 && out.length < limit) out.push({ name: '.', ino: node.ino, type: DT_DIR, next: 1 });
      if (cookie < 2 && out.length < limit) out.push({ name: '..', ino: node.parent, type: DT_DIR, next: 2 });
      const records = dir.index.records;
      for (let i = dir.index.indexFrom(Math.max(0, cookie - 2)); i < records.length && out.length < limit; i++) {
        const rec = records[i]!;
        out.push({
          name: rec.name,
          ino: this.ctx.inodes.inoFor(this.ctx.dirs.slotOffset(dir, rec.slot)),
          type: rec.entry.attr & ATTR_DIRECTORY ? DT_DIR : DT_REG,
          next: rec.slot + 3,
        });
      }
      return out;
    });
  }

  async create(dir: Ino, name: string, _mode: number, _flags: number, _caller: Caller): Promise<{ entry: Entry; fh: number }> {
    return this.change('create', async () => {
      const node = await createFile(this.ctx, this.ctx.dirNode(dir), name);
      node.nlookup++;
      node.open++;
      return { entry: { ino: node.ino, attr: await this.ctx.stat(node) }, fh: this.nextFh++ };
    });
  }

  async mkdir(dir: Ino, name: string, _mode: number, _caller: Caller): Promise<Entry> {
    return this.change('mkdir', async () => {
      const node = await makeDirectory(this.ctx, this.ctx.dirNode(dir), name);
      node.nlookup++;
      return { ino: node.ino, attr: await this.ctx.stat(node) };
    });
  }

  async unlink(dir: Ino, name: string): Promise<void> {
    return this.change('unlink', () => unlink(this.ctx, this.ctx.dirNode(dir), name));
  }

  async rmdir(dir: Ino, name: string): Promise<void> {
    return this.change('rmdir', () => rmdir(this.ctx, this.ctx.dirNode(dir), name));
  }

  async rename(oldDir: Ino, oldName: string, newDir: Ino, newName: string, flags: number): Promise<void> {
    return this.change('rename', () => rename(this.ctx, this.ctx.dirNode(oldDir), oldName, this.ctx.dirNode(newDir), newName, flags));
  }

  async write(ino: Ino, _fh: number, data: Uint8Array, pos: number): Promise<number> {
    return this.change('write', () => writeFile(this.ctx, this.ctx.node(ino), data, pos));
  }

  async setattr(ino: Ino, changes: SetattrRequest): Promise<Stat> {
    return this.change('setattr', async () => {
      const ctx = this.ctx;
      const node = ctx.node(ino);
      const vol = this.volume;
      if (changes.uid !== undefined && changes.uid !== vol.uid) throw new FsError('EPERM', `${F}: owners cannot be changed (all files belong to uid ${vol.uid})`);
      if (changes.gid !== undefined && changes.gid !== vol.gid) throw new FsError('EPERM', `${F}: groups cannot be changed (all files belong to gid ${vol.gid})`);
      let readOnly: boolean | undefined;
      if (changes.mode !== undefined) readOnly = this.modeChange(node, changes.mode);
      await vol.beginChange();
      if (changes.size !== undefined) await setSize(ctx, node, changes.size, changes.mtime === undefined);
      if (node === ctx.root) return ctx.stat(node); // the root has no entry to keep times or attributes in
      const now = vol.clock();
      const at = (t: Timespec | 'now'): Timespec => (t === 'now' ? now : t);
      const e = node.entry;
      if (readOnly !== undefined) e.attr = readOnly ? e.attr | ATTR_READ_ONLY : e.attr & ~ATTR_READ_ONLY;
      if (changes.atime !== undefined) e.accDate = unixToFat(at(changes.atime), vol.tz).date;
      if (changes.mtime !== undefined) {
        const t = unixToFat(at(changes.mtime), vol.tz);
        e.wrtDate = t.date;
        e.wrtTime = t.time;
      }
      node.ctime = changes.ctime !== undefined ? at(changes.ctime) : now;
      await ctx.writeEntry(node);
      return ctx.stat(node);
    });
  }

  /**
   * chmod as Linux vfat does it: the permission bits are fixed by the mount
   * masks except the write bits of files, which map to the read-only
   * attribute (all write bits or none). Anything else is EPERM.
   */
  private modeChange(node: FatNode, mode: number): boolean | undefined {
    const vol = this.volume;
    const mask = node.isDir ? vol.dmask : vol.fmask;
    const cur = node.isDir ? 0o777 & ~mask : (0o777 & ~mask) & (node.entry.attr & ATTR_READ_ONLY ? ~0o222 : 0o777);
    const perm = mode & 0o7777 & ~mask;
    const refuse = () => new FsError('EPERM', `${F}: mode ${(mode & 0o7777).toString(8)} cannot be stored (only the read-only attribute can change)`);
    if (mode & 0o7000 || (perm & 0o555) !== (cur & 0o555)) throw refuse();
    const w = perm & 0o222;
    const all = 0o222 & ~mask;
    if (node.isDir || node === this.ctx.root) {
      if (w !== all) throw refuse();
      return undefined;
    }
    if (w !== 0 && w !== all) throw refuse();
    return w === 0;
  }

  /** Writes both FATs, FSInfo and clears the dirty marks: every file's data is already on the device. */
  async fsync(_ino: Ino, _fh: number, _datasync: boolean): Promise<void> {
    if (!this.volume.writable) return;
    await this.volume.lock.exclusive(() => this.volume.flush());
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    if (this.volume.writable) {
      await this.volume.lock.exclusive(async () => {
        for (const node of [...this.ctx.inodes.values()]) {
          if (node.unlinked) {
            node.open = 0;
            node.nlookup = 0;
            await this.ctx.release(node);
          }
        }
        await this.volume.flush();
      });
    }
    this.destroyed = true;
  }
}

/**
 * Vfs: a mount tree of FileSystems with a dentry cache, and processes
 * (VfsProcess: credentials, root, cwd, umask, descriptor table) that make
 * syscall-like calls on it. One Vfs is one mount namespace.
 *
 *   const vfs = await Vfs.create(new MemFileSystem());
 *   await vfs.mount(image, '/mnt', { readOnly: true });
 *   const p = vfs.process();
 *   const fd = await p.open('/mnt/etc/hostname', O_RDONLY);
 */
import { FsError } from '../errors.js';
import { annotate } from './annotate.js';
import type { FileSystem } from '../fs/filesystem.js';
import { Superblock, type DcacheOptions } from './dcache.js';
import { Mount, MountTree, type MountOptions, type PathRef } from './mount-tree.js';
import { VfsProcess, type ProcessOptions } from './process.js';
import { ROOT_CREDENTIALS } from './permissions.js';
import { Walker } from './resolve.js';

export interface VfsOptions {
  /**
   * Check permissions against each process's credentials (uid, gid,
   * groups), as the kernel does. Off by default: every process then acts
   * with root's rights (but new files still get its uid and gid).
   */
  permissions?: boolean;
  /** Most cached dentries per mounted FileSystem (default 500,000). */
  maxDentries?: number;
  /** How long names and attributes of a `remote` driver stay cached, in ms (default 1000). */
  entryTimeoutMs?: number;
  attrTimeoutMs?: number;
}

export interface VfsMountInfo {
  readonly id: number;
  readonly path: string;
  readonly fs: FileSystem;
  readonly readOnly: boolean;
}

export class Vfs {
  readonly tree: MountTree;
  readonly permissions: boolean;
  private readonly superblocks = new Map<FileSystem, Superblock>();
  private readonly dcacheOptions: DcacheOptions;
  private nextDev = 1;
  private readonly init: VfsProcess;

  private constructor(rootMount: (tree: MountTree | null) => Mount, options: VfsOptions, dcacheOptions: DcacheOptions) {
    this.permissions = options.permissions ?? false;
    this.dcacheOptions = dcacheOptions;
    this.tree = new MountTree(rootMount(null));
    this.init = new VfsProcess(this, { creds: ROOT_CREDENTIALS });
  }

  /** A Vfs with `rootFs` mounted at '/'. */
  static async create(rootFs: FileSystem, options: VfsOptions & MountOptions = {}): Promise<Vfs> {
    const dcacheOptions: DcacheOptions = {
      maxDentries: options.maxDentries ?? 500_000,
      entryTimeoutMs: options.entryTimeoutMs ?? 1000,
      attrTimeoutMs: options.attrTimeoutMs ?? 1000,
      now: () => Date.now(),
    };
    const rootAttr = await rootFs.getattr(rootFs.rootIno);
    const sb = new Superblock(rootFs, 1, rootAttr, dcacheOptions);
    const vfs = new Vfs(() => new Mount(1, sb, sb.root, null, null, options), options, dcacheOptions);
    vfs.superblocks.set(rootFs, sb);
    vfs.nextDev = 2;
    return vfs;
  }

  /** A new process: its own descriptors, cwd and umask; root credentials unless given. */
  process(options: ProcessOptions = {}): VfsProcess {
    return new VfsProcess(this, options);
  }

  /**
   * Mounts `fs` (or its subdirectory `subdir`: a bind mount) on the
   * directory `path`. The same FileSystem may be mounted more than once.
   */
  async mount(fs: FileSystem, path: string, options: MountOptions & { subdir?: string } = {}): Promise<void> {
    try {
      const at = await new Walker(this.init.resolveContext()).lookup(this.init.rootRef, path, true, true);
      const sb = await this.superblockFor(fs);
      let root = sb.root;
      if (options.subdir && options.subdir !== '/') {
        const tmp = new Mount(0, sb, sb.root, null, null, {});
        const ref = await new Walker({ ...this.init.resolveContext(), root: { mount: tmp, dentry: sb.root } })
          .lookup({ mount: tmp, dentry: sb.root }, options.subdir, true, true);
        root = ref.dentry;
      }
      const mount = new Mount(this.tree.newId(), sb, root, at.mount, at.dentry, options);
      sb.hold(root);
      at.mount.sb.hold(at.dentry);
      this.tree.add(mount);
    } catch (e) {
      throw annotate(e, 'mount', path);
    }
  }

  /** Unmounts what is mounted on `path`; EBUSY while files are open in it or mounts sit on it. */
  async umount(path: string): Promise<void> {
    try {
      const ref: PathRef = await new Walker(this.init.resolveContext()).lookup(this.init.rootRef, path, true);
      const mount = ref.mount;
      if (ref.dentry !== mount.root || !mount.parent) throw new FsError('EINVAL', 'not a mount point');
      if (mount.users > 0 || this.tree.hasChildren(mount)) throw new FsError('EBUSY', 'mount is busy');
      this.tree.remove(mount);
      mount.sb.release(mount.root);
      mount.parent.sb.release(mount.mountpoint!);
      const stillUsed = this.tree.all().some((m) => m.sb === mount.sb);
      if (!stillUsed) {
        mount.sb.shrink();
        mount.sb.close();
        this.superblocks.delete(mount.sb.fs);
      }
    } catch (e) {
      throw annotate(e, 'umount', path);
    }
  }

  /** The mounts, root first, with their paths. */
  mounts(): VfsMountInfo[] {
    return this.tree.all().map((m) => ({
      id: m.id,
      path: this.init.pathOf({ mount: m, dentry: m.root }),
      fs: m.sb.fs,
      readOnly: m.readOnly || !m.sb.fs.capabilities.write,
    }));
  }

  /** Destroys every mounted FileSystem (they belong to the Vfs once mounted). */
  async close(): Promise<void> {
    const all = [...this.superblocks.values()];
    this.superblocks.clear();
    for (const sb of all) {
      sb.close();
      await sb.fs.destroy?.();
    }
  }

  /** @internal the Superblock of a mounted FileSystem, made on first mount. */
  async superblockFor(fs: FileSystem): Promise<Superblock> {
    let sb = this.superblocks.get(fs);
    if (!sb) {
      const rootAttr = await fs.getattr(fs.rootIno);
      sb = new Superblock(fs, this.nextDev++, rootAttr, this.dcacheOptions);
      this.superblocks.set(fs, sb);
    }
    return sb;
  }
}

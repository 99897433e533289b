/**
 * Container formats (qcow2, vmdk, vhd, vhdx, vdi, qed): each turns an image
 * file into the virtual disk it holds. They do not detect themselves: the
 * catalogue in src/detect says what a file is, then the opener by that id
 * is called.
 */
import type { BlockDevice } from './device.js';

export interface ContainerFormat {
  /** Catalogue id ('qcow2', 'vmdk', 'vpc' …). */
  id: string;
  /** Human name for messages and `info`. */
  name: string;
  /** True if the format's writer is implemented (writes through, not just reads). */
  writable: boolean;
  /**
   * Opens the virtual disk inside `file`. Takes ownership of `file`: closing
   * the result closes it (and any backing images it opened).
   */
  open(file: BlockDevice, ctx: OpenContext): Promise<BlockDevice>;
}

export interface OpenContext {
  /** Open for reading only (the default for everything). */
  readOnly: boolean;
  /** How this image was named (a path or URL); for messages and resolving relative names. */
  name?: string;
  /**
   * Opens another image this one names: a backing file, a differencing
   * disk's parent, a vmdk extent. The host resolves `name` relative to this
   * image the way QEMU does, detects its format unless `format` says it
   * (`raw` for extents), guards against loops, and returns it already opened
   * as a virtual disk. Absent where images cannot name other files (e.g. a
   * browser given a single blob): the format then fails with a clear error.
   */
  openRelated?(name: string, options: RelatedOptions): Promise<RelatedImage>;
}

export interface RelatedOptions {
  /** Catalogue id of the image format, when the referring image states it ('raw' for flat extents). */
  format?: string;
  readOnly: boolean;
  /** What refers to it, for messages ("qcow2 backing file"). */
  role: string;
}

export interface RelatedImage {
  device: BlockDevice;
  /** The resolved name (absolute path or URL), shown by `info`. */
  name: string;
}

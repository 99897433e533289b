/** The fs/promises-style library API over a Vfs or FileSystem. */
export { AnymountFs, createFs, constants, toPath, type AnymountFsOptions, type PathLike, type ReadFileOptions, type WriteFileOptions, type MkdirOptions, type RmOptions, type ReaddirOptions } from './fs.js';
export { FileHandle, type TimeLike, type ReadResult, type WriteResult, type BytesFactory } from './file-handle.js';
export { Stats, BigIntStats, StatFs } from './stats.js';
export { Dirent, Dir } from './dirent.js';
export { toNodeError, type NodeStyleError } from './errors.js';
export type { CpOptions } from './tree-ops.js';

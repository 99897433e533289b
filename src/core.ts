/**
 * The browser-safe core: everything here runs unchanged in a browser (no
 * `node:` imports). Host features (files, sockets, processes) live in
 * src/node/ and are passed in.
 */
export * from './errors.js';
export type { BlockDevice, BlockStatus, DeviceDescription } from './block/device.js';
export { readBytes, readClamped } from './block/device.js';
export { MemoryDevice } from './block/memory.js';
export { SliceDevice } from './block/slice.js';
export { registerCodec, getCodec, type CodecName, type Decompressor } from './codecs/index.js';
export { HttpDevice, type HttpDeviceOptions, type HttpDeviceStats } from './source/http.js';
export { identify, CATALOGUE, formatEntry, type Identification, type FormatKind } from './detect/index.js';
export { probe, select, type ProbeNode } from './detect/probe.js';
export { reportNode, type InfoReport, type InfoNode } from './detect/report.js';
export { CONTAINER_FORMATS, PARTITION_SCHEMES, containerFormat } from './block/formats.js';
export type { ContainerFormat, OpenContext } from './block/container.js';
export { PartitionDevice, type Partition, type PartitionTable, type PartitionScheme } from './block/partition/table.js';
export type { FileSystem, Stat, Entry, DirEntry, SetattrRequest, StatFs as FileSystemStatFs, Caller, FsChange, Ino } from './fs/filesystem.js';
export { POSIX_CAPABILITIES, readOnlyCapabilities, describeCapabilities, type Capabilities, type Consistency } from './fs/capabilities.js';
export { ReadOnlyFileSystem, assertWritable } from './fs/readonly.js';
export { MemFileSystem, type MemFileSystemOptions } from './vfs/memfs/memfs.js';
export { OverlayFileSystem, type OverlayOptions } from './vfs/overlay/overlay.js';
export { Vfs, type VfsOptions } from './vfs/vfs.js';
export { VfsProcess, type VfsStat } from './vfs/process.js';
export * from './api/index.js';
export { Qcow2Device, createQcow2, type CreateQcow2Options } from './block/qcow2/index.js';

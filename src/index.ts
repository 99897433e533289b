/**
 * anymount for Node: the core plus host access (local files, block devices,
 * node:zlib codecs).
 */
import './node/codecs.js';
export * from './core.js';
export { FileDevice, type FileDeviceOptions } from './node/file-device.js';
export { openImage, resolveRelated, type OpenImageOptions, type OpenedImage } from './node/open-image.js';
export { parseAddress, formatAddress, type Address } from './node/address.js';
export { createNodeFs, NodeAnymountFs } from './node/fs.js';
export { open, type OpenOptions, type OpenedFs } from './node/open.js';
export { openSource, type OpenSourceOptions, type OpenedSource } from './node/open-source.js';
export { extractTree, type ExtractOptions, type ExtractStats } from './node/extract.js';
export { createOverlay, type CreateOverlayOptions, type CreatedOverlay } from './node/qcow2-overlay.js';
export { mountFileSystem, type FuseMount, type FuseMountOptions } from './node/fuse/mount.js';

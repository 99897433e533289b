/**
 * anymount for Node: the core plus host access (local files, block devices,
 * node:zlib codecs).
 */
import './node/codecs.js';
export * from './core.js';
export { FileDevice, type FileDeviceOptions } from './node/file-device.js';

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

/**
 * The whole catalogue, family by family. Order matters only for ties in
 * confidence: containers first (they wrap everything else), then volumes,
 * partition tables, filesystems, archives, compression.
 */
import type { FormatEntry } from '../types.js';
import { ARCHIVES } from './archives.js';
import { COMPRESSION } from './compression.js';
import { CONTAINERS } from './containers.js';
import { FILESYSTEMS_APPLE } from './filesystems-apple.js';
import { FILESYSTEMS_DOS } from './filesystems-dos.js';
import { FILESYSTEMS_LINUX } from './filesystems-linux.js';
import { FILESYSTEMS_OPTICAL } from './filesystems-optical.js';
import { FILESYSTEMS_RETRO } from './filesystems-retro.js';
import { FILESYSTEMS_UNIX } from './filesystems-unix.js';
import { PARTITIONS } from './partitions.js';
import { VOLUMES } from './volumes.js';

export const CATALOGUE: readonly FormatEntry[] = [
  ...CONTAINERS,
  ...VOLUMES,
  ...FILESYSTEMS_OPTICAL,
  ...FILESYSTEMS_LINUX,
  ...FILESYSTEMS_DOS,
  ...FILESYSTEMS_APPLE,
  ...FILESYSTEMS_UNIX,
  ...FILESYSTEMS_RETRO,
  ...PARTITIONS,
  ...ARCHIVES,
  ...COMPRESSION,
];

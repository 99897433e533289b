/**
 * FAT setups: a FAT32 volume made by mkfs.fat, in memory, through our Vfs —
 * writable (the whole suite within FAT's capabilities: no symlinks, hard
 * links, permissions, special files or xattrs; 2-second times), and the
 * same volume reopened read-only after its trees were built.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryDevice } from '../../../src/block/memory.js';
import { FatFileSystem } from '../../../src/fs/fat/filesystem.js';
import { Vfs } from '../../../src/vfs/vfs.js';
import { needTools, toolEnv } from '../../helpers/tools.js';
import type { Feature } from '../case.js';
import type { Setup } from '../runner.js';
import { buildCasesIn, vfsInstance } from './memfs.js';

const FAT_FEATURES: Feature[] = ['rename-noreplace', 'stable-ino', 'credentials'];

/** A fresh FAT32 volume (64 MiB, 512-byte clusters) from mkfs.fat, as bytes. */
function mkfsFat32(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'anymount-fat-conf-'));
  try {
    const img = join(dir, 'v.img');
    const r = spawnSync('mkfs.fat', ['-C', '-F', '32', '-s', '1', '-n', 'CONFORM', img, String(64 * 1024)], { env: toolEnv(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mkfs.fat: ${r.stderr}`);
    return new Uint8Array(readFileSync(img));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const fatSetup: Setup = {
  name: 'fat',
  features: new Set<Feature>(['write', ...FAT_FEATURES]),
  ...(needTools('mkfs.fat') ? { skip: needTools('mkfs.fat') } : {}),
  async prepare(cases) {
    const fs = await FatFileSystem.open(new MemoryDevice(mkfsFat32()), { write: true });
    await buildCasesIn(fs, cases);
    return vfsInstance(await Vfs.create(fs, { permissions: true }), 'fat');
  },
};

export const fatReadOnlySetup: Setup = {
  name: 'fat read-only',
  features: new Set<Feature>(['readonly', ...FAT_FEATURES]),
  ...(needTools('mkfs.fat') ? { skip: needTools('mkfs.fat') } : {}),
  async prepare(cases) {
    const dev = new MemoryDevice(mkfsFat32());
    const writable = await FatFileSystem.open(dev, { write: true });
    await buildCasesIn(writable, cases);
    await writable.destroy();
    const fs = await FatFileSystem.open(dev);
    return vfsInstance(await Vfs.create(fs, { permissions: true }), 'fat read-only');
  },
};

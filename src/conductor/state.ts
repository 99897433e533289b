/**
 * Which mounts exist: one JSON record per mount in the state directory,
 * written by the mount process once its mount is live and removed when it
 * ends. Records whose process is gone are stale: `list` cleans them up (and
 * tears down a FUSE mount left behind by a killed process).
 *
 * The directory is `$XDG_RUNTIME_DIR/anymount` (per user, on tmpfs, removed
 * at logout), or `/run/anymount` for root without one, or
 * `$TMPDIR/anymount-<uid>` as a last resort.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface MountRecord {
  /** Absolute mountpoint. */
  mountpoint: string;
  /** The address as given (`disk.qcow2:p2`), made absolute. */
  source: string;
  /** Filesystem type and driver ('ext4'). */
  type: string;
  /** Read-write? */
  rw: boolean;
  /** How writes are kept when the driver is read-only: a qcow2 overlay file or 'memory'. */
  overlay?: string;
  pid: number;
  /** ms since the epoch. */
  started: number;
  /** Where the mount process logs. */
  log: string;
}

export function stateDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg) return join(xdg, 'anymount');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (uid === 0) return '/run/anymount';
  return join(tmpdir(), `anymount-${uid}`);
}

function recordPath(mountpoint: string): string {
  const id = createHash('sha256').update(resolve(mountpoint)).digest('hex').slice(0, 16);
  return join(stateDir(), 'mounts', `${id}.json`);
}

export function logPath(mountpoint: string): string {
  return recordPath(mountpoint).replace(/\.json$/, '.log');
}

export async function ensureStateDir(): Promise<void> {
  await mkdir(join(stateDir(), 'mounts'), { recursive: true, mode: 0o700 });
}

/** Writes atomically (rename), so `list` never reads half a record. */
export async function writeRecord(r: MountRecord): Promise<void> {
  await ensureStateDir();
  const path = recordPath(r.mountpoint);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(r, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

export async function removeRecord(mountpoint: string, pid?: number): Promise<void> {
  const path = recordPath(mountpoint);
  if (pid !== undefined) {
    // Only the owner removes its record (a new mount may have taken the place).
    const r = await readRecord(path);
    if (r && r.pid !== pid) return;
  }
  await rm(path, { force: true });
}

async function readRecord(path: string): Promise<MountRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as MountRecord;
  } catch {
    return undefined;
  }
}

export async function findRecord(mountpoint: string): Promise<MountRecord | undefined> {
  return readRecord(recordPath(mountpoint));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mountpoints the kernel has, from /proc/self/mountinfo (field 5, octal escapes decoded). */
export async function kernelMounts(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 10) continue;
    const dash = f.indexOf('-');
    const mp = f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.set(mp, dash > 0 ? f[dash + 1] ?? '' : '');
  }
  return out;
}

export interface ListedMount extends MountRecord {
  /** False when the process is gone (the record is stale). */
  alive: boolean;
}

/** Every record, alive or not. */
export async function listRecords(): Promise<ListedMount[]> {
  const dir = join(stateDir(), 'mounts');
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: ListedMount[] = [];
  for (const n of names.filter((x) => x.endsWith('.json'))) {
    const r = await readRecord(join(dir, n));
    if (r) out.push({ ...r, alive: processAlive(r.pid) });
  }
  return out.sort((a, b) => a.started - b.started);
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

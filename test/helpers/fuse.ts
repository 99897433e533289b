/**
 * FUSE servers for tests, each in a child process: the test then uses the
 * mount with ordinary tools and synchronous node:fs calls (which would
 * deadlock against a server in the same thread), and can kill the server
 * to check that nothing hangs. `serveAddress` runs the production runner
 * (src/node/fuse/serve.ts) on an image; `serveSpec` runs fuse-server.ts,
 * which builds memfs and overlay filesystems for the conformance setups.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuseProcessEnv } from '../../src/node/fuse/serve.js';
import { hasTool, isRoot } from './tools.js';

export interface Creds {
  uid: number;
  gid: number;
}

export interface FuseServer {
  readonly mountpoint: string;
  readonly child: ChildProcess;
  /** Exit code once the server ended. */
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** SIGTERM (the server unmounts lazily and exits), SIGKILL after `timeoutMs`; removes the mount point. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** A skip reason unless FUSE mounts can be made here (as root, or as a user with fusermount3). */
export function needFuse(): string | undefined {
  if (!existsSync('/dev/fuse')) return 'needs /dev/fuse';
  if (!isRoot && !hasTool('fusermount3')) return 'needs fusermount3';
  return undefined;
}

const serveJs = fileURLToPath(new URL('../../src/node/fuse/serve.js', import.meta.url));
const serverJs = fileURLToPath(new URL('./fuse-server.js', import.meta.url));

/**
 * Whether the kernel has a mount at `path`, from /proc/self/mountinfo (field 5, octal escapes decoded). Not
 * mountpoint(1): it stats the path, which fails with ENOTCONN on a dead FUSE mount, so it calls that unmounted.
 */
export function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .some((l) => l.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === path);
}

/** The production runner on an address: `serve SOURCE MOUNTPOINT ...args`. */
export function serveAddress(address: string, args: string[] = [], as?: Creds): Promise<FuseServer> {
  return start([serveJs, address], args, as);
}

/** fuse-server.ts with a JSON spec (memfs or overlay with conformance trees). */
export function serveSpec(spec: string, as?: Creds): Promise<FuseServer> {
  return start([serverJs, spec], [], as);
}

async function start(script: string[], args: string[], as?: Creds): Promise<FuseServer> {
  const mountpoint = mkdtempSync(join(tmpdir(), 'anymount-fuse-'));
  if (as) chownSync(mountpoint, as.uid, as.gid);
  const nodeArgs = [script[0]!, script[1]!, mountpoint, ...args];
  const cmd = as ? 'setpriv' : process.execPath;
  const cmdArgs = as
    ? ['--reuid', String(as.uid), '--regid', String(as.gid), '--clear-groups', process.execPath, ...nodeArgs]
    : nodeArgs;
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: fuseProcessEnv() });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (out.includes('ready\n')) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      void exited.then((code) => reject(new Error(`fuse server exited (${code}) before mounting: ${err}`)));
    });
  } catch (e) {
    if (!isMounted(mountpoint)) rmSync(mountpoint, { recursive: true, force: true });
    throw e;
  }
  return {
    mountpoint,
    child,
    exited,
    stderr: () => err,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      if (isMounted(mountpoint)) spawnSync('umount', ['-l', mountpoint]);
      rmSync(mountpoint, { recursive: true, force: true });
      return code;
    },
  };
}

/** An unprivileged user for the tests (created once, as root). */
export function testUser(name = 'anymount-fuse'): Creds | undefined {
  if (!isRoot) return undefined;
  let r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', name]);
    r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
  }
  const uid = Number(r.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

/** Runs a command as `creds` (setpriv), returning status and output. */
export function runAs(creds: Creds | undefined, cmd: string, args: string[], options: { cwd?: string } = {}): { status: number | null; stdout: string; stderr: string } {
  const [c, a] = creds
    ? ['setpriv', ['--reuid', String(creds.uid), '--regid', String(creds.gid), '--clear-groups', cmd, ...args]]
    : [cmd, args];
  const r = spawnSync(c as string, a as string[], { encoding: 'utf8', cwd: options.cwd, maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

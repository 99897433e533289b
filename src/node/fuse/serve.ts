/**
 * A foreground FUSE server for one mount: open an address (image, partition,
 * URL), mount it, print `ready` on stdout, serve until the kernel unmounts
 * it, then close the image and exit 0. SIGINT and SIGTERM unmount (lazily,
 * so open files do not keep us waiting) and end the same way.
 *
 *   node dist/src/node/fuse/serve.js disk.qcow2:p2 /mnt/x [--rw] [--uid N] [--gid N] [--umask 022] [--allow-other] [--debug]
 *
 * The conductor runs one of these per mount (with `fuseProcessEnv()`, so
 * the threadpool has room for the /dev/fuse readers); tests use it to kill
 * a server and check that nothing hangs.
 */
import { pathToFileURL } from 'node:url';
import type { FuseMount, FuseMountOptions } from './mount.js';

/**
 * The environment a process that serves FUSE mounts should start with:
 * UV_THREADPOOL_SIZE with room for 4 outstanding /dev/fuse reads besides
 * the default 4 threads. It only takes effect at process start.
 */
export function fuseProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return { ...env, UV_THREADPOOL_SIZE: String(Math.max(Number.isInteger(n) ? n : 0, 8)) };
}

/** Unmount on SIGINT/SIGTERM; resolves (after closing) when the mount is gone. */
export async function serveUntilClosed(mount: FuseMount, log: (line: string) => void = () => {}): Promise<void> {
  const stop = (signal: string): void => {
    log(`fuse: ${signal}: unmounting ${mount.mountpoint}`);
    mount.unmount({ lazy: true }).catch((e: unknown) => log(`fuse: unmount failed: ${(e as Error).message}`));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await mount.closed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function parseArgs(argv: string[]): { source: string; mountpoint: string; write: boolean; options: FuseMountOptions } {
  const rest: string[] = [];
  const options: FuseMountOptions = {};
  let write = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number.parseInt(argv[++i] ?? '', a === '--umask' ? 8 : 10);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === '--rw') write = true;
    else if (a === '--uid') options.uid = num();
    else if (a === '--gid') options.gid = num();
    else if (a === '--umask') options.umask = num();
    else if (a === '--allow-other') options.allowOther = true;
    else if (a === '--owners-from-image') options.ownersFromImage = true;
    else if (a === '--direct-io') options.directIo = true;
    else if (a === '--writeback-cache') options.writebackCache = true;
    else if (a === '--debug') options.debug = (line) => process.stderr.write(line + '\n');
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length !== 2) throw new Error('usage: serve SOURCE MOUNTPOINT [--rw] [--uid N] [--gid N] [--umask OCT] [--allow-other] [--debug]');
  return { source: rest[0]!, mountpoint: rest[1]!, write, options };
}

async function main(): Promise<void> {
  const { source: address, mountpoint, write, options } = parseArgs(process.argv.slice(2));
  const { openSource } = await import('../open-source.js');
  const { mountFileSystem } = await import('./mount.js');
  await import('../codecs.js');
  const source = await openSource(address, { write });
  let mount: FuseMount;
  try {
    mount = await mountFileSystem(source.fs, mountpoint, {
      ...options, readOnly: !write, fsname: source.name, onClose: () => source.close(),
    });
  } catch (e) {
    await source.close().catch(() => undefined);
    throw e;
  }
  process.stdout.write('ready\n');
  await serveUntilClosed(mount, (l) => process.stderr.write(l + '\n'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`anymount fuse: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}

/**
 * A FUSE server for tests that need a filesystem built in the process
 * (see fuse.ts): `node fuse-server.js SPEC.json MOUNTPOINT`. Specs:
 *   { kind: 'memfs', cases }                 memfs with every case's tree
 *   { kind: 'overlay', cases, upperMount }   overlay: trees in a memfs lower, memfs upper;
 *                                            upperMount also serves the upper at MOUNTPOINT-upper
 *   { kind: 'overlay-image', address }       overlay: an image read-only below, memfs upper
 * Options: readOnly, writebackCache, debug. Prints `ready` once mounted.
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { MemFileSystem } from '../../src/vfs/memfs/memfs.js';
import { OverlayFileSystem } from '../../src/vfs/overlay/overlay.js';
import { ReadOnlyFileSystem } from '../../src/fs/readonly.js';
import type { FileSystem } from '../../src/fs/filesystem.js';
import { mountFileSystem, type FuseMount, type FuseMountOptions } from '../../src/node/fuse/mount.js';
import { serveUntilClosed } from '../../src/node/fuse/serve.js';
import { openSource } from '../../src/node/open-source.js';
import { buildCasesIn } from '../conformance/setup/memfs.js';
import { decode } from '../conformance/setup/host-target.js';
import type { TreeSpec } from '../conformance/tree.js';

interface Spec {
  kind: 'memfs' | 'overlay' | 'overlay-image';
  cases?: Array<{ dir: string; tree?: TreeSpec }>;
  upperMount?: boolean;
  address?: string;
  readOnly?: boolean;
  writebackCache?: boolean;
  debug?: boolean;
}

async function main(): Promise<void> {
  const spec = decode(readFileSync(process.argv[2]!, 'utf8')) as Spec;
  const mountpoint = process.argv[3]!;
  const options: FuseMountOptions = {
    readers: 2,
    // Conformance cases act as several users; root's mounts may always let them in.
    allowOther: true,
    ...(spec.writebackCache ? { writebackCache: true } : {}),
    ...(spec.debug ? { debug: (l: string) => process.stderr.write(l + '\n') } : {}),
  };
  let fs: FileSystem;
  let upper: MemFileSystem | undefined;
  let close = async (): Promise<void> => {};
  if (spec.kind === 'memfs') {
    const mem = new MemFileSystem({ rootMode: 0o755 });
    await buildCasesIn(mem, spec.cases ?? []);
    fs = spec.readOnly ? new ReadOnlyFileSystem(mem) : mem;
  } else if (spec.kind === 'overlay') {
    const lower = new MemFileSystem({ rootMode: 0o755 });
    await buildCasesIn(lower, spec.cases ?? []);
    upper = new MemFileSystem({ rootMode: 0o755, notify: true });
    fs = await OverlayFileSystem.create({ lowers: [new ReadOnlyFileSystem(lower)], upper });
  } else {
    const source = await openSource(spec.address!);
    upper = new MemFileSystem({ rootMode: 0o755 });
    fs = await OverlayFileSystem.create({ lowers: [source.fs], upper });
    close = () => source.close();
  }
  const mount = await mountFileSystem(fs, mountpoint, { ...options, readOnly: spec.readOnly === true, fsname: spec.kind, onClose: close });
  let upperMount: FuseMount | undefined;
  if (spec.upperMount && upper) {
    mkdirSync(`${mountpoint}-upper`, { recursive: true });
    upperMount = await mountFileSystem(upper, `${mountpoint}-upper`, { readers: 1, fsname: 'upper' });
  }
  process.stdout.write('ready\n');
  await serveUntilClosed(mount);
  if (upperMount) {
    await upperMount.unmount({ lazy: true });
    await upperMount.closed;
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`fuse-server: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);

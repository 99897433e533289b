// The conformance suite against the FAT driver through the Vfs, writable and read-only.
import type { ConformanceCase, Feature } from './case.js';
import { ALL_CASES } from './cases/index.js';
import { runConformance } from './runner.js';
import { fatReadOnlySetup, fatSetup } from './setup/fat.js';
import type { TreeSpec } from './tree.js';

/**
 * A tree that sets modes can only be built where modes are stored: FAT
 * refuses chmod (EPERM), so such cases need 'permissions' here (tree.ts's
 * treeNeeds counts owners, not modes).
 */
function setsModes(spec: TreeSpec | undefined): boolean {
  return Object.values(spec ?? {}).some((n) => ('mode' in n && n.mode !== undefined) || (n.type === 'dir' && setsModes(n.children)));
}

/**
 * Where FAT itself cannot do what a case expects, the case needs the feature
 * FAT lacks: new files get their mode from the mount masks, not from
 * open(2); times are kept in 2-second steps and the access time as a date.
 */
const DEVIATIONS: Record<string, Feature> = {
  'open: O_CREAT makes a regular file with mode & ~umask, owned by the caller': 'permissions',
  'open: a new file has atime = mtime = ctime': 'ns-timestamps',
  'utimensat: UTIME_NOW sets the current time': 'ns-timestamps',
  'utimensat: UTIME_OMIT leaves that time alone': 'ns-timestamps',
};

const cases: ConformanceCase[] = ALL_CASES.map((c) => {
  const extra: Feature[] = [];
  if (setsModes(c.tree)) extra.push('permissions');
  if (DEVIATIONS[c.name]) extra.push(DEVIATIONS[c.name]!);
  return extra.length ? { ...c, needs: [...new Set([...c.needs, ...extra])] } : c;
});

runConformance(fatSetup, cases);
runConformance(fatReadOnlySetup, cases);

/** Every conformance case, one module per operation group. */
import type { ConformanceCase } from '../case.js';
import open from './open.js';
import readWrite from './read-write.js';
import lookup from './lookup.js';
import create from './create.js';
import remove from './remove.js';
import rename from './rename.js';
import attributes from './attributes.js';
import xattr from './xattr.js';
import overlay from './overlay.js';

export const ALL_CASES: ConformanceCase[] = [...open, ...readWrite, ...lookup, ...create, ...remove, ...rename, ...attributes, ...xattr, ...overlay];

const names = new Set<string>();
for (const c of ALL_CASES) {
  if (names.has(c.name)) throw new Error(`duplicate conformance case name: ${c.name}`);
  names.add(c.name);
}

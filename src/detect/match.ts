/**
 * Matcher: runs catalogue entries against one device, memoising each entry's
 * result so `{ format: 'vfat' }` checks and identify share work. Any failure
 * inside an entry (a device read error, a refine that chokes) is "no match".
 */
import type { BlockDevice } from '../block/device.js';
import { RegionCache } from './region-cache.js';
import { checkBits, confidenceFromBits, evalCheck, evalNum, evalOffset, type Scope } from './evaluate.js';
import { readFields } from './fields.js';
import { REFINES } from './refine/index.js';
import type { FormatEntry, Identification, Signature } from './types.js';

export interface MatcherOptions {
  /** Called for each exception an entry threw (tests use it to catch bugs; identify never throws). */
  onError?: (entry: FormatEntry, error: unknown) => void;
}

export class Matcher {
  readonly cache: RegionCache;
  private readonly byId: ReadonlyMap<string, FormatEntry>;
  private readonly memo = new Map<string, Promise<Identification | null>>();
  private readonly onError: MatcherOptions['onError'];

  constructor(dev: BlockDevice, catalogue: readonly FormatEntry[], options: MatcherOptions = {}) {
    this.cache = new RegionCache(dev);
    this.byId = new Map(catalogue.map((e) => [e.id, e]));
    this.onError = options.onError;
  }

  /** The entry's identification of this device, or null. */
  match(entry: FormatEntry): Promise<Identification | null> {
    let p = this.memo.get(entry.id);
    if (!p) {
      // Set before running: an entry that (through `format` checks) asks about itself sees "no".
      this.memo.set(entry.id, Promise.resolve(null));
      p = this.run(entry).catch((e: unknown) => {
        this.onError?.(entry, e);
        return null;
      });
      this.memo.set(entry.id, p);
    }
    return p;
  }

  async matchesId(id: string): Promise<boolean> {
    const e = this.byId.get(id);
    return e ? (await this.match(e)) !== null : false;
  }

  private async run(entry: FormatEntry): Promise<Identification | null> {
    for (const sig of entry.signatures) {
      const scope = await this.scopeFor(entry, sig);
      if (!scope) continue;
      let ok = true;
      for (const c of sig.checks) {
        if (!(await evalCheck(c, scope))) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const found = await this.identification(entry, sig, scope);
      if (!entry.refine) return found;
      const refine = REFINES[entry.refine];
      if (!refine) throw new Error(`detect: entry ${entry.id} names unknown refine '${entry.refine}'`);
      const refined = await refine({ match: found, scope, entry });
      if (refined) return refined;
    }
    return null;
  }

  private async scopeFor(entry: FormatEntry, sig: Signature): Promise<Scope | undefined> {
    const scope: Scope = {
      cache: this.cache,
      base: 0,
      endian: sig.endian ?? entry.endian ?? 'le',
      vars: new Map(),
      matches: (id) => this.matchesId(id),
    };
    if (sig.base !== undefined) {
      const b = await evalOffset(sig.base, scope);
      if (b === undefined || b < 0 || b >= this.cache.size) return undefined;
      scope.base = b;
    }
    scope.vars.set('base', scope.base);
    for (const [name, value] of Object.entries(sig.let ?? {})) {
      const v = await evalNum(value, scope);
      if (v === undefined) return undefined;
      scope.vars.set(name, v);
    }
    return scope;
  }

  private async identification(entry: FormatEntry, sig: Signature, scope: Scope): Promise<Identification> {
    const fields = { ...entry.fields, ...sig.fields };
    if (entry.fields?.details && sig.fields?.details) fields.details = { ...entry.fields.details, ...sig.fields.details };
    const values = await readFields(fields, scope);
    const bits = sig.checks.reduce((n, c) => n + checkBits(c), 0);
    return {
      id: entry.id,
      kind: entry.kind,
      name: entry.name,
      ...values,
      confidence: sig.confidence ?? confidenceFromBits(bits),
    };
  }
}

/**
 * Runs the whole conformance suite against one setup with node:test: one
 * test per case, skipped (with the reason) when the setup lacks a feature
 * the case or its tree needs. Each setup's *.test.ts is one line:
 * `runConformance(memfsSetup)`.
 */
import { after, before, describe, test } from 'node:test';
import type { CaseContext, ConformanceCase, Feature } from './case.js';
import { ALL_CASES } from './cases/index.js';
import type { Target } from './target.js';
import { treeNeeds, type TreeSpec } from './tree.js';

export interface SetupInstance {
  /** A target rooted at the case's directory (as root). */
  target(dir: string): Promise<Target>;
  /** The case's directory in the upper layer (overlay setups). */
  upper?(dir: string): Promise<Target>;
  close(): Promise<void>;
}

export interface Setup {
  name: string;
  features: ReadonlySet<Feature>;
  /** A reason to skip the whole setup (missing root, tool or kernel feature). */
  skip?: string;
  /** Builds every case's directory (`dir`) with its tree before any case runs. */
  prepare(cases: Array<{ dir: string; tree?: TreeSpec }>): Promise<SetupInstance>;
}

export function missingFeatures(c: ConformanceCase, features: ReadonlySet<Feature>): string[] {
  const needs = new Set<string>([...c.needs, ...treeNeeds(c.tree)]);
  // Trees with owners need 'permissions' only to build them; read-only setups have them pre-built.
  return [...needs].filter((n) => !features.has(n as Feature));
}

export function runConformance(setup: Setup, cases: ConformanceCase[] = ALL_CASES): void {
  const selected = cases.map((c, i) => ({ c, dir: `c${i}`, missing: missingFeatures(c, setup.features) }));
  const runnable = selected.filter((s) => s.missing.length === 0);
  let instance: SetupInstance | undefined;
  const counts = { passed: 0, failed: 0, skipped: selected.length - runnable.length };

  describe(`conformance: ${setup.name}`, { skip: setup.skip ?? false }, () => {
    before(async () => {
      instance = await setup.prepare(runnable.map((s) => ({ dir: s.dir, ...(s.c.tree ? { tree: s.c.tree } : {}) })));
    });
    after(async () => {
      await instance?.close();
      console.log(`# conformance ${setup.name}: ${selected.length} cases, ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    });
    for (const s of selected) {
      const skip = s.missing.length ? `needs ${s.missing.join(', ')}` : false;
      test(s.c.name, { skip }, async () => {
        const t = await instance!.target(s.dir);
        const ctx: CaseContext = { t };
        if (instance!.upper && setup.features.has('overlay-upper')) ctx.upper = await instance!.upper(s.dir);
        try {
          await s.c.run(ctx);
          counts.passed++;
        } catch (e) {
          counts.failed++;
          throw e;
        } finally {
          await t.dispose?.();
          await ctx.upper?.dispose?.();
        }
      });
    }
  });
}

/**
 * What every file command shares: the options that say how to open the
 * source (`--fs`, `--format`, `--fs-option`, `--rw`) and opening an address
 * for the duration of a command.
 */
import { open, type OpenedFs, type OpenOptions } from '../node/open.js';
import { parseAddress, type Address } from '../node/address.js';
import { UsageError, type CommandIo, type OptionsSpec } from './command.js';
import { printError } from './output.js';

export const SOURCE_OPTIONS: OptionsSpec = {
  fs: { type: 'string' },
  format: { type: 'string' },
  'fs-option': { type: 'string', short: 'o', multiple: true },
};

export const SOURCE_HELP = `Source options:
  --fs TYPE            filesystem type instead of detecting it (ext4, vfat, iso9660, squashfs)
  --format FMT         container format instead of detecting it (qcow2, vmdk, vpc, vhdx, vdi, qed, raw)
  -o, --fs-option K=V  driver option, repeatable (e.g. -o namespace=joliet for ISO 9660)`;

/** `-o a=b -o c` → { a: 'b', c: true }. */
export function parseDriverOptions(list: unknown): Record<string, string | boolean> | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: Record<string, string | boolean> = {};
  for (const item of list as string[]) {
    for (const part of item.split(',')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      if (eq === 0) throw new UsageError(`bad --fs-option '${part}'`);
      if (eq < 0) out[part] = true;
      else out[part.slice(0, eq)] = part.slice(eq + 1);
    }
  }
  return out;
}

export function openOptions(values: Record<string, unknown>, write = false): OpenOptions {
  const o: OpenOptions = {};
  if (write) o.write = true;
  if (typeof values.fs === 'string') o.type = values.fs;
  if (typeof values.format === 'string') o.format = values.format;
  const driver = parseDriverOptions(values['fs-option']);
  if (driver) o.options = driver;
  return o;
}

/** An address with its path defaulting to '/'. */
export function addressWithPath(text: string): Address & { path: string } {
  const a = parseAddress(text);
  return { ...a, path: a.path ?? '/' };
}

/** Opens the source of `address`, runs `fn`, and always closes it (flushing writes). */
export async function withSource<T>(address: Address, values: Record<string, unknown>, write: boolean, fn: (fs: OpenedFs) => Promise<T>): Promise<T> {
  const fs = await open({ source: address.source, selectors: address.selectors }, openOptions(values, write));
  try {
    return await fn(fs);
  } finally {
    await fs.close();
  }
}

function sourceText(a: Address): string {
  return [a.source, ...a.selectors].join(':');
}

/** Groups addresses by their source so one image is opened once for several paths. */
export function groupBySource(addresses: Array<Address & { path: string }>): Map<string, Array<Address & { path: string }>> {
  const groups = new Map<string, Array<Address & { path: string }>>();
  for (const a of addresses) {
    const key = sourceText(a);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(a);
  }
  return groups;
}

/**
 * Runs `fn` for every address, opening each image once for all its paths.
 * An error on one path is printed and the rest go on, like rm(1) or cat(1);
 * returns whether any failed. UsageErrors stop everything.
 */
export async function forEachPath(
  positionals: string[],
  values: Record<string, unknown>,
  write: boolean,
  io: CommandIo,
  fn: (fs: OpenedFs, address: Address & { path: string }) => Promise<void>,
): Promise<boolean> {
  let failed = false;
  for (const group of groupBySource(positionals.map(addressWithPath)).values()) {
    await withSource(group[0]!, values, write, async (fs) => {
      for (const a of group) {
        try {
          await fn(fs, a);
        } catch (e) {
          if (e instanceof UsageError) throw e;
          printError(io, e);
          failed = true;
        }
      }
    });
  }
  return failed;
}

/**
 * What the real tools say about a partitioned image: sfdisk --json, partx
 * (libblkid), sgdisk -i, parted -m and blkid -p. The partition tests compare
 * our tables against these, in bytes, never against typed-in constants.
 */
import { run } from './tools.js';
import { GPT_ATTRIBUTE_FLAGS } from '../../src/block/partition/gpt-types.js';

/** One partition in the terms every tool can be reduced to. */
export interface TruthPartition {
  index: number;
  /** Bytes. */
  start: number;
  /** Bytes. */
  size: number;
  type?: string;
  name?: string;
  uuid?: string;
  bootable?: boolean;
  /** GPT attribute bits set (0..63). */
  attributeBits?: number[];
}

export interface TruthTable {
  label: string;
  id?: string;
  sectorSize: number;
  partitions: TruthPartition[];
}

/** sfdisk --json: label, id, sector size and every partition (index from the node name's trailing number). */
export async function sfdiskTruth(path: string): Promise<TruthTable> {
  const json = JSON.parse(await run('sfdisk', ['--json', path])) as {
    partitiontable: {
      label: string;
      id?: string;
      sectorsize?: number;
      partitions?: Array<{ node: string; start: number; size: number; type: string; uuid?: string; name?: string; attrs?: string; bootable?: boolean }>;
    };
  };
  const t = json.partitiontable;
  const ss = t.sectorsize ?? 512;
  return {
    label: t.label,
    ...(t.id !== undefined ? { id: t.id } : {}),
    sectorSize: ss,
    partitions: (t.partitions ?? []).map((p) => {
      const m = /(\d+)$/.exec(p.node);
      if (!m) throw new Error(`sfdisk node without a number: ${p.node}`);
      const out: TruthPartition = { index: Number(m[1]), start: p.start * ss, size: p.size * ss, type: p.type };
      if (p.uuid !== undefined) out.uuid = p.uuid;
      if (p.name !== undefined) out.name = p.name;
      if (t.label === 'gpt') out.attributeBits = sfdiskAttrBits(p.attrs ?? '');
      if (t.label === 'dos') out.bootable = p.bootable === true;
      return out;
    }),
  };
}

/** sfdisk's GPT attribute text ("RequiredPartition LegacyBIOSBootable GUID:60,62") → bit numbers. */
export function sfdiskAttrBits(attrs: string): number[] {
  const bits = new Set<number>();
  for (const word of attrs.split(/\s+/).filter(Boolean)) {
    if (word === 'RequiredPartition') bits.add(0);
    else if (word === 'NoBlockIOProtocol') bits.add(1);
    else if (word === 'LegacyBIOSBootable') bits.add(2);
    else if (word.startsWith('GUID:')) for (const b of word.slice(5).split(',')) bits.add(Number(b));
    else throw new Error(`unknown sfdisk attribute ${word}`);
  }
  return [...bits].sort((a, b) => a - b);
}

/** Our flags back to GPT attribute bit numbers. */
export function flagBits(flags: string[] | undefined): number[] {
  const named = new Map(GPT_ATTRIBUTE_FLAGS.map(([b, f]) => [f, b]));
  const bits: number[] = [];
  for (const f of flags ?? []) {
    const b = named.get(f) ?? (f.startsWith('gpt-attr-') ? Number(f.slice(9)) : undefined);
    if (b !== undefined) bits.push(b);
  }
  return bits.sort((a, b) => a - b);
}

/** partx (libblkid): every partition it lists, in bytes (libblkid counts 512-byte sectors). */
export async function partxTruth(path: string, options: { sectorSize?: number; type?: string } = {}): Promise<Array<TruthPartition & { scheme: string; flags: string }>> {
  const args = ['-P', '-b', '-o', 'NR,START,SECTORS,NAME,UUID,TYPE,FLAGS,SCHEME'];
  if (options.sectorSize) args.push('-S', String(options.sectorSize));
  if (options.type) args.push('-t', options.type);
  const text = await run('partx', [...args, path]);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const kv = pairs(line);
      const p: TruthPartition & { scheme: string; flags: string } = {
        index: Number(kv.NR),
        start: Number(kv.START) * 512,
        size: Number(kv.SECTORS) * 512,
        scheme: kv.SCHEME ?? '',
        flags: kv.FLAGS ?? '',
      };
      if (kv.TYPE) p.type = kv.TYPE;
      if (kv.NAME) p.name = kv.NAME;
      if (kv.UUID) p.uuid = kv.UUID;
      return p;
    });
}

/** KEY="value" pairs as util-linux prints them (-P), with \xHH escapes decoded as UTF-8. */
export function pairs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = unescapeBytes(m[2]!);
  return out;
}

function unescapeBytes(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (s[i] === '\\') {
      bytes.push(s.charCodeAt(++i));
    } else {
      bytes.push(...new TextEncoder().encode(s[i]!));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** blkid -p -o export (optionally at a byte offset, over `size` bytes): KEY=value lines → object. Empty when blkid finds nothing. */
export async function blkidTruth(path: string, offset?: number, size?: number): Promise<Record<string, string>> {
  const args = ['-p', '-o', 'export'];
  if (offset !== undefined) args.push('--offset', String(offset));
  if (size !== undefined) args.push('--size', String(size));
  let text = '';
  try {
    text = await run('blkid', [...args, path]);
  } catch {
    return {}; // blkid exits 2 when it finds nothing
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).replace(/\\(.)/g, '$1');
  }
  return out;
}

/** sgdisk -i N: the fields it prints for one GPT partition. */
export async function sgdiskInfo(path: string, n: number): Promise<{ type: string; uuid: string; first: number; last: number; attributes: bigint; name: string }> {
  const text = await run('sgdisk', ['-i', String(n), path]);
  const field = (re: RegExp) => {
    const m = re.exec(text);
    if (!m) throw new Error(`sgdisk -i ${n}: no ${re} in:\n${text}`);
    return m[1]!;
  };
  return {
    type: field(/Partition GUID code: (\S+)/),
    uuid: field(/Partition unique GUID: (\S+)/),
    first: Number(field(/First sector: (\d+)/)),
    last: Number(field(/Last sector: (\d+)/)),
    attributes: BigInt('0x' + field(/Attribute flags: ([0-9a-fA-F]+)/)),
    name: field(/Partition name: '(.*)'/),
  };
}

/** parted -m print in bytes: table type, logical sector size and partitions (number, start, size, name, flags). */
export async function partedTruth(path: string): Promise<{ label: string; sectorSize: number; partitions: Array<{ index: number; start: number; size: number; name: string; flags: string }> }> {
  const text = await run('parted', ['-s', '-m', path, 'unit', 'B', 'print']);
  const lines = text.split('\n').filter((l) => l.endsWith(';'));
  const disk = lines[1]!.split(':');
  return {
    label: disk[5]!,
    sectorSize: Number(disk[3]),
    partitions: lines.slice(2).map((l) => {
      const f = l.slice(0, -1).split(':');
      const start = Number(f[1]!.replace('B', ''));
      const end = Number(f[2]!.replace('B', ''));
      return { index: Number(f[0]), start, size: end - start + 1, name: f[5] ?? '', flags: f[6] ?? '' };
    }),
  };
}

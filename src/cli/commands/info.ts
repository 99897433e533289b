/** `anymount info SOURCE [--json]`: what an image is, all the way down. */
import { probe, select } from '../../detect/probe.js';
import { reportNode, type InfoNode, type InfoReport } from '../../detect/report.js';
import type { DeviceDescription } from '../../block/device.js';
import { formatAddress, parseAddress } from '../../node/address.js';
import { openImage } from '../../node/open-image.js';
import { formatSize } from '../../util/units.js';
import type { Identification } from '../../detect/index.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { printJson } from '../output.js';

export const infoCommand: Command = {
  name: 'info',
  summary: 'show what an image holds: container, partitions, filesystems',
  usage: 'anymount info [--json] [--format FMT] SOURCE[:pN…]',
  help: `Opens SOURCE (a file, block device or http(s) URL) read-only and prints
the tree of what it holds: the container and its backing chain, the partition
table, and what each partition contains (filesystem, label, UUID, size).

  SOURCE            disk.qcow2, /dev/sdb, https://example.com/disk.vmdk
  SOURCE:p2         only partition 2 (MBR logical partitions count from p5)

Options:
  --json            print a stable machine-readable structure instead
  --format FMT      the container format, when detection should not decide
                    (qcow2, vmdk, vpc, vhdx, vdi, qed, raw)

Examples:
  anymount info disk.qcow2
  anymount info --json disk.qcow2:p2`,
  options: {
    json: { type: 'boolean' },
    format: { type: 'string', short: 'f' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('info takes one SOURCE');
    const text = positionals[0]!;
    const address = parseAddress(text);
    if (address.path !== undefined) throw new UsageError(`info describes images and partitions, not paths inside them (${text})`);
    const format = values.format as string | undefined;
    const image = await openImage(address.source, format === undefined ? {} : { format });
    try {
      const root = await probe(image.device);
      const node = select(root, address.selectors, address.source);
      const report: InfoReport = { name: formatAddress(address), size: node.device.size, node: reportNode(node) };
      if (address.selectors.length === 0) {
        const container = image.device.describe?.();
        if (container && image.format !== 'raw') report.container = container;
      }
      if (values.json) printJson(io, report);
      else io.stdout.write(renderInfo(report));
      return EXIT.OK;
    } finally {
      await image.device.close();
    }
  },
};

/** The text form: one line for the image, then the partition tree. */
export function renderInfo(r: InfoReport): string {
  const lines: string[] = [];
  let head: string;
  if (r.node.partition) head = partitionLine(r.node);
  else head = r.container ? containerLine(r.container) : `raw, ${formatSize(r.size)}`;
  const what = contentsLine(r.node.contents, r.size);
  lines.push(`${r.name}: ${head}${what ? `: ${what}` : ''}`);
  for (const w of containerWarnings(r.container)) lines.push(`  warning: ${w}`);
  for (const w of r.node.contents[0]?.warnings ?? []) lines.push(`  warning: ${w}`);
  for (const e of r.node.errors) lines.push(`  error: ${e}`);
  renderTable(r.node, '', lines);
  return lines.join('\n') + '\n';
}

function containerLine(d: DeviceDescription): string {
  let s = d.summary;
  let b = d.backing;
  while (b) {
    s += ` → ${b.summary}`;
    b = b.backing;
  }
  return s;
}

function containerWarnings(d: DeviceDescription | undefined): string[] {
  const out: string[] = [];
  for (let x: DeviceDescription | undefined = d; x; x = x.backing) out.push(...(x.warnings ?? []));
  return out;
}

function renderTable(node: InfoNode, indent: string, lines: string[]): void {
  const t = node.partitionTable;
  if (!t) return;
  const id = t.diskId ? `, disk id ${t.diskId}` : '';
  const sector = t.sectorSize !== 512 ? `, ${t.sectorSize}-byte sectors` : '';
  lines.push(`${indent}└─ ${t.scheme}, ${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}${id}${sector}`);
  const inner = indent + '   ';
  for (const w of t.warnings) lines.push(`${inner}warning: ${w}`);
  t.partitions.forEach((p, i) => {
    const last = i === t.partitions.length - 1;
    const what = contentsLine(p.contents, p.size);
    lines.push(`${inner}${last ? '└─' : '├─'} ${partitionLine(p)}${what ? `: ${what}` : ''}`);
    const childIndent = inner + (last ? '   ' : '│  ');
    for (const w of p.contents[0]?.warnings ?? []) lines.push(`${childIndent}warning: ${w}`);
    for (const e of p.errors) lines.push(`${childIndent}error: ${e}`);
    renderTable(p, childIndent, lines);
  });
}

function partitionLine(n: InfoNode): string {
  const p = n.partition!;
  const parts = [`p${p.index}`];
  if (p.name) parts.push(JSON.stringify(p.name));
  parts.push(formatSize(p.size));
  parts.push(`at ${formatSize(p.start)}`);
  parts.push(p.typeName ? `(${p.typeName})` : `(type ${p.type})`);
  if (p.flags?.length) parts.push(`[${p.flags.join(', ')}]`);
  return parts.join(' ');
}

/** "vfat FAT32, label "EFI", uuid 1234-ABCD" — the size only when it differs from the device's. */
function contentsLine(contents: Identification[], deviceSize: number): string {
  const best = contents[0];
  if (!best) return '';
  const bits = [best.version ? `${best.id} ${best.version}` : best.id];
  if (best.label) bits.push(`label ${JSON.stringify(best.label)}`);
  if (best.uuid) bits.push(`uuid ${best.uuid}`);
  if (best.size !== undefined && best.size !== deviceSize) bits.push(`${formatSize(best.size)} filesystem`);
  const also = contents.slice(1).map((c) => c.id);
  if (also.length) bits.push(`(also looks like ${also.join(', ')})`);
  return bits.join(', ');
}


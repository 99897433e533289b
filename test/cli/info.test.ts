// `anymount info`, end to end on images made by real tools; the truth is what
// qemu-img, sfdisk and blkid say about the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { InfoNode, InfoReport } from '../../src/detect/report.js';
import { fixture, repoRoot } from '../helpers/fixtures.js';
import { needRoot, needTools, run } from '../helpers/tools.js';
import { needNginx, startNginx } from '../helpers/nginx.js';
import { blkidTruth } from '../helpers/partition-truth.js';

const skip = needTools('qemu-img', 'sfdisk', 'blkid', 'mkfs.fat', 'mke2fs', 'mkswap', 'xorriso');
const sample = join(repoRoot, 'samples', 'disk.qcow2');

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        add(chunk.toString());
        cb();
      },
    });
  const code = await main(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

async function infoJson(address: string): Promise<InfoReport> {
  const r = await cli('info', '--json', address);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as InfoReport;
}

let scratch: string | undefined;
async function rawOf(image: string): Promise<string> {
  scratch ??= await mkdtemp(join(tmpdir(), 'anymount-info-'));
  const out = join(scratch, image.replace(/[/.]/g, '_') + '.raw');
  await run('qemu-img', ['convert', '-O', 'raw', image, out]);
  return out;
}

interface BlkidTruth {
  TYPE?: string;
  LABEL?: string;
  UUID?: string;
}

const blkid = (path: string, offset = 0, size?: number): Promise<BlkidTruth> => blkidTruth(path, offset, size);

interface SfdiskPart {
  node: string;
  start: number;
  size: number;
  type: string;
}

async function sfdisk(raw: string): Promise<{ label: string; id?: string; partitions: SfdiskPart[] }> {
  return (JSON.parse(await run('sfdisk', ['--json', raw])) as { partitiontable: { label: string; id?: string; partitions: SfdiskPart[] } }).partitiontable;
}

/** Every partition and its contents agree with sfdisk and blkid. */
async function checkAgainstTools(report: InfoReport, raw: string): Promise<void> {
  const truth = await sfdisk(raw);
  const table = report.node.partitionTable;
  assert.ok(table, 'a partition table was found');
  assert.equal(table.scheme, truth.label === 'dos' ? 'mbr' : truth.label);
  const ours = table.partitions;
  assert.deepEqual(
    ours.map((p) => [p.partition!.index, p.partition!.start, p.partition!.size]),
    truth.partitions.map((p) => [Number(/(\d+)$/.exec(p.node)![1]), p.start * 512, p.size * 512]),
  );
  for (const p of ours) {
    const part = p.partition!;
    // An extended partition is a container of EBRs, not a filesystem: blkid would see the first logical.
    if (part.flags?.includes('extended')) continue;
    const b = await blkid(raw, part.start, part.size);
    const best = p.contents[0];
    if (!b.TYPE) {
      assert.equal(best, undefined, `p${part.index}: blkid finds nothing, we found ${best?.id}`);
      continue;
    }
    assert.ok(best, `p${part.index}: blkid says ${b.TYPE}, we found nothing`);
    assert.equal(best.id, b.TYPE, `p${part.index} type`);
    assert.equal(best.label, b.LABEL, `p${part.index} label`);
    assert.equal(best.uuid, b.UUID, `p${part.index} uuid`);
  }
}

function partition(report: InfoReport, index: number): InfoNode {
  const p = report.node.partitionTable?.partitions.find((x) => x.partition?.index === index);
  assert.ok(p, `partition ${index} present`);
  return p;
}

test('info on the bundled sample (qcow2 → gpt → vfat, ext4, swap) agrees with qemu-img, sfdisk and blkid', { skip }, async () => {
  const report = await infoJson(sample);
  const qi = JSON.parse(await run('qemu-img', ['info', '--output=json', sample])) as { format: string; 'virtual-size': number };
  assert.equal(report.container?.format, qi.format);
  assert.equal(report.size, qi['virtual-size']);
  await checkAgainstTools(report, await rawOf(sample));
  // The text form carries the same facts.
  const text = (await cli('info', sample)).stdout;
  assert.match(text, /qcow2 v3/);
  for (const p of report.node.partitionTable!.partitions) {
    const c = p.contents[0]!;
    assert.ok(text.includes(`p${p.partition!.index} `) && text.includes(c.uuid!), `text mentions p${p.partition!.index} and ${c.uuid}`);
  }
});

test('info on an MBR with logical partitions inside a streamOptimized vmdk', { skip }, async () => {
  const dir = await fixture('cli/info-disks.sh');
  const vmdk = join(dir, 'mbr.vmdk');
  const report = await infoJson(vmdk);
  assert.equal(report.container?.format, 'vmdk');
  const raw = await rawOf(vmdk);
  await checkAgainstTools(report, raw);
  const truth = await sfdisk(raw);
  assert.equal(report.node.partitionTable?.diskId?.toLowerCase(), truth.id!.replace(/^0x/, '').toLowerCase());
  // Logical partitions are addressed like Linux names them.
  const p5 = await infoJson(`${vmdk}:p5`);
  const b5 = await blkid(raw, partition(report, 5).partition!.start);
  assert.equal(p5.node.contents[0]?.id, b5.TYPE);
  assert.equal(p5.node.contents[0]?.label, b5.LABEL);
  assert.equal(p5.size, partition(report, 5).partition!.size);
  assert.ok(partition(report, 1).partition!.flags?.includes('bootable'));
  // The extended partition holds only the EBR chain: no nested table of its own.
  assert.equal(partition(report, 2).partitionTable, undefined);
});

test('info follows a qcow2 backing chain and reads the partitions through it', { skip }, async () => {
  const dir = await fixture('cli/info-disks.sh');
  const overlay = join(dir, 'overlay.qcow2');
  const report = await infoJson(overlay);
  const chain = JSON.parse(await run('qemu-img', ['info', '--output=json', '--backing-chain', overlay])) as Array<{ format: string; 'virtual-size': number }>;
  let layer = report.container;
  for (const q of chain) {
    assert.equal(layer?.format, q.format);
    layer = layer?.backing;
  }
  assert.equal(layer, undefined, 'no more layers than qemu-img reports');
  assert.equal(report.size, chain[0]!['virtual-size']);
  await checkAgainstTools(report, await rawOf(overlay));
  assert.match((await cli('info', overlay)).stdout, /→ qcow2/);
});

test('info on an ISO hybrid reports the ISO 9660 volume and its MBR partitions', { skip }, async () => {
  const dir = await fixture('cli/info-disks.sh');
  const iso = join(dir, 'hybrid.iso');
  const report = await infoJson(iso);
  const b = await blkid(iso);
  assert.equal(report.container, undefined);
  assert.equal(report.node.contents[0]?.id, b.TYPE);
  assert.equal(report.node.contents[0]?.label, b.LABEL);
  assert.equal(report.node.contents[0]?.uuid, b.UUID);
  await checkAgainstTools(report, iso);
});

test('info over HTTP gives the same report as the local file', { skip: skip ?? needNginx() }, async () => {
  const nginx = await startNginx(join(repoRoot, 'samples'));
  try {
    const remote = await infoJson(nginx.url('disk.qcow2'));
    const local = await infoJson(sample);
    assert.deepEqual(remote.node, local.node);
    assert.equal(remote.container?.summary, local.container?.summary);
  } finally {
    await nginx.stop();
  }
});

test('info on a block device (a loop device) gives the same tree as on the file', { skip: skip ?? needRoot('a loop device') ?? needTools('losetup') }, async () => {
  const raw = await rawOf(sample);
  const loop = (await run('losetup', ['-f', '--show', '-r', raw])).trim();
  try {
    const viaDevice = await infoJson(loop);
    const viaFile = await infoJson(raw);
    assert.equal(viaDevice.size, viaFile.size);
    assert.deepEqual(viaDevice.node, viaFile.node);
  } finally {
    await run('losetup', ['-d', loop]);
  }
});

test('info warns when an ext4 journal needs recovery, as dumpe2fs shows it', { skip: skip ?? needRoot('making an unreplayed journal (a kernel mount)') }, async () => {
  const dir = await fixture('ext4/recovery.sh');
  const features = await run('dumpe2fs', ['-h', join(dir, 'recovery.img')]);
  assert.match(features, /Filesystem features:.*needs_recovery/, 'the fixture really needs recovery');
  const r = await cli('info', join(dir, 'recovery.img'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /warning: the journal needs recovery/);
  const clean = await cli('info', join(dir, 'replayed.img'));
  assert.doesNotMatch(clean.stdout, /warning/);
  const json = await infoJson(join(dir, 'recovery.img'));
  assert.ok(json.node.contents[0]?.warnings?.some((w) => /journal needs recovery/.test(w)));
});

test('info errors: exit codes and messages', async () => {
  const missing = await cli('info', '/nonexistent/disk.qcow2');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\/nonexistent\/disk\.qcow2.*ENOENT/);

  const noPart = await cli('info', `${sample}:p9`);
  assert.equal(noPart.code, 1);
  assert.match(noPart.stderr, /no partition p9 \(gpt has p1, p2, p3\)/);

  assert.equal((await cli('info')).code, 2);
  assert.equal((await cli('info', '--bogus', sample)).code, 2);
  assert.equal((await cli('frobnicate')).code, 2);
  const help = await cli('info', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: anymount info/);
});

test.after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

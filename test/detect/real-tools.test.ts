// identify() against the tools that made the images and the tools that judge them:
// blkid -p (TYPE/PTTYPE, LABEL, UUID, VERSION, FSSIZE), partx (SCHEME), parted,
// qemu-img info (format, virtual size) and file -b. Every expected value comes from
// those tools at test time; the catalogue's `aka` names say which of our ids is theirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fixture } from '../helpers/fixtures.js';
import { needTools, toolEnv } from '../helpers/tools.js';
import { FileDevice } from '../../src/node/file-device.js';
import { CATALOGUE, formatEntry, identify, type Identification } from '../../src/detect/index.js';

/** Facts blkid reports that we do not read yet, per catalogue id, and why. */
const KNOWN_GAPS: Record<string, Record<string, string>> = {
  hfs: { UUID: 'blkid hashes the Finder info with MD5 into a UUID; not done yet' },
  hfsplus: { LABEL: 'the name lives in the catalog B-tree', UUID: 'MD5 of the Finder info, as for HFS' },
};

/** Where blkid 2.38 (Debian 12) and newer libblkid disagree we follow the newer, named here. */
const BLKID_238_QUIRKS: Record<string, string> = {
  'exfat:PTTYPE': 'blkid < 2.39 also calls an exFAT boot sector a dos partition table (newer libblkid checks blkid_probe_is_exfat)',
};

function tool(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { env: toolEnv(), encoding: 'utf8' });
  return { status: r.status ?? -1, out: r.stdout ?? '' };
}

function blkidTags(path: string): Record<string, string> {
  const { out } = tool('blkid', ['-p', '-o', 'export', path]);
  const tags: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) tags[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return tags;
}

function entryFor(field: 'blkid' | 'qemu' | 'parted', name: string): string[] {
  return CATALOGUE.filter((e) => e.aka?.[field] === name).map((e) => e.id);
}

async function identifyFile(path: string): Promise<Identification[]> {
  const dev = await FileDevice.open(path);
  try {
    return await identify(dev, {
      all: true,
      onError: (entry, e) => {
        throw new Error(`entry ${entry.id} threw: ${(e as Error)?.stack ?? e}`);
      },
    });
  } finally {
    await dev.close();
  }
}

async function images(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.endsWith('-flat.vmdk')).sort();
  } catch {
    return [];
  }
}

const verified = new Map<string, Set<string>>();
function verifiedBy(toolName: string, id: string): void {
  let s = verified.get(toolName);
  if (!s) verified.set(toolName, (s = new Set()));
  s.add(id);
}

function describe(list: Identification[]): string {
  return list.map((i) => `${i.id}(${i.confidence})`).join(', ') || 'nothing';
}

async function blkidSuite(t: { diagnostic(msg: string): void }, root: string): Promise<void> {
  const dir = join(root, 'blkid');
  const names = await images(dir);
  assert.ok(names.length > 0, `no images in ${dir}`);
  const failures: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const tags = blkidTags(path);
    const found = await identifyFile(path);
    const best = found[0];
    const what = `${name}: blkid ${JSON.stringify(tags)}; identify ${describe(found)}`;
    let truthType = tags.TYPE ?? tags.PTTYPE;
    let truthTool = 'blkid';
    if (!truthType) {
      // blkid -p only names partition tables it can type without details; partx asks for them.
      const p = tool('partx', ['--show', '-g', '-o', 'SCHEME', path]);
      truthType = p.out.split('\n')[0]?.trim();
      truthTool = 'partx';
    }
    if (!truthType) {
      failures.push(`${what}: neither blkid nor partx recognises it`);
      continue;
    }
    const want = entryFor('blkid', truthType);
    if (!best || !want.includes(best.id)) {
      failures.push(`${what}: best match should be ${want.join('|') || `(no entry for ${truthType})`}`);
      continue;
    }
    verifiedBy(truthTool, best.id);
    // A second layer blkid sees (hybrid ISO: TYPE and PTTYPE) must be among all matches.
    if (tags.TYPE && tags.PTTYPE && !BLKID_238_QUIRKS[`${best.id}:PTTYPE`]) {
      const pt = found.find((f) => entryFor('blkid', tags.PTTYPE!).includes(f.id));
      if (!pt) failures.push(`${what}: partition table ${tags.PTTYPE} missing from all matches`);
      else if (tags.PTUUID && pt.uuid !== tags.PTUUID) failures.push(`${what}: PTUUID ${tags.PTUUID} vs ${pt.uuid}`);
    }
    const gaps = KNOWN_GAPS[best.id] ?? {};
    const compare = (tag: string, ours: unknown) => {
      const theirs = tags[tag];
      if (theirs === undefined) return;
      if (ours === undefined) {
        if (!gaps[tag]) failures.push(`${what}: blkid ${tag}=${theirs}, we report none`);
        return;
      }
      if (String(ours) !== theirs) failures.push(`${what}: ${tag} blkid '${theirs}' vs ours '${ours}'`);
    };
    // blkid 2.38 prints no FSSIZE: at least the size a filesystem claims must fit the image.
    const fileSize = (await stat(path)).size;
    if (best.size !== undefined && tags.TYPE && (best.size <= 0 || best.size > fileSize)) failures.push(`${what}: size ${best.size} outside the image (${fileSize})`);
    if (tags.TYPE) {
      compare('LABEL', best.label);
      compare('UUID', best.uuid);
      compare('VERSION', best.version);
      compare('FSSIZE', best.size);
      compare('FSBLOCKSIZE', best.blockSize);
    } else {
      compare('PTUUID', best.uuid);
    }
  }
  assert.deepEqual(failures, []);
}

test('identify agrees with blkid and partx on filesystems, volumes and swap', { skip: needTools('blkid', 'partx', 'python3') }, async (t) => {
  await blkidSuite(t, await fixture('detect/filesystems.sh'));
});

test('identify agrees with blkid, partx and parted on partition tables', { skip: needTools('blkid', 'partx', 'parted', 'sfdisk') }, async (t) => {
  const root = await fixture('detect/partitions.sh');
  await blkidSuite(t, root);
  const failures: string[] = [];
  for (const name of await images(join(root, 'parted'))) {
    const path = join(root, 'parted', name);
    const line = tool('parted', ['-s', '-m', path, 'print']).out.split('\n')[1] ?? '';
    const label = line.split(':')[5];
    const found = await identifyFile(path);
    const want = label ? entryFor('parted', label) : [];
    if (!found[0] || !want.includes(found[0].id)) failures.push(`${name}: parted says ${label}, identify ${describe(found)}`);
    else verifiedBy('parted', found[0].id);
  }
  assert.deepEqual(failures, []);
});

test('identify agrees with qemu-img on disk image containers', { skip: needTools('qemu-img') }, async () => {
  const root = await fixture('detect/containers.sh');
  const dir = join(root, 'qemu');
  const names = await images(dir);
  assert.ok(names.length > 0);
  const failures: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const found = await identifyFile(path);
    const best = found[0];
    let info = JSON.parse(tool('qemu-img', ['info', '--output=json', path]).out || '{}') as { format?: string; 'virtual-size'?: number };
    // qemu-img probes a fixed VHD as raw (its footer is at the end); ask it to read it as ours says.
    if (info.format === 'raw' && best && formatEntry(best.id)?.aka?.qemu) {
      const again = tool('qemu-img', ['info', '--output=json', '-f', formatEntry(best.id)!.aka!.qemu!, path]);
      if (again.status === 0) info = JSON.parse(again.out) as typeof info;
    }
    const want = info.format ? entryFor('qemu', info.format) : [];
    if (!best || !want.includes(best.id)) {
      failures.push(`${name}: qemu-img says ${info.format}, identify ${describe(found)}`);
      continue;
    }
    verifiedBy('qemu-img', best.id);
    if (best.size !== undefined && best.size !== info['virtual-size']) failures.push(`${name}: virtual size qemu ${info['virtual-size']} vs ours ${best.size}`);
  }
  assert.deepEqual(failures, []);
});

test('identify agrees with file(1) on archives and compressed streams', { skip: needTools('file') }, async () => {
  const root = await fixture('detect/archives.sh');
  const dir = join(root, 'file');
  const names = await images(dir);
  assert.ok(names.length > 0);
  const failures: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const says = tool('file', ['-b', path]).out.trim();
    const found = await identifyFile(path);
    const best = found[0];
    const pattern = best && formatEntry(best.id)?.aka?.file;
    if (best && pattern && new RegExp(pattern, 'i').test(says)) verifiedBy('file', best.id);
    else {
      // file(1) can be fooled (a zip whose first sector ends in 55AA is a 'DOS/MBR boot
      // sector' to it); the archiver's own reading of the file then decides.
      const type = /^Type = (.*)$/m.exec(tool('7z', ['l', '-slt', path]).out)?.[1]?.toLowerCase();
      if (!best || type !== best.id) {
        failures.push(`${name}: file says '${says}', 7z says ${type}, identify ${describe(found)}`);
        continue;
      }
      verifiedBy('7z', best.id);
    }
    // Nothing inside an archive is reported at its level (an ext4 image in a tar, 55AA in a zip).
    const inner = found.filter((f) => f.kind === 'filesystem' || f.kind === 'partition-table');
    if (inner.length) failures.push(`${name}: reports ${describe(inner)} inside an archive`);
  }
  assert.deepEqual(failures, []);
});

test('hand-built images of formats no tool here writes are identified by their layout', async () => {
  const root = await fixture('detect/filesystems.sh');
  const dir = join(root, 'layout');
  const failures: string[] = [];
  for (const name of await images(dir)) {
    const want = name.replace(/[.-].*$/, '');
    const found = await identifyFile(join(dir, name));
    if (found[0]?.id !== want) failures.push(`${name}: expected ${want}, identify ${describe(found)}`);
    else verifiedBy('layout', want);
  }
  assert.deepEqual(failures, []);
});

test('report: formats verified per truth tool', { skip: needTools('blkid', 'qemu-img', 'file') }, async (t) => {
  // Runs last in this file (node:test runs tests in order); only reports.
  const all = new Set<string>();
  for (const [toolName, ids] of verified) {
    t.diagnostic(`${toolName}: ${ids.size} formats: ${[...ids].sort().join(' ')}`);
    for (const id of ids) all.add(id);
  }
  const byKind = new Map<string, number>();
  for (const e of CATALOGUE) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + 1);
  t.diagnostic(`catalogue: ${CATALOGUE.length} formats (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}); verified against a tool or layout: ${all.size}`);
  const root = await fixture('detect/filesystems.sh');
  for (const r of [root, await fixture('detect/partitions.sh'), await fixture('detect/containers.sh'), await fixture('detect/archives.sh')]) {
    const skipped = tool('cat', [join(r, 'skipped.txt')]).out.trim();
    if (skipped) t.diagnostic(`skipped images: ${skipped}`);
  }
});

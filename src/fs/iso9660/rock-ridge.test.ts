// Rock Ridge images made by xorriso and genisoimage, read through our
// driver and compared entry by entry with what xorriso extracts from them
// (names, types, modes, owners, times, link targets, devices, hard link
// groups, sha256 of every file), with isoinfo -R for PX link counts and
// sizes, and with the source tree for ctimes and for the devices xorriso
// cannot restore from genisoimage images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../test/helpers/tools.js';
import { parseRockRidge } from './rock-ridge.js';
import { extractedAtimes, isoFixtures, isoSkip, linkGroups, openIso, parseIsoinfo, walkHost, walkIso, type TreeNode } from '../../../test/iso9660/tree.js';

const skip = isoSkip;
const dir = skip ? '' : await isoFixtures();

const IMAGES = [
  { name: 'rr', what: 'xorriso -R -J --hardlinks (PX serial numbers)' },
  { name: 'rr-noserial', what: 'xorriso -R' },
  { name: 'r', what: 'xorriso -r (rationalized)' },
  { name: 'gen', what: 'genisoimage -R (deep directories relocated)' },
];

/** Permission bits of an `ls -l` mode string ('-rwsr-x--T'). */
function permsOf(mode: string): number {
  let p = 0;
  const bit = (i: number, v: number): void => {
    if (mode[i] !== '-' && mode[i] !== 'S' && mode[i] !== 'T') p |= v;
  };
  [[1, 0o400], [2, 0o200], [3, 0o100], [4, 0o40], [5, 0o20], [6, 0o10], [7, 0o4], [8, 0o2], [9, 0o1]].forEach(([i, v]) => bit(i!, v!));
  if (mode[3] === 's' || mode[3] === 'S') p |= 0o4000;
  if (mode[6] === 's' || mode[6] === 'S') p |= 0o2000;
  if (mode[9] === 't' || mode[9] === 'T') p |= 0o1000;
  return p;
}

function compare(path: string, ours: TreeNode, truth: TreeNode, fields: Array<keyof TreeNode>): void {
  for (const f of fields) assert.equal(ours[f], truth[f], `${path}: ${f} is ${String(ours[f])}, the tool says ${String(truth[f])}`);
}

for (const { name, what } of IMAGES) {
  test(`iso9660 ${name}.iso (${what}): every entry equals xorriso's extraction`, { skip }, async () => {
    const { fs, close } = await openIso(join(dir, `${name}.iso`));
    try {
      assert.equal(fs.info.namespace, 'rockridge');
      const ours = await walkIso(fs);
      const truth = walkHost(join(dir, `${name}.iso.extract`));
      for (const [p, t] of extractedAtimes(join(dir, `${name}.iso.atimes`))) if (truth.has(p)) truth.get(p)!.atime = t;
      const src = walkHost(join(dir, 'src'), { hash: false });
      const noAtime = new Set<string>();
      if (name === 'gen') {
        // genisoimage stores times after 2038 with a GMT offset of -96 (-24 h), outside the ±52 that ECMA-119
        // allows: Linux ignores it (and so do we), xorriso applies it. The source tree says who is right.
        // (Their atime is the source's at the time genisoimage ran, which later reads changed: not compared.)
        for (const p of ['times-2038', 'times-future']) {
          truth.get(p)!.mtime = src.get(p)!.mtime;
          noAtime.add(p);
        }
        // xorriso reads genisoimage's PN (major, minor) as one dev_t and cannot mknod them: the source tree is the truth.
        for (const p of ['dev/null', 'dev/sda1', 'dev/big']) truth.set(p, src.get(p)!);
      }
      assert.deepEqual([...ours.keys()].sort(), [...truth.keys()].sort(), 'the same paths');
      for (const [p, t] of truth) {
        const o = ours.get(p)!;
        compare(p, o, t, ['type', 'uid', 'gid']);
        // xorriso sets no times on the symlinks it extracts (and Linux shows them 0777), nor atime on directories.
        if (t.type !== 'symlink') compare(p, o, t, ['perms', 'mtime']);
        if (t.type !== 'symlink' && t.type !== 'dir' && !noAtime.has(p)) compare(p, o, t, ['atime']);
        if (t.type === 'symlink' && name !== 'r') compare(p, o, src.get(p)!, ['mtime', 'perms']);
        if (t.type === 'file') compare(p, o, t, ['size', 'sha256']);
        if (t.type === 'symlink') compare(p, o, t, ['target', 'size']);
        if (t.type === 'char' || t.type === 'block') compare(p, o, t, ['rdev']);
        // The tools record each file's ctime as Rock Ridge TF "attributes".
        const s = src.get(p);
        if (s && p !== '' && name !== 'r') compare(p, o, s, ['ctime']);
      }
      assert.deepEqual(linkGroups(ours), linkGroups(truth), 'hard link groups (same inode number)');
      if (name === 'rr') assert.ok(linkGroups(ours).length > 0, 'the hard links share inode numbers');
    } finally {
      await close();
    }
  });

  test(`iso9660 ${name}.iso: link counts, sizes and modes agree with isoinfo -R`, { skip }, async () => {
    const { fs, close } = await openIso(join(dir, `${name}.iso`));
    try {
      const ours = await walkIso(fs, { hash: false });
      const rows = parseIsoinfo(readFileSync(join(dir, `${name}.iso.isoinfo-R`), 'utf8'));
      let compared = 0;
      for (const r of rows) {
        const p = r.dir ? `${r.dir}/${r.name}` : r.name;
        const o = ours.get(p);
        if (!o) {
          // isoinfo shows relocated directories where they lie (rr_moved); we hide them like Linux.
          assert.ok(name === 'gen' && p.startsWith('rr_moved/'), `${p}: listed by isoinfo -R but not by us`);
          continue;
        }
        compared++;
        // genisoimage's CL entries are zero-length files in the ISO tree; isoinfo shows those, we show the directory.
        if ((r.flags & 2) === 0 && o.type === 'dir') continue;
        assert.equal(o.nlink, r.nlink, `${p}: nlink`);
        // (isoinfo's owner column is wrong above 255 — 1234 shows as 2322 — so owners are checked against the extraction only.)
        if (o.type === 'file' || o.type === 'dir') assert.equal(o.size, r.size, `${p}: size`);
        // isoinfo prints no setgid bit ('-rwxr-x---' for 2750): compare the rwx bits with it, the rest with the extraction.
        assert.equal(o.perms & 0o777, permsOf(r.mode) & 0o777, `${p}: permissions ${r.mode}`);
        if (o.type === 'symlink') assert.equal(o.target, r.target, `${p}: target`);
      }
      assert.ok(compared > 3000, `compared ${compared} entries`);
    } finally {
      await close();
    }
  });
}

test('iso9660 rr.iso: volume facts equal isoinfo -d', { skip }, async () => {
  const { fs, close } = await openIso(join(dir, 'rr.iso'));
  try {
    const d = readFileSync(join(dir, 'rr.iso.isoinfo-d'), 'latin1');
    const field = (label: string): string => new RegExp(`^${label}: ?(.*)$`, 'm').exec(d)?.[1]?.trim() ?? '';
    const v = fs.info.volume;
    assert.equal(v.volumeId, field('Volume id'));
    assert.equal(v.systemId, field('System id'));
    assert.equal(v.publisherId, field('Publisher id'));
    assert.equal(v.logicalBlockSize, Number(field('Logical block size is')));
    assert.equal(v.volumeSpaceSize, Number(field('Volume size is')));
    assert.equal(fs.info.joliet?.jolietLevel, Number(/Joliet with UCS level (\d)/.exec(d)?.[1]));
    assert.match(d, /Rock Ridge signatures/);
    assert.ok(fs.info.rockRidge);
    // 7-Zip decodes the PVD's 17-byte dates (digits, hundredths, GMT offset).
    const header = (await run('7z', ['l', '-slt', join(dir, 'rr.iso')])).split('----------')[0]!;
    for (const [label, t] of [['Created', v.creation], ['Modified', v.modification]] as const) {
      const m = new RegExp(`^${label} = (\\d{4})-(\\d\\d)-(\\d\\d) (\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d\\d)$`, 'm').exec(header);
      assert.ok(m && t, `${label} in 7z's listing and ours`);
      assert.equal(t.sec, Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000, label);
      assert.equal(t.nsec, +m[7]! * 10_000_000, `${label} hundredths`);
    }
    const st = await fs.statfs();
    assert.equal(st.blocks, v.volumeSpaceSize);
    assert.equal(st.bsize, 2048);
    assert.equal(st.type, 0x9660);
  } finally {
    await close();
  }
});

test('iso9660 Rock Ridge TF in the long (17-byte) form reads like the PVD dates 7-Zip decodes', { skip }, async () => {
  // No tool at hand writes long-form TF; its 17 bytes are the PVD's date format, checked against 7-Zip above.
  const { fs, close } = await openIso(join(dir, 'rr.iso'));
  try {
    const pvd = new Uint8Array(readFileSync(join(dir, 'rr.iso')).subarray(32768, 34816));
    const date = pvd.subarray(813, 830);
    const tf = new Uint8Array(1 + 3 * 17);
    tf[0] = 0x80 | 0x02 | 0x04 | 0x08; // LONG_FORM, MODIFY, ACCESS, ATTRIBUTES
    for (let i = 0; i < 3; i++) tf.set(date, 1 + i * 17);
    const rr = parseRockRidge([{ sig: 'TF', version: 1, data: tf }]);
    assert.deepEqual(rr.times.modify, fs.info.volume.creation);
    assert.deepEqual(rr.times.access, fs.info.volume.creation);
    assert.deepEqual(rr.times.attributes, fs.info.volume.creation);
  } finally {
    await close();
  }
});

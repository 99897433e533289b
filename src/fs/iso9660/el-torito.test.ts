// El Torito boot catalogues written by xorriso (no emulation, 1.44 MB
// floppy, EFI, hard-disk emulation), shown as files of a virtual '[BOOT]'
// directory: entries against xorriso -report_el_torito (platform,
// bootable, emulation, load size, LBA), names and sizes against 7-Zip's
// listing, bytes against 7-Zip's extraction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isoFixtures, isoSkip, openIso, readAll, walkHost } from '../../../test/iso9660/tree.js';

const skip = isoSkip;
const dir = skip ? '' : await isoFixtures();

const EMULATION: Record<string, number> = { none: 0, 'fd1.2': 1, 'fd1.4': 2, 'fd2.8': 3, hd: 4 };
const PLATFORM: Record<string, number> = { BIOS: 0, PPC: 1, Mac: 2, UEFI: 0xef };

for (const image of ['boot.iso', 'boot-hd.iso']) {
  test(`iso9660 ${image}: boot entries equal xorriso -report_el_torito and 7-Zip's [BOOT] files`, { skip }, async () => {
    const { fs, close } = await openIso(join(dir, image));
    try {
      const report = readFileSync(join(dir, `${image}.eltorito`), 'utf8');
      const rows = [...report.matchAll(/^El Torito boot img :\s+(\d+)\s+(\S+)\s+([yn])\s+(\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\d+)\s+(\d+)$/gm)];
      const entries = fs.boot?.entries ?? [];
      assert.equal(entries.length, rows.length);
      assert.ok(rows.length > 0);
      rows.forEach((m, i) => {
        const e = entries[i]!;
        assert.equal(e.platform, PLATFORM[m[2]!], `entry ${i + 1}: platform`);
        assert.equal(e.bootable, m[3] === 'y', `entry ${i + 1}: bootable`);
        assert.equal(e.mediaType & 0x0f, EMULATION[m[4]!], `entry ${i + 1}: emulation`);
        assert.equal(e.loadSegment, parseInt(m[5]!, 16), `entry ${i + 1}: load segment`);
        assert.equal(e.systemType, parseInt(m[6]!, 16), `entry ${i + 1}: system type`);
        assert.equal(e.sectorCount, Number(m[7]), `entry ${i + 1}: load size`);
        assert.equal(e.loadRba, Number(m[8]), `entry ${i + 1}: LBA`);
      });

      // 7-Zip's names and sizes, and its extracted bytes.
      const listing = readFileSync(join(dir, `${image}.7z`), 'utf8');
      const sevenZip = new Map<string, number>();
      for (const m of listing.matchAll(/^Path = \[BOOT\]\/(.+)\nFolder = -\nSize = (\d+)$/gm)) sevenZip.set(m[1]!, Number(m[2]));
      assert.deepEqual(new Map(entries.map((e) => [e.name, e.size])), sevenZip);
      const extracted = walkHost(join(dir, `${image}.7z.extract`, '[BOOT]'));
      const bootDir = await fs.lookup(fs.rootIno, '[BOOT]');
      const names = (await fs.readdir(bootDir.ino, 0, 0)).map((e) => e.name);
      assert.deepEqual(names, ['.', '..', ...entries.map((e) => e.name)]);
      for (const e of entries) {
        const f = await fs.lookup(bootDir.ino, e.name);
        assert.equal(f.attr.size, e.size);
        const data = await readAll(fs, f.ino, f.attr.size);
        const { createHash } = await import('node:crypto');
        assert.equal(createHash('sha256').update(data).digest('hex'), extracted.get(e.name)!.sha256, `${e.name}: bytes`);
      }
      const root = (await fs.readdir(fs.rootIno, 0, 0)).map((e) => e.name);
      assert.equal(root[root.length - 1], '[BOOT]', 'the boot directory is listed last in the root');
    } finally {
      await close();
    }
  });
}

test('iso9660 boot-clash.iso: a real [BOOT] stays visible, the virtual one becomes [BOOT]-2', { skip }, async () => {
  const { fs, close } = await openIso(join(dir, 'boot-clash.iso'));
  try {
    const names = (await fs.readdir(fs.rootIno, 0, 0)).map((e) => e.name);
    assert.ok(names.includes('[BOOT]') && names.includes('[BOOT]-2'), names.join(', '));
    const real = await fs.lookup(fs.rootIno, '[BOOT]');
    assert.ok((await fs.readdir(real.ino, 0, 0)).some((e) => e.name === 'note.txt'));
    const virtual = await fs.lookup(fs.rootIno, '[BOOT]-2');
    assert.deepEqual((await fs.readdir(virtual.ino, 0, 0)).map((e) => e.name), ['.', '..', 'Boot-NoEmul.img']);
  } finally {
    await close();
  }
});

test('iso9660 boot=off hides the boot images', { skip }, async () => {
  const { fs, close } = await openIso(join(dir, 'boot.iso'), { boot: false });
  try {
    assert.equal(fs.boot, undefined);
    assert.ok(!(await fs.readdir(fs.rootIno, 0, 0)).some((e) => e.name === '[BOOT]'));
    await assert.rejects(fs.lookup(fs.rootIno, '[BOOT]'), { code: 'ENOENT' });
  } finally {
    await close();
  }
});

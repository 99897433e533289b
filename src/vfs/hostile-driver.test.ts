// A driver answering like a corrupt image (readdir cookies that loop, a directory inside itself) cannot make the VFS or the API hang or crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemFileSystem } from './memfs/memfs.js';
import { Vfs } from './vfs.js';
import { createFs } from '../api/fs.js';
import { O_DIRECTORY, O_RDONLY } from '../fs/flags.js';
import { DT_DIR } from '../fs/mode.js';
import type { DirEntry, Entry, Ino } from '../fs/filesystem.js';

/** memfs whose readdir of the root never ends: every batch resumes at the same cookie. */
class LoopingReaddir extends MemFileSystem {
  override async readdir(ino: Ino, fh: number, cookie: number, limit?: number): Promise<DirEntry[]> {
    const batch = await super.readdir(ino, fh, 0, limit);
    return batch.map((e) => ({ ...e, next: 1 }));
  }
}

/** memfs in which directory /d holds an entry 'loop' that is /d itself. */
class DirectoryCycle extends MemFileSystem {
  d = 0;
  override async lookup(dir: Ino, name: string): Promise<Entry> {
    if (dir === this.d && name === 'loop') return { ino: this.d, attr: await this.getattr(this.d) };
    return super.lookup(dir, name);
  }
  override async readdir(ino: Ino, fh: number, cookie: number, limit?: number): Promise<DirEntry[]> {
    const batch = await super.readdir(ino, fh, cookie, limit);
    if (ino === this.d && batch.length === 0 && cookie < 1000) return [{ name: 'loop', ino: this.d, type: DT_DIR, next: 1000 }];
    return batch;
  }
}

test('a readdir whose cookies come back is EIO, not an endless listing', async () => {
  const fs = new LoopingReaddir();
  const api = await createFs(fs);
  await api.writeFile('/a', 'x');
  const p = api.proc;
  const fd = await p.open('/', O_RDONLY | O_DIRECTORY);
  await p.getdents(fd, 100);
  await assert.rejects(p.getdents(fd, 100), { code: 'EIO', syscall: 'getdents64' });
  await p.close(fd);
  await assert.rejects(api.readdir('/'), { code: 'EIO' });
});

test('a directory inside itself: the looping lookup and recursive walks are EIO, the rest works', async () => {
  const fs = new DirectoryCycle();
  const vfs = await Vfs.create(fs);
  const api = await createFs(vfs);
  await api.mkdir('/d');
  await api.writeFile('/d/f', 'x');
  fs.d = (await api.stat('/d')).ino;
  // Like Linux's d_splice_alias, the lookup that would put /d inside itself fails (EIO: corrupt data).
  await assert.rejects(api.stat('/d/loop/f'), { code: 'EIO', syscall: 'stat' });
  assert.equal((await api.stat('/d/f')).size, 1, 'the rest of the tree still works');
  await assert.rejects(api.readdir('/d', { recursive: true }), { code: 'EIO' });
  await assert.rejects(api.cp('/d', '/copy', { recursive: true }), { code: 'EIO' });
  await assert.rejects(api.rm('/d', { recursive: true }), { code: 'EIO' });
});

/**
 * Copies a whole tree from one Target to another with everything an
 * overlay layer holds: types (device nodes included, so whiteouts survive),
 * modes, owners, times, hard links, and every xattr (trusted.overlay.* too).
 * Used to move overlay layers between the kernel and memfs.
 */
import type { Target } from './target.js';

export async function copyTreeBetween(from: Target, to: Target, dir = '.'): Promise<void> {
  const links = new Map<number, string>();
  const times: Array<[string, bigint, bigint]> = [];
  await copyLevel(from, to, dir, links, times);
  for (const [p, a, m] of times.reverse()) await to.utimens(p, a, m, true);
}

async function copyLevel(from: Target, to: Target, dir: string, links: Map<number, string>, times: Array<[string, bigint, bigint]>): Promise<void> {
  for (const name of await from.readdir(dir)) {
    const p = dir === '.' ? name : `${dir}/${name}`;
    const s = await from.lstat(p);
    const type = s.mode & 0o170000;
    if (type !== 0o040000 && s.nlink > 1 && links.has(s.ino)) {
      await to.link(links.get(s.ino)!, p);
      continue;
    }
    if (type !== 0o040000) links.set(s.ino, p);
    if (type === 0o040000) await to.mkdir(p, 0o700);
    else if (type === 0o100000) {
      const fd = await to.open(p, 0o101, 0o600);
      const src = await from.open(p, 0);
      for (let pos = 0; ; ) {
        const b = await from.read(src, 1 << 20, pos);
        if (b.length === 0) break;
        if (b.some((x) => x !== 0)) await to.write(fd, b, pos);
        pos += b.length;
      }
      await from.close(src);
      await to.close(fd);
      await to.truncate(p, s.size);
    } else if (type === 0o120000) await to.symlink(await from.readlink(p), p);
    else await to.mknod(p, s.mode, s.rdev);
    if (type === 0o120000) await to.lchown(p, s.uid, s.gid);
    else {
      await to.chown(p, s.uid, s.gid);
      await to.chmod(p, s.mode & 0o7777);
    }
    if (type === 0o100000 || type === 0o040000) {
      for (const x of await from.listxattr(p, true)) await to.setxattr(p, x, await from.getxattr(p, x, true), 0, true);
    }
    times.push([p, s.atimeNs, s.mtimeNs]);
    if (type === 0o040000) await copyLevel(from, to, p, links, times);
  }
}

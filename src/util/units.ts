/** Human-readable sizes, the way `ls -h` and `qemu-img info` print them. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** "20 GiB", "512 MiB", "1.5 KiB", "300 B". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const s = v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '');
  return `${s} ${UNITS[u]}`;
}

/** Parses "10G", "512M", "4k", "1.5GiB", "1048576" into bytes (powers of 1024). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtpe]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  const power = ' kmgtpe'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** `anymount cat`: write files from inside an image to standard output. */
import { once } from 'node:events';
import { EXIT, UsageError, type Command } from '../command.js';
import { printError } from '../output.js';
import { addressWithPath, groupBySource, SOURCE_HELP, SOURCE_OPTIONS, withSource } from '../source.js';

const CHUNK = 1 << 20;

export const catCommand: Command = {
  name: 'cat',
  summary: 'print files from inside an image',
  usage: 'anymount cat SOURCE[:pN]:/path…',
  help: `Copies each file to standard output, in order, like cat(1).

${SOURCE_HELP}

Examples:
  anymount cat disk.qcow2:p2:/etc/fstab
  anymount cat cd.iso:/README.TXT | less`,
  options: { ...SOURCE_OPTIONS },
  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw new UsageError('cat needs at least one SOURCE:/path');
    const addresses = positionals.map(addressWithPath);
    let failed = false;
    for (const group of groupBySource(addresses).values()) {
      await withSource(group[0]!, values, false, async (fs) => {
        for (const a of group) {
          try {
            const fh = await fs.open(a.path, 'r');
            try {
              const buf = new Uint8Array(CHUNK);
              for (;;) {
                const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
                if (bytesRead === 0) break;
                // Copy: the buffer is reused while the stream may still hold it.
                if (!io.stdout.write(buf.slice(0, bytesRead))) await once(io.stdout, 'drain');
              }
            } finally {
              await fh.close();
            }
          } catch (e) {
            printError(io, e);
            failed = true;
          }
        }
      });
    }
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

/** `anymount cat`: write files from inside an image to standard output. */
import { once } from 'node:events';
import { EXIT, UsageError, type Command } from '../command.js';
import { forEachPath, SOURCE_HELP, SOURCE_OPTIONS } from '../source.js';

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
    const failed = await forEachPath(positionals, values, false, io, async (fs, a) => {
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
    });
    return failed ? EXIT.FAILURE : EXIT.OK;
  },
};

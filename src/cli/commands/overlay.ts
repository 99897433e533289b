/** `anymount overlay create BASE NEW.qcow2`: write "into" an image without touching it. */
import { createOverlay } from '../../node/qcow2-overlay.js';
import { parseSize } from '../../util/units.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { printJson } from '../output.js';

export const overlayCreateCommand: Command = {
  name: 'overlay',
  path: ['create'],
  summary: 'make a qcow2 overlay that takes the writes for an image',
  usage: 'anymount overlay create [--format FMT] [--cluster-size SIZE] [--force] [--json] BASE NEW.qcow2',
  help: `Creates NEW.qcow2, an empty qcow2 image backed by BASE: it reads as BASE
until written, and every write lands in NEW. BASE is never modified, so this
is how to change a read-only image (a CD image, a forensic copy, a shared
template): write to NEW with --rw and throw it away, or keep it. Same
result as 'qemu-img create -f qcow2 -b BASE -F FMT NEW.qcow2'.

BASE is stored as you name it: relative to NEW's directory if you give a
relative path (so the pair can be moved together), absolute otherwise.

  --format FMT          BASE's format (default: detected)
  --cluster-size SIZE   cluster size of NEW (512 to 2M, default 64k)
  --force               replace NEW if it exists
  --json                print what was created

Example:
  anymount overlay create debian.qcow2 scratch.qcow2
  anymount cp --rw notes.txt scratch.qcow2:p1:/notes.txt`,
  options: {
    format: { type: 'string' },
    'cluster-size': { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length !== 2) throw new UsageError('overlay create takes BASE and NEW');
    let clusterSize: number | undefined;
    if (values['cluster-size'] !== undefined) {
      try {
        clusterSize = parseSize(String(values['cluster-size']));
      } catch {
        throw new UsageError(`bad --cluster-size '${values['cluster-size']}'`);
      }
    }
    const created = await createOverlay(positionals[0]!, positionals[1]!, {
      ...(values.force ? { overwrite: true } : {}),
      ...(typeof values.format === 'string' ? { baseFormat: values.format } : {}),
      ...(clusterSize !== undefined ? { clusterSize } : {}),
    });
    if (values.json) printJson(io, { path: positionals[1], ...created });
    return EXIT.OK;
  },
};

// The conformance suite's read-only cases against our iso9660 driver (trees written by xorriso -R --hardlinks).
import { runConformance } from './runner.js';
import { iso9660ReadOnlySetup } from './setup/iso9660.js';

runConformance(iso9660ReadOnlySetup);

// The conformance suite against the Linux kernel (tmpfs, read-only tmpfs, overlayfs): checks the suite's own expectations.
import { runConformance } from './runner.js';
import { linuxOverlaySetup, linuxTmpfsReadOnlySetup, linuxTmpfsSetup } from './setup/linux.js';

runConformance(linuxTmpfsSetup);
runConformance(linuxTmpfsReadOnlySetup);
runConformance(linuxOverlaySetup);

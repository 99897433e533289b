// The conformance suite through FUSE mounts (memfs writable and read-only, overlay), cases run with node:fs on the mount point.
import { runConformance } from './runner.js';
import { fuseMemfsReadOnlySetup, fuseMemfsSetup, fuseOverlaySetup } from './setup/fuse.js';

runConformance(fuseMemfsSetup);
runConformance(fuseMemfsReadOnlySetup);
runConformance(fuseOverlaySetup);

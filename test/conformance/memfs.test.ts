// The conformance suite against memfs through the Vfs, writable and read-only.
import { runConformance } from './runner.js';
import { memfsReadOnlySetup, memfsSetup } from './setup/memfs.js';

runConformance(memfsSetup);
runConformance(memfsReadOnlySetup);

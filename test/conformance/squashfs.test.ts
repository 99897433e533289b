// The conformance suite's read-only cases against our squashfs driver (trees packed by mksquashfs).
import { runConformance } from './runner.js';
import { squashfsReadOnlySetup } from './setup/squashfs.js';

runConformance(squashfsReadOnlySetup);

// The conformance suite against our overlay: memfs lower and upper, a read-only lower, and no upper.
import { runConformance } from './runner.js';
import { overlayReadOnlySetup, overlaySetupMemfs, overlaySetupReadOnlyLower } from './setup/overlay.js';

runConformance(overlaySetupMemfs);
runConformance(overlaySetupReadOnlyLower);
runConformance(overlayReadOnlySetup);

// The conformance suite against the ext4 driver (read-only; trees written by the kernel).
import { runConformance } from './runner.js';
import { ext4ReadOnlySetup } from './setup/ext4.js';

runConformance(ext4ReadOnlySetup);

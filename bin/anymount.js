#!/usr/bin/env node
// The FUSE host keeps several reads outstanding on the libuv threadpool; size it before the pool starts.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));

// Runs every compiled test under dist/test with Node's test runner. Extra arguments
// narrow the run to some folders or files, e.g. `node scripts/run-tests.js dist/test/block`.
import { spawnSync } from 'node:child_process';

const targets = process.argv.slice(2);
const args = ['--test', '--test-concurrency=2', ...(targets.length ? targets : ['dist/test/'])];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);

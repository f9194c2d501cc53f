// Runs the compiled tests (dist/test/**/*.test.js) with Node's test runner. Files are
// listed explicitly: given a folder, Node would also run every helper module under a
// `test/` directory (fixtures, child-process writers) as if it were a test.
// Extra arguments narrow the run to folders or files, e.g. `node scripts/run-tests.js dist/test/block`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? testFiles(join(path, e.name)) : e.name.endsWith('.test.js') ? [join(path, e.name)] : []));
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['dist/test']).flatMap(testFiles);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);

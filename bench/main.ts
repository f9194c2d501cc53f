// `npm run bench -- NAME [args]` runs bench/NAME.ts (compiled to dist/bench/NAME.js).
// Each benchmark prints its figures as ratios against a reference run in the same invocation.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'main.js')
  .map((f) => f.slice(0, -3));

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [args]\navailable: ${available.join(' ') || '(none yet)'}`);
  process.exit(name ? 1 : 0);
}
const mod = (await import(pathToFileURL(`${here}/${name}.js`).href)) as { run(args: string[]): Promise<void> };
await mod.run(args);

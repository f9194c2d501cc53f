// `npm start` (after the build): makes sure the Linux test guest is built, then boots it
// with -nographic on this terminal. Extra arguments go to termu.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const { ensureLinuxGuest } = await import('../dist/test/guests/linux.js');
const guest = await ensureLinuxGuest();
const termu = fileURLToPath(new URL('../bin/termu', import.meta.url));
const args = ['-nographic', '-m', '256', '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyS0', ...process.argv.slice(2)];
const r = spawnSync(process.execPath, [termu, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);

// `npm start` (after the build): makes sure the Linux test guest is built, then boots it in
// the terminal UI on this terminal: kernel messages on the VGA console (display pane) and on
// COM1 (serial pane, Alt+3), the shell on the VGA console. Extra arguments go to termu
// (e.g. `npm start -- -nographic -append console=ttyS0` for the serial console on stdio).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const { ensureLinuxGuest } = await import('../dist/test/guests/linux.js');
const guest = await ensureLinuxGuest();
const termu = fileURLToPath(new URL('../bin/termu', import.meta.url));
const args = ['-m', '256', '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyS0 console=tty0', ...process.argv.slice(2)];
// bin/termu itself, so its #! line's Node options apply.
const r = spawnSync(termu, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);

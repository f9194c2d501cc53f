// Drives qemu-system-i386's human monitor on stdio one line at a time, waiting for each
// prompt (piping all input at once lets QEMU drop lines after its stdin ends).
import { spawn } from 'node:child_process';

export const HAVE_QEMU = (await import('node:child_process')).spawnSync('qemu-system-i386', ['-version']).status === 0;

/** Everything QEMU printed for `lines` (each ending in '\n'), then `quit`. */
export async function qemuMonitor(args: string[], lines: string[]): Promise<string> {
  const p = spawn('qemu-system-i386', ['-display', 'none', '-S', ...args, '-monitor', 'stdio']);
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const prompts = () => out.split('(qemu) ').length - 1;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  const settled = async (seen: number) => {
    const deadline = Date.now() + 60000;
    while (!(prompts() > seen && out.endsWith('(qemu) '))) {
      if (Date.now() > deadline || p.exitCode !== null) throw new Error(`qemu-system-i386 stopped answering; it printed:\n${out}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    await settled(0);
    for (const line of lines) {
      const seen = prompts();
      p.stdin.write(line);
      await settled(seen);
    }
    p.stdin.end('quit\n');
    await exited;
  } finally {
    p.kill('SIGKILL');
  }
  return out;
}

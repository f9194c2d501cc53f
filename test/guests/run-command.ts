// Runs a host tool for a guest builder and fails with its stderr when it fails.
import { spawn } from 'node:child_process';

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve with a non-zero status instead of rejecting. */
  allowFailure?: boolean;
}

export function runCommand(cmd: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const result = { status: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (result.status !== 0 && !options.allowFailure) {
        const why = signal ? `killed by ${signal}` : `exit status ${result.status}`;
        reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${result.stderr.trim()}`));
      } else {
        resolvePromise(result);
      }
    });
  });
}

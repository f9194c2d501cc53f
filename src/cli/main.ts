// termu's entry point: argv → MachineConfig → a running machine. Every error before the
// guest runs is printed the QEMU way (`termu: …`) and ends with status 1; the terminal is
// restored on every way out.

import { CliError, formatCliError, PROGRAM_NAME } from './cli-error.js';
import { isDaemonChild, signalDaemonReady, startDaemon } from './daemonize.js';
import { parseArgs } from './parse-args.js';
import { removePidfile, writePidfile } from './pidfile.js';
import { MachineHost } from '../vm/machine/machine-host.js';
import { restoreTerminal } from '../vm/chardev/terminal-mode.js';
import { TerminalFrontEnd, wantsTerminalUi } from '../tui/terminal-front-end.js';
import { QEMU_COMPAT_VERSION } from '../monitor/hmp-commands.js';
import { helpText } from './help.js';

function fail(e: unknown): never {
  restoreTerminal();
  removePidfile();
  if (e instanceof CliError) process.stderr.write(formatCliError(e));
  else process.stderr.write(`${PROGRAM_NAME}: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
}

export async function main(argv: string[]): Promise<void> {
  let config;
  try {
    config = parseArgs(argv);
  } catch (e) {
    fail(e);
  }
  if (config.show !== null) {
    const version = `${PROGRAM_NAME} emulator version ${QEMU_COMPAT_VERSION} (termu)`;
    process.stdout.write(config.show === 'help' ? helpText(version) : `${version}\n`);
    process.exit(0);
  }
  if (config.daemonize && !isDaemonChild()) {
    process.exit(await startDaemon(argv));
  }
  for (const w of config.warnings) process.stderr.write(`${PROGRAM_NAME}: ${w}\n`);
  try {
    if (config.pidfile) writePidfile(config.pidfile);
    const frontEnd = wantsTerminalUi(config, process.stdin.isTTY === true, process.stdout.isTTY === true) ? new TerminalFrontEnd(config) : undefined;
    const host = new MachineHost(config, {
      exit: (status) => {
        restoreTerminal();
        removePidfile();
        process.exit(status);
      },
    }, frontEnd);
    await host.start();
  } catch (e) {
    fail(e);
  }
  if (isDaemonChild()) signalDaemonReady();
}

await main(process.argv.slice(2));

// termu-img: qemu-img's command line over termu's block layer.
import { BlockError } from '../../vm/block/block-error.js';
import { helpText, HelpRequested } from './help.js';
import { report, ImgError, UsageError, out, PROG } from './output.js';
import { runAmend } from './commands/amend.js';
import { runBench } from './commands/bench.js';
import { runBitmap } from './commands/bitmap.js';
import { runCheck } from './commands/check.js';
import { runCommit } from './commands/commit.js';
import { runCompare } from './commands/compare.js';
import { runConvert } from './commands/convert.js';
import { runCreate } from './commands/create.js';
import { runDd } from './commands/dd.js';
import { runInfo } from './commands/info.js';
import { runMap } from './commands/map.js';
import { runMeasure } from './commands/measure.js';
import { runRebase } from './commands/rebase.js';
import { runResize } from './commands/resize.js';
import { runSnapshot } from './commands/snapshot.js';

const COMMANDS: Record<string, (argv: string[]) => number | Promise<number>> = {
  amend: runAmend, bench: runBench, bitmap: runBitmap, check: runCheck, commit: runCommit, compare: runCompare, convert: runConvert, create: runCreate, dd: runDd,
  info: runInfo, map: runMap, measure: runMeasure, rebase: runRebase, resize: runResize, snapshot: runSnapshot,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  try {
    if (cmd === undefined) throw new UsageError('Not enough arguments');
    if (cmd === '--help' || cmd === '-h') throw new HelpRequested();
    if (cmd === '--version' || cmd === '-V') {
      out(`${PROG} version 7.2.0 (termu)\n`);
      return 0;
    }
    const run = COMMANDS[cmd];
    if (!run) throw new UsageError(`Command not found: ${cmd}`);
    return await run(args);
  } catch (e) {
    if (e instanceof HelpRequested) {
      out(helpText());
      return 0;
    }
    if (e instanceof ImgError) return report(e);
    if (e instanceof BlockError) return report(new ImgError(e.message));
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));

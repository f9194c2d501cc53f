// termu-img: qemu-img's command line over termu's block layer.
import { BlockError } from '../../vm/block/block-error.js';
import { helpText, HelpRequested } from './help.js';
import { report, ImgError, UsageError, out, PROG } from './output.js';
type Command = (argv: string[]) => Promise<number>;

// Each command's module loads only when it runs, which keeps startup short.
const COMMANDS: Record<string, Command> = {
  amend: async (a) => (await import('./commands/amend.js')).runAmend(a),
  bench: async (a) => (await import('./commands/bench.js')).runBench(a),
  bitmap: async (a) => (await import('./commands/bitmap.js')).runBitmap(a),
  check: async (a) => (await import('./commands/check.js')).runCheck(a),
  commit: async (a) => (await import('./commands/commit.js')).runCommit(a),
  compare: async (a) => (await import('./commands/compare.js')).runCompare(a),
  convert: async (a) => (await import('./commands/convert.js')).runConvert(a),
  create: async (a) => (await import('./commands/create.js')).runCreate(a),
  dd: async (a) => (await import('./commands/dd.js')).runDd(a),
  info: async (a) => (await import('./commands/info.js')).runInfo(a),
  map: async (a) => (await import('./commands/map.js')).runMap(a),
  measure: async (a) => (await import('./commands/measure.js')).runMeasure(a),
  rebase: async (a) => (await import('./commands/rebase.js')).runRebase(a),
  resize: async (a) => (await import('./commands/resize.js')).runResize(a),
  snapshot: async (a) => (await import('./commands/snapshot.js')).runSnapshot(a),
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
    const run = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
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

// No top-level await: the single-file build (single-file-build.ts) runs this as CommonJS.
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

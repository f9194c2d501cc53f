// GNU getopt_long as qemu-img uses it (option string with a leading ':'), including how
// it names the offending argument in "unrecognized option" errors.
import { HelpRequested } from './help.js';
import { UsageError } from './output.js';

export interface LongOption {
  name: string;
  hasArg: boolean;
  /** Key returned for this option (defaults to the name). */
  key?: string;
}

export interface ParsedArgs {
  opts: Array<[string, string]>;
  rest: string[];
}

/**
 * `short` lists option letters, a ':' after a letter meaning it takes an argument. Where it
 * has 'h', -h and --help print the help at once (HelpRequested), as in every qemu-img command.
 */
export function getopt(argv: string[], short: string, longs: LongOption[] = []): ParsedArgs {
  if (short.includes('h')) longs = [...longs, { name: 'help', hasArg: false, key: 'h' }];
  const opts: Array<[string, string]> = [];
  const rest: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const matches = longs.filter((l) => l.name.startsWith(name));
      const exact = longs.find((l) => l.name === name);
      const lo = exact ?? (matches.length === 1 ? matches[0] : undefined);
      if (!lo) throw new UsageError(`unrecognized option '${a}'`);
      if (lo.key === 'h') throw new HelpRequested();
      if (lo.hasArg) {
        if (eq >= 0) opts.push([lo.key ?? lo.name, a.slice(eq + 1)]);
        else if (i + 1 < argv.length) opts.push([lo.key ?? lo.name, argv[++i]]);
        else throw new UsageError(`missing argument for option '${a}'`);
      } else {
        opts.push([lo.key ?? lo.name, '']);
      }
      i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k];
        const at = short.indexOf(c);
        if (c === ':' || at < 0) {
          // getopt reports argv[optind-1]: the argument itself when `c` ends it, else the previous one.
          throw new UsageError(`unrecognized option '${k === a.length - 1 ? a : argv[i - 1] ?? a}'`);
        }
        if (c === 'h') throw new HelpRequested();
        if (short[at + 1] === ':') {
          if (k + 1 < a.length) opts.push([c, a.slice(k + 1)]);
          else if (i + 1 < argv.length) opts.push([c, argv[++i]]);
          else throw new UsageError(`missing argument for option '-${c}'`);
          break;
        }
        opts.push([c, '']);
      }
      i++;
      continue;
    }
    rest.push(a);
    i++;
  }
  return { opts, rest };
}

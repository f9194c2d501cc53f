// Tab completion for the HMP line editor, as QEMU's monitor_find_completion offers it:
// command names (with their aliases), `info` subcommands, sendkey's key names after the
// last '-', and file names for the arguments that name files.

import { readdirSync, statSync } from 'node:fs';
import { COMMANDS, INFO_COMMANDS, type HmpCommand } from './hmp-commands.js';
import { QKEYCODE_NAMES } from './qkeycode.js';

export interface Completion {
  /** How many characters of the word being completed are already typed. */
  typed: number;
  candidates: string[];
}

function namesStartingWith(table: HmpCommand[], prefix: string): string[] {
  return table.flatMap((c) => c.names.split('|')).filter((n) => n.startsWith(prefix));
}

/** Paths that complete `input`, directories with a '/', as QEMU's file_completion lists them (whole paths). */
function completeFile(input: string): Completion {
  const slash = input.lastIndexOf('/');
  const dir = input.slice(0, slash + 1);
  const prefix = input.slice(slash + 1);
  let names: string[];
  try {
    names = readdirSync(dir === '' ? '.' : dir);
  } catch {
    return { typed: input.length, candidates: [] };
  }
  const candidates = names
    .filter((n) => n.startsWith(prefix))
    .map((n) => {
      const path = dir + n;
      try {
        return statSync(path).isDirectory() ? `${path}/` : path;
      } catch {
        return path;
      }
    });
  return { typed: input.length, candidates };
}

/** What Tab offers for `line` (the text before the cursor). */
export function completeLine(line: string): Completion {
  const words = line.split(/\s+/).filter((w) => w !== '');
  if (line === '' || /\s$/.test(line)) words.push('');
  if (words.length <= 1) {
    const prefix = words[0] ?? '';
    return { typed: prefix.length, candidates: namesStartingWith(COMMANDS, prefix) };
  }
  const name = words[0];
  const current = words[words.length - 1];
  if (name === 'info' || name === 'help' || name === '?') {
    if (words.length !== 2) return { typed: current.length, candidates: [] };
    return { typed: current.length, candidates: namesStartingWith(name === 'info' ? INFO_COMMANDS : COMMANDS, current) };
  }
  const command = COMMANDS.find((c) => c.names.split('|').includes(name));
  if (!command) return { typed: current.length, candidates: [] };
  if (name === 'sendkey' && words.length === 2) {
    const dash = current.lastIndexOf('-');
    const key = current.slice(dash + 1);
    return { typed: key.length, candidates: QKEYCODE_NAMES.filter((k) => k.startsWith(key)) };
  }
  if (command.fileArgument === words.length - 2) return completeFile(current);
  return { typed: current.length, candidates: [] };
}

// An error the command line (or machine setup) reports the way QEMU does: one or more
// messages on stderr, each prefixed with the program name, exit status 1.

export const PROGRAM_NAME = 'termu';

export class CliError extends Error {
  /** Each message becomes one `termu: <message>` report; a message may span lines. */
  constructor(readonly messages: string[]) {
    super(messages.join('\n'));
  }

  /** Messages about option text `opt` (as typed, with its argument): `-m abc: <message>`. */
  static forOption(opt: string, ...messages: string[]): CliError {
    return new CliError(messages.map((m) => `${opt}: ${m}`));
  }
}

export function formatCliError(e: CliError): string {
  return e.messages.map((m) => `${PROGRAM_NAME}: ${m}\n`).join('');
}

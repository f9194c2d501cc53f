// termu-img's output channels and the errors that end a command with qemu-img's texts.
import { writeSync } from 'node:fs';

export const PROG = 'termu-img';

export function out(s: string): void {
  writeSync(1, s);
}

export function err(s: string): void {
  writeSync(2, s);
}

/** An error printed as "termu-img: <message>" that ends the command with `exitCode`. */
export class ImgError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** A command-line error, followed by the "Try … --help" hint. */
export class UsageError extends ImgError {}

export function report(e: ImgError): number {
  err(`${PROG}: ${e.message}\n`);
  if (e instanceof UsageError) err(`Try '${PROG} --help' for more information\n`);
  return e.exitCode;
}

// HMP's argument parser, as QEMU's monitor_parse_arguments reads a command line against
// the command's args_type string ("keys:s,hold-time:i?", "fmt:/,addr:l", "force:-f,device:B"):
// strings (optionally double-quoted), integer expressions with $registers, the /count-
// format-size spec of x/xp, -x flags, and optional arguments. Errors carry QEMU's text.

export interface MemoryFormat {
  count: number;
  /** One of x d u o c i. */
  format: string;
  /** Bytes per item; -1 for 'i' without a size. */
  size: number;
}

export type ArgValue = string | number | boolean | MemoryFormat;
export type ArgValues = Map<string, ArgValue>;

export interface FormatDefaults {
  format: string;
  size: number;
}

/** The last format and size x/xp used: one pair for the whole process, as QEMU's statics. */
export const FORMAT_DEFAULTS: FormatDefaults = { format: 'x', size: 4 };

export interface ParseEnv {
  defaults: FormatDefaults;
  /** A register's value for `$name`, or undefined when there is no such register. */
  register(name: string): number | undefined;
}

/** An argument error: QEMU's message (one or more lines, without the "Try help" line). */
export class HmpArgumentError extends Error {}

interface ArgSpec {
  key: string;
  type: string;
  optional: boolean;
  /** For flags: the option letter. */
  flag?: string;
}

function parseArgsType(argsType: string): ArgSpec[] {
  if (argsType === '') return [];
  return argsType.split(',').map((part) => {
    const [key, type] = part.split(':');
    if (type.startsWith('-')) return { key, type: '-', optional: true, flag: type.slice(1) };
    return { key, type: type.replace('?', ''), optional: type.endsWith('?') };
  });
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** Parses `line` (what follows the command name) for command `name`. */
export function parseArguments(name: string, argsType: string, line: string, env: ParseEnv): ArgValues {
  const values: ArgValues = new Map();
  const specs = parseArgsType(argsType);
  let p = 0;
  const skipSpace = () => {
    while (isSpace(line[p])) p++;
  };
  for (const spec of specs) {
    skipSpace();
    switch (spec.type) {
      case 's':
      case 'F':
      case 'B': {
        if (spec.optional && p >= line.length) break;
        const r = readString(line, p);
        if (r === undefined) {
          const what = spec.type === 'F' ? 'filename' : spec.type === 'B' ? 'block device name' : 'string';
          throw new HmpArgumentError(`${name}: ${what} expected`);
        }
        values.set(spec.key, r.value);
        p = r.end;
        break;
      }
      case '/': {
        const r = readFormat(line, p, env.defaults);
        values.set(spec.key, r.format);
        p = r.end;
        break;
      }
      case 'i':
      case 'l': {
        if (spec.optional && p >= line.length) break;
        const expr = new Expression(line, p, env);
        const value = expr.evaluate();
        p = expr.position;
        if (spec.type === 'i' && BigInt.asUintN(64, value) >> 32n !== 0n) {
          throw new HmpArgumentError(`'${name}' has failed: integer is for 32-bit values`);
        }
        values.set(spec.key, Number(BigInt.asUintN(spec.type === 'i' ? 32 : 64, value)));
        break;
      }
      case '-': {
        if (line[p] !== '-') break;
        if (line[p + 1] === spec.flag) {
          values.set(spec.key, true);
          p += 2;
        } else if (!specs.some((s) => s.type === '-' && s.flag === line[p + 1])) {
          throw new HmpArgumentError(`${name}: unsupported option -${line[p + 1] ?? ''}`);
        }
        break;
      }
    }
  }
  skipSpace();
  if (p < line.length) throw new HmpArgumentError(`${name}: extraneous characters at the end of line`);
  return values;
}

/** A bare word up to white space, or a double-quoted string with \n \r \\ \' \" escapes. */
function readString(line: string, start: number): { value: string; end: number } | undefined {
  let p = start;
  if (p >= line.length) return undefined;
  let value = '';
  if (line[p] !== '"') {
    while (p < line.length && !isSpace(line[p])) value += line[p++];
    return { value, end: p };
  }
  p++;
  while (p < line.length && line[p] !== '"') {
    if (line[p] !== '\\') {
      value += line[p++];
      continue;
    }
    const c = line[p + 1];
    p += 2;
    if (c === 'n') value += '\n';
    else if (c === 'r') value += '\r';
    else if (c === '\\' || c === "'" || c === '"') value += c;
    else return undefined;
  }
  if (line[p] !== '"') return undefined;
  return { value, end: p + 1 };
}

function readFormat(line: string, start: number, defaults: FormatDefaults): { format: MemoryFormat; end: number } {
  let p = start;
  if (line[p] !== '/') {
    return { format: { count: 1, format: defaults.format, size: defaults.format === 'i' ? -1 : defaults.size }, end: p };
  }
  p++;
  let count = 1;
  if (isDigit(line[p])) {
    count = 0;
    while (isDigit(line[p])) count = count * 10 + Number(line[p++]);
  }
  let format = '';
  let size = -1;
  for (;;) {
    const c = line[p];
    if (c !== undefined && 'oduxic'.includes(c)) format = c;
    else if (c === 'b') size = 1;
    else if (c === 'h') size = 2;
    else if (c === 'w') size = 4;
    else if (c === 'g' || c === 'L') size = 8;
    else break;
    p++;
  }
  if (p < line.length && !isSpace(line[p])) throw new HmpArgumentError(`invalid char in format: '${line[p]}'`);
  if (format === '') format = defaults.format;
  if (format !== 'i') {
    if (size < 0) size = defaults.size;
    defaults.size = size;
  }
  defaults.format = format;
  return { format: { count, format, size }, end: p };
}

/** QEMU's monitor expressions: + - * / % & | ^, unary + - ~, ( ), 'c', $reg, C numbers. */
class Expression {
  constructor(private readonly text: string, public position: number, private readonly env: ParseEnv) {}

  evaluate(): bigint {
    this.skipSpace();
    return this.sum();
  }

  private get c(): string | undefined {
    return this.text[this.position];
  }

  private skipSpace(): void {
    while (isSpace(this.c)) this.position++;
  }

  /** Consumes the operator and the white space after it. */
  private next(): void {
    this.position++;
    this.skipSpace();
  }

  private sum(): bigint {
    let v = this.product();
    for (let op = this.c; op === '+' || op === '-'; op = this.c) {
      this.next();
      const w = this.product();
      v = BigInt.asIntN(64, op === '+' ? v + w : v - w);
    }
    return v;
  }

  private product(): bigint {
    let v = this.logic();
    for (let op = this.c; op === '*' || op === '/' || op === '%'; op = this.c) {
      this.next();
      const w = this.logic();
      if (op === '*') v = BigInt.asIntN(64, v * w);
      else {
        if (w === 0n) throw new HmpArgumentError('division by zero');
        v = op === '/' ? v / w : v % w;
      }
    }
    return v;
  }

  private logic(): bigint {
    let v = this.unary();
    for (let op = this.c; op === '&' || op === '|' || op === '^'; op = this.c) {
      this.next();
      const w = this.unary();
      v = op === '&' ? v & w : op === '|' ? v | w : v ^ w;
    }
    return v;
  }

  private unary(): bigint {
    const c = this.c;
    let v: bigint;
    switch (c) {
      case '+':
        this.next();
        return this.unary();
      case '-':
        this.next();
        return BigInt.asIntN(64, -this.unary());
      case '~':
        this.next();
        return ~this.unary();
      case '(':
        this.next();
        v = this.sum();
        if (this.c !== ')') throw new HmpArgumentError("')' expected");
        this.next();
        return v;
      case "'":
        this.position++;
        if (this.c === undefined) throw new HmpArgumentError('character constant expected');
        v = BigInt(this.c.charCodeAt(0));
        this.position++;
        if (this.c !== "'") throw new HmpArgumentError("missing terminating ' character");
        this.next();
        return v;
      case '$': {
        this.position++;
        const m = /^[a-zA-Z_0-9.]*/.exec(this.text.slice(this.position))![0];
        this.position += m.length;
        const reg = this.env.register(m);
        if (reg === undefined) throw new HmpArgumentError('unknown register');
        this.skipSpace();
        return BigInt(reg);
      }
      case undefined:
        throw new HmpArgumentError('unexpected end of expression');
      default: {
        // strtoull with base 0: 0x hex, leading 0 octal, else decimal.
        const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(this.text.slice(this.position));
        if (!m) throw new HmpArgumentError(`invalid char '${c}' in expression`);
        const digits = m[0];
        const n = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits[0] === '0' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
        if (n > 0xffffffffffffffffn) throw new HmpArgumentError('number too large');
        this.position += digits.length;
        this.skipSpace();
        return BigInt.asIntN(64, n);
      }
    }
  }
}

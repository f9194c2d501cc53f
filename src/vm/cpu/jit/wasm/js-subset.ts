// A parser for the small subset of JavaScript that the region compiler emits for a block
// (the instruction templates of alu.ts and flags.ts over a region's locals), so the wasm
// back end compiles the very source the JavaScript back end runs: statements are blocks,
// `if`/`else`, `continue`, `break L` and expressions; expressions are numbers, names,
// member and index reads, calls, unary and binary operators, `?:` and assignments.
// Anything else is an Unsupported error, and the region stays JavaScript.

export class Unsupported extends Error {}

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'id'; name: string }
  | { k: 'member'; obj: string; prop: string }
  | { k: 'index'; obj: string; index: Expr }
  | { k: 'call'; callee: string; args: Expr[] }
  | { k: 'unary'; op: string; x: Expr }
  | { k: 'binary'; op: string; l: Expr; r: Expr }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  | { k: 'assign'; op: string; target: Expr; value: Expr };

export type Stmt =
  | { k: 'expr'; e: Expr }
  | { k: 'block'; body: Stmt[] }
  | { k: 'if'; c: Expr; t: Stmt; f: Stmt | null }
  | { k: 'continue' }
  | { k: 'break'; label: string };

const PUNCTUATORS = new Set([
  '>>>=', '===', '!==', '>>>', '<<=', '>>=', '&&', '||', '<<', '>>', '<=', '>=', '==', '!=', '+=', '-=', '&=', '|=', '^=',
  '{', '}', '(', ')', '[', ']', ';', ',', '.', '?', ':', '=', '<', '>', '+', '-', '*', '%', '&', '|', '^', '!', '~',
]);

/** Token kinds: the end of the source, a number, a name, a punctuator. */
const END = 0, NUM = 1, NAME = 2, PUNCT = 3;

/** Character classes for the scanner: 1 starts a name, 2 continues one (digits), 0 neither. */
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  NAME_CHAR[c] = /[A-Za-z_$]/.test(ch) ? 1 : /[0-9]/.test(ch) ? 2 : 0;
}

/**
 * Scans by character codes, one token ahead of the parser, with no token objects: regions
 * carry tens of KiB of source, a boot translates thousands, and collecting a token array's
 * garbage took a fifth of the translator's time.
 */
class Lexer {
  private i = 0;
  /** The current token: its kind, its text (names and punctuators) and its value (numbers). */
  kind = END;
  text = '';
  value = 0;

  constructor(private readonly src: string) {
    this.advance();
  }

  advance(): void {
    const src = this.src, n = src.length;
    let i = this.i;
    for (;;) {
      if (i >= n) {
        this.kind = END;
        this.text = '';
        this.i = i;
        return;
      }
      const c = src.charCodeAt(i);
      if (c === 32 || c === 10 || c === 9 || c === 13) {
        i++;
      } else if (c === 47 && src.charCodeAt(i + 1) === 42) { // /* … */
        const end = src.indexOf('*/', i + 2);
        if (end < 0) throw new Unsupported('unterminated comment');
        i = end + 2;
      } else if (c === 47 && src.charCodeAt(i + 1) === 47) { // // …
        const end = src.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (c >= 48 && c <= 57) {
        // The value as the digits go by (exact: literals are below 2^53), not Number() of a slice.
        let j = i + 1, v = c - 48;
        if (c === 48 && (src.charCodeAt(j) | 0x20) === 120) {
          for (j++; j < n; j++) {
            const d = src.charCodeAt(j), lower = d | 0x20;
            if (d >= 48 && d <= 57) v = v * 16 + (d - 48);
            else if (lower >= 97 && lower <= 102) v = v * 16 + (lower - 87);
            else break;
          }
        } else {
          for (; j < n; j++) {
            const d = src.charCodeAt(j);
            if (d < 48 || d > 57) break;
            v = v * 10 + (d - 48);
          }
        }
        this.set(NUM, '', v, j);
        return;
      } else if (c < 128 && NAME_CHAR[c] === 1) {
        let j = i + 1;
        while (j < n) {
          const d = src.charCodeAt(j);
          if (d >= 128 || NAME_CHAR[d] === 0) break;
          j++;
        }
        this.set(NAME, src.slice(i, j), 0, j);
        return;
      } else {
        const p = punctuationAt(src, i);
        this.set(PUNCT, p, 0, i + p.length);
        return;
      }
    }
  }

  private set(kind: number, text: string, value: number, next: number): void {
    this.kind = kind;
    this.text = text;
    this.value = value;
    this.i = next;
  }
}

/** Punctuators by the code of their first character, longest first (an array: no hashing per token). */
const PUNCTUATORS_BY_FIRST: (string[] | undefined)[] = new Array<string[] | undefined>(128).fill(undefined);
for (const p of [...PUNCTUATORS].sort((a, b) => b.length - a.length)) (PUNCTUATORS_BY_FIRST[p.charCodeAt(0)] ??= []).push(p);

/** The longest punctuator at `i`. */
function punctuationAt(src: string, i: number): string {
  const c = src.charCodeAt(i);
  const list = c < 128 ? PUNCTUATORS_BY_FIRST[c] : undefined;
  if (list) for (const p of list) if (p.length === 1 || src.startsWith(p, i)) return p;
  throw new Unsupported(`unexpected '${src[i]}'`);
}

/** Binary operators by precedence (higher binds tighter). */
const PRECEDENCE = new Map<string, number>([
  ['||', 1], ['&&', 2], ['|', 3], ['^', 4], ['&', 5], ['===', 6], ['!==', 6], ['==', 6], ['!=', 6],
  ['<', 7], ['<=', 7], ['>', 7], ['>=', 7], ['<<', 8], ['>>', 8], ['>>>', 8], ['+', 9], ['-', 9], ['*', 10], ['%', 10],
]);
const ASSIGN_OPS = new Set(['=', '+=', '-=', '&=', '|=', '^=', '<<=', '>>=', '>>>=']);

/**
 * The value JavaScript gives `l op r` for the arithmetic and bitwise operators (emitted code
 * is full of `(31 - 31)` and the like); undefined for the others, which stay as they are.
 */
function foldConstants(op: string, l: number, r: number): number | undefined {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '&': return l & r;
    case '|': return l | r;
    case '^': return l ^ r;
    case '<<': return l << r;
    case '>>': return l >> r;
    case '>>>': return l >>> r;
    default: return undefined;
  }
}

/** Parses a statement list. */
export function parseStatements(src: string): Stmt[] {
  return new Parser(new Lexer(src)).program();
}

class Parser {
  constructor(private readonly lex: Lexer) {}

  program(): Stmt[] {
    const out: Stmt[] = [];
    while (this.lex.kind !== END) out.push(this.statement());
    return out;
  }

  /** The current token is the name or punctuator `s`. */
  private peek(s: string): boolean {
    return this.lex.kind >= NAME && this.lex.text === s;
  }

  private eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.lex.advance();
    return true;
  }

  private expect(s: string): void {
    if (!this.eat(s)) throw new Unsupported(`expected '${s}'`);
  }

  private ident(): string {
    if (this.lex.kind !== NAME) throw new Unsupported('expected a name');
    const name = this.lex.text;
    this.lex.advance();
    return name;
  }

  private statement(): Stmt {
    if (this.eat('{')) {
      const body: Stmt[] = [];
      while (!this.eat('}')) {
        if (this.lex.kind === END) throw new Unsupported('unterminated block');
        body.push(this.statement());
      }
      return { k: 'block', body };
    }
    if (this.eat(';')) return { k: 'block', body: [] };
    if (this.eat('if')) {
      this.expect('(');
      const c = this.expression();
      this.expect(')');
      const t = this.statement();
      const f = this.eat('else') ? this.statement() : null;
      return { k: 'if', c, t, f };
    }
    if (this.eat('continue')) {
      this.expect(';');
      return { k: 'continue' };
    }
    if (this.eat('break')) {
      const label = this.ident();
      this.expect(';');
      return { k: 'break', label };
    }
    const e = this.expression();
    this.expect(';');
    return { k: 'expr', e };
  }

  private expression(): Expr {
    const left = this.conditional();
    const lex = this.lex;
    if (lex.kind === PUNCT && ASSIGN_OPS.has(lex.text)) {
      const op = lex.text;
      lex.advance();
      if (left.k !== 'id' && left.k !== 'member' && left.k !== 'index') throw new Unsupported('bad assignment target');
      return { k: 'assign', op, target: left, value: this.expression() };
    }
    return left;
  }

  private conditional(): Expr {
    const c = this.binary(1);
    if (!this.eat('?')) return c;
    const t = this.expression();
    this.expect(':');
    return { k: 'cond', c, t, f: this.expression() };
  }

  /** Precedence climbing: operators of at least `min`, left-associative. */
  private binary(min: number): Expr {
    let l = this.unary();
    const lex = this.lex;
    for (;;) {
      if (lex.kind !== PUNCT) return l;
      const op = lex.text;
      const prec = PRECEDENCE.get(op);
      if (prec === undefined || prec < min) return l;
      lex.advance();
      const r = this.binary(prec + 1);
      const folded = l.k === 'num' && r.k === 'num' ? foldConstants(op, l.v, r.v) : undefined;
      l = folded === undefined ? { k: 'binary', op, l, r } : { k: 'num', v: folded };
    }
  }

  private unary(): Expr {
    const lex = this.lex;
    if (lex.kind === PUNCT && (lex.text === '!' || lex.text === '~' || lex.text === '-')) {
      const op = lex.text;
      lex.advance();
      const x = this.unary();
      if (x.k === 'num' && op !== '!') return { k: 'num', v: op === '-' ? -x.v : ~x.v };
      return { k: 'unary', op, x };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    const lex = this.lex;
    const kind = lex.kind, text = lex.text, value = lex.value;
    if (kind === END) throw new Unsupported('unexpected end');
    lex.advance();
    if (kind === NUM) return { k: 'num', v: value };
    if (kind === PUNCT) {
      if (text !== '(') throw new Unsupported(`unexpected '${text}'`);
      const e = this.expression();
      this.expect(')');
      return e;
    }
    if (text === 'true' || text === 'false') return { k: 'num', v: text === 'true' ? 1 : 0 };
    let name = text;
    if (this.eat('.')) name = `${name}.${this.ident()}`;
    if (this.eat('[')) {
      const index = this.expression();
      this.expect(']');
      return { k: 'index', obj: name, index };
    }
    if (this.eat('(')) {
      const args: Expr[] = [];
      if (!this.eat(')')) {
        do args.push(this.expression());
        while (this.eat(','));
        this.expect(')');
      }
      return { k: 'call', callee: name, args };
    }
    const dot = name.indexOf('.');
    return dot < 0 ? { k: 'id', name } : { k: 'member', obj: name.slice(0, dot), prop: name.slice(dot + 1) };
  }
}

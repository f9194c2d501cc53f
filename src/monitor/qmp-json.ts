// JSON as QEMU's QMP writes it (`{"a": 1, "b": [1, 2]}`, non-ASCII as \uXXXX), and a
// splitter that cuts a byte stream into top-level JSON texts as QEMU's json-streamer does.

export function toQmpJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(toQmpJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? '{}' : `{${entries.map(([k, v]) => `${quote(k)}: ${toQmpJson(v)}`).join(', ')}}`;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** QEMU's limits on one JSON text, so a runaway client cannot exhaust memory. */
const MAX_TEXT_BYTES = 64 << 20;
const MAX_NESTING = 1024;

/**
 * Cuts input into complete top-level JSON texts: an object or array ends when its brackets
 * balance (outside strings); a bare scalar ends at whitespace. Each text goes to `emit`;
 * a text that breaks the limits goes to `overflow` and is dropped.
 */
export class JsonSplitter {
  private text = '';
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly emit: (text: string) => void, private readonly overflow: (reason: string) => void) {}

  push(chunk: string): void {
    for (const ch of chunk) this.pushChar(ch);
  }

  private pushChar(ch: string): void {
    if (this.inString) {
      this.text += ch;
      if (this.escaped) this.escaped = false;
      else if (ch === '\\') this.escaped = true;
      else if (ch === '"') this.inString = false;
    } else if (ch === '{' || ch === '[') {
      this.text += ch;
      this.depth++;
    } else if (ch === '}' || ch === ']') {
      this.text += ch;
      this.depth--;
      if (this.depth <= 0) this.flush();
    } else if (ch === '"') {
      this.text += ch;
      this.inString = true;
    } else if (/\s/.test(ch)) {
      if (this.depth === 0) this.flush();
      else this.text += ch;
    } else this.text += ch;
    if (this.text.length > MAX_TEXT_BYTES || this.depth > MAX_NESTING) {
      const reason = this.depth > MAX_NESTING ? 'JSON parse error, too many nested containers' : 'JSON parse error, token too large';
      this.reset();
      this.overflow(reason);
    }
  }

  private flush(): void {
    const text = this.text;
    this.reset();
    if (text.trim() !== '') this.emit(text);
  }

  reset(): void {
    this.text = '';
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }
}

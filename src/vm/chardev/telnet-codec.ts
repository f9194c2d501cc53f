// The little telnet QEMU speaks on `telnet:` chardevs: on connect the server offers
// WILL ECHO, WILL SUPPRESS-GO-AHEAD, WILL BINARY and DO BINARY (so clients go to
// character mode), and strips option negotiation from the input. IAC IAC is a data
// 0xff and IAC BREAK a break event.

const IAC = 0xff;
const BREAK = 0xf3;
const WILL = 0xfb;
const DONT = 0xfe;

export const TELNET_GREETING = Uint8Array.of(IAC, 0xfb, 0x01, IAC, 0xfb, 0x03, IAC, 0xfb, 0x00, IAC, 0xfd, 0x00);

export class TelnetDecoder {
  /** Bytes of the IAC sequence seen so far (0 = none). */
  private pending = 0;
  private command = 0;

  constructor(private readonly onBreak: () => void) {}

  /** Returns the data bytes of `input` with telnet commands removed. */
  decode(input: Uint8Array): Uint8Array {
    const out = new Uint8Array(input.length);
    let n = 0;
    for (const b of input) {
      if (this.pending === 0) {
        if (b === IAC) this.pending = 1;
        else out[n++] = b;
      } else if (this.pending === 1) {
        if (b === IAC) {
          out[n++] = IAC;
          this.pending = 0;
        } else if (b >= WILL && b <= DONT) {
          this.command = b;
          this.pending = 2;
        } else {
          if (b === BREAK) this.onBreak();
          this.pending = 0;
        }
      } else {
        // The option byte of WILL/WONT/DO/DONT: QEMU ignores the client's answers.
        this.pending = 0;
      }
    }
    return out.subarray(0, n);
  }
}

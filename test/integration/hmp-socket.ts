// An HMP session over one unix-socket connection (`-monitor unix:PATH,server=on,wait=off`):
// each command resolves to the text it printed, without the echo, escapes and prompt.

import { connect, type Socket } from 'node:net';

const PROMPT = '(qemu) ';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HmpSocket {
  private text = '';
  private wake: () => void = () => {};
  private constructor(private readonly socket: Socket) {
    socket.on('data', (b) => {
      this.text += b.toString('latin1');
      this.wake();
    });
  }

  /** Connects once the emulator listens (retrying for about ten seconds) and reads the banner. */
  static async open(path: string): Promise<HmpSocket> {
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.on('error', reject);
        });
        const session = new HmpSocket(socket);
        await session.prompt();
        return session;
      } catch (e) {
        if (attempt > 100) throw e;
        await sleep(100);
      }
    }
  }

  private async prompt(): Promise<string> {
    while (!this.text.includes(PROMPT)) await new Promise<void>((r) => (this.wake = r));
    const at = this.text.indexOf(PROMPT);
    const before = this.text.slice(0, at);
    this.text = this.text.slice(at + PROMPT.length);
    return before;
  }

  async run(command: string): Promise<string> {
    this.socket.write(`${command}\n`);
    const reply = (await this.prompt()).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
    return reply.slice(reply.indexOf(command) + command.length).replace(/^\n/, '').trimEnd();
  }

  close(): void {
    this.socket.destroy();
  }
}

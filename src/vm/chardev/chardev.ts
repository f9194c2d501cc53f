// A character device backend on the main thread (QEMU's Chardev): bytes out to a file,
// terminal or socket, and bytes in delivered to one frontend (a serial port, a monitor,
// or a mux that shares the backend among several frontends).

export type ChardevEvent = 'opened' | 'closed' | 'break' | 'focus-in' | 'focus-out';

/** The side that consumes a chardev (QEMU's CharBackend handlers). */
export interface ChardevFrontend {
  receive(data: Uint8Array): void;
  event?(event: ChardevEvent): void;
}

export interface Chardev {
  readonly id: string;
  /** What `info chardev` prints after `filename=`. */
  filename(): string;
  write(data: Uint8Array): void;
  attach(frontend: ChardevFrontend): void;
  close(): void;
}

/** Shared plumbing: holds the frontend and queues input that arrives before one attaches. */
export abstract class ChardevBase implements Chardev {
  private frontend?: ChardevFrontend;
  private early: Uint8Array[] = [];
  /** A peer is there (always, except for sockets between clients). */
  protected connected = true;

  constructor(readonly id: string) {}

  abstract filename(): string;
  abstract write(data: Uint8Array): void;
  abstract close(): void;

  attach(frontend: ChardevFrontend): void {
    this.frontend = frontend;
    // As in QEMU, a frontend attaching to an open chardev sees the open event (the monitor prints its banner).
    if (this.connected) frontend.event?.('opened');
    for (const d of this.early) frontend.receive(d);
    this.early = [];
  }

  protected deliver(data: Uint8Array): void {
    if (this.frontend) this.frontend.receive(data);
    else this.early.push(data);
  }

  protected signal(event: ChardevEvent): void {
    this.frontend?.event?.(event);
  }
}

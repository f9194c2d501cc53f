// The virtual clock and its single timer queue. Time is in nanoseconds (a double: exact
// for 104 days). Devices arm timers with absolute deadlines; the run loop executes the
// CPU until the next deadline and then calls runExpired().

export interface Timer {
  /** Arms (or re-arms) the timer for absolute virtual time `deadlineNs`. */
  arm(deadlineNs: number): void;
  cancel(): void;
  readonly armed: boolean;
  readonly deadline: number;
}

export interface Clock {
  /** Current virtual time in ns. */
  now(): number;
  newTimer(callback: (nowNs: number) => void): Timer;
}

class QueuedTimer implements Timer {
  deadline = Infinity;
  armed = false;
  constructor(private readonly queue: TimerQueue, readonly callback: (nowNs: number) => void) {}

  arm(deadlineNs: number): void {
    this.deadline = deadlineNs;
    this.armed = true;
    this.queue.changed();
  }

  cancel(): void {
    this.armed = false;
    this.deadline = Infinity;
    this.queue.changed();
  }
}

/**
 * One queue for all device timers. Few timers exist (tens), so a linear scan on change
 * beats a heap in simplicity and is cheap enough: it runs only when a timer is armed.
 */
export class TimerQueue implements Clock {
  private readonly timers: QueuedTimer[] = [];
  private nextDeadline = Infinity;
  private nowNs = 0;
  private source?: () => number;

  /** Sets the time by hand (tests, or a run loop that advances time in steps). */
  setTime(ns: number): void {
    this.nowNs = ns;
  }

  /**
   * Makes time come from `source` on every now(): the run loop's real-time or
   * instruction-count clock, so a device read in the middle of a CPU slice sees the
   * current time (Linux calibrates the TSC against the PIT and the PM timer that way).
   */
  setTimeSource(source: () => number): void {
    this.source = source;
  }

  now(): number {
    return this.source ? this.source() : this.nowNs;
  }

  newTimer(callback: (nowNs: number) => void): Timer {
    const t = new QueuedTimer(this, callback);
    this.timers.push(t);
    return t;
  }

  /** Earliest armed deadline, or Infinity. */
  get next(): number {
    return this.nextDeadline;
  }

  changed(): void {
    let next = Infinity;
    for (const t of this.timers) if (t.armed && t.deadline < next) next = t.deadline;
    this.nextDeadline = next;
  }

  /** Every timer's deadline in creation order, -1 when unarmed (savevm). */
  saveDeadlines(): number[] {
    return this.timers.map((t) => (t.armed ? t.deadline : -1));
  }

  /** Re-arms every timer as saveDeadlines() reported it (loadvm, on an identically built board). */
  loadDeadlines(deadlines: readonly number[]): void {
    this.timers.forEach((t, i) => {
      const d = deadlines[i] ?? -1;
      t.armed = d >= 0;
      t.deadline = d >= 0 ? d : Infinity;
    });
    this.changed();
  }

  get timerCount(): number {
    return this.timers.length;
  }

  /** Fires every timer whose deadline has passed. A callback may re-arm its timer. */
  runExpired(): void {
    let now = this.now();
    while (this.nextDeadline <= now) {
      for (const t of this.timers) {
        if (t.armed && t.deadline <= now) {
          t.armed = false;
          t.deadline = Infinity;
          t.callback(now);
        }
      }
      this.changed();
      now = this.now();
    }
  }
}

// qemu's "-p" progress display: "    (P/100%)\r", redrawn when it moves by at least 1%.
import { out } from './output.js';

export class Progress {
  private last = -1;
  constructor(private readonly enabled: boolean) {
    this.show(0, true);
  }

  show(percent: number, force = false): void {
    if (!this.enabled) return;
    if (!force && percent - this.last < 1 && percent < 100) return;
    this.last = percent;
    out(`    (${percent.toFixed(2)}/100%)\r`);
  }

  finish(): void {
    if (!this.enabled) return;
    this.show(100, true);
    out('\n');
  }
}

// The display shared between the guest's worker and the front end: what the publisher
// copies into the SharedArrayBuffer is what the VGA shows, only changes travel, and the
// buffer is written only while the front end has handed it over.

import test from 'node:test';
import assert from 'node:assert/strict';
import { TimerQueue } from '../../../src/vm/machine/clock.js';
import { IoBus } from '../../../src/vm/machine/io-bus.js';
import { PhysicalMemory } from '../../../src/vm/machine/physical-memory.js';
import { StdVgaPci } from '../../../src/vm/devices/vga/std-vga-pci.js';
import { VgaDisplay } from '../../../src/vm/devices/vga/vga-display.js';
import { Vga } from '../../../src/vm/devices/vga/vga.js';
import { DisplayPublisher, PUBLISH_PERIOD_NS } from '../../../src/vm/machine/display-publisher.js';
import { SharedDisplayViews } from '../../../src/vm/machine/shared-display.js';
import { SharedDisplaySource } from '../../../src/vm/machine/shared-display-source.js';
import { MODE13, MODE3, VgaScript } from './vga-script.js';

function machine(mode: typeof MODE3) {
  const vga = new Vga();
  const io = new IoBus();
  const memory = new PhysicalMemory(16 << 20);
  new StdVgaPci(vga, memory).attach(io);
  const s = new VgaScript();
  s.setMode(mode.misc, mode.seq, mode.crtc, mode.gc, mode.attr);
  s.dac(0, 256, (i) => (i * 7) & 0x3f);
  s.runOnBus(io, memory);
  const clock = new TimerQueue();
  const buffer = SharedDisplayViews.create();
  const worker = new VgaDisplay(vga, clock);
  const publisher = new DisplayPublisher(buffer, worker, clock);
  const source = new SharedDisplaySource(buffer);
  // A fresh display renders everything itself: the reference for what the front end got.
  const reference = () => new VgaDisplay(vga, clock).current();
  return { vga, io, memory, clock, publisher, source, reference, display: worker };
}

test('text: the front end sees the VGA cells, cursor and palette; only changed rows are copied', () => {
  const { io, memory, clock, source, reference } = machine(MODE3);
  for (let i = 0; i < 80 * 25; i++) memory.write16(0xb8000 + i * 2, 0x0700 | (0x41 + (i % 26)));
  memory.write16(0xb8000 + (3 * 80 + 7) * 2, 0x1f58);
  io.write(0x3d4, 2, (((3 * 80 + 7) >> 8) << 8) | 0x0e);
  io.write(0x3d4, 2, (((3 * 80 + 7) & 0xff) << 8) | 0x0f);
  assert.equal(source.current(), null, 'nothing published yet');
  clock.setTime(PUBLISH_PERIOD_NS);
  clock.runExpired();
  const t = source.current();
  const v = reference();
  assert.ok(t?.kind === 'text' && v?.kind === 'text');
  assert.deepEqual([t.columns, t.rows], [80, 25]);
  assert.deepEqual([...t.cells], [...v.cells]);
  assert.deepEqual(t.cursor, v.cursor);
  assert.deepEqual([...t.palette], [...v.palette]);
  assert.equal(t.blinkEnabled, v.blinkEnabled);
  assert.ok(t.dirtyRows!.every((d) => d === 1));
  t.dirtyRows!.fill(0);

  memory.write16(0xb8000 + (20 * 80 + 1) * 2, 0x4e21);
  clock.setTime(2 * PUBLISH_PERIOD_NS);
  clock.runExpired();
  const again = source.current();
  assert.equal(again, t, 'the same snapshot object, updated in place');
  assert.equal(t.cells[20 * 80 + 1], 0x4e21);
  assert.deepEqual([...t.dirtyRows!.keys()].filter((r) => t.dirtyRows![r]), [20]);
});

test('the worker writes nothing while the front end owns the buffer, and publishes nothing unchanged', () => {
  const { memory, clock, publisher, source } = machine(MODE3);
  assert.equal(publisher.publish(), true);
  assert.equal(publisher.publish(), false, 'the front end has not taken the frame yet');
  memory.write16(0xb8000, 0x0731);
  assert.equal(publisher.publish(), false);
  const t = source.current();
  assert.ok(t?.kind === 'text');
  assert.notEqual(t.cells[0], 0x0731, 'the change waits for the next frame');
  assert.equal(publisher.publish(), true, 'the front end asked again; the change is published');
  assert.equal(publisher.publish(), false);
  source.current();
  assert.equal(publisher.publish(), false, 'nothing changed: nothing to publish');
  assert.equal((source.current() as { cells: Uint16Array }).cells[0], 0x0731);
  void clock;
});

test('graphics: the framebuffer travels line by line and a mode switch republishes everything', async () => {
  const { io, memory, publisher, source, reference, display } = machine(MODE13);
  for (let i = 0; i < 64000; i++) memory.write8(0xa0000 + i, (i * 13) & 0xff);
  let updates = 0;
  source.onUpdate = () => updates++;
  assert.ok(publisher.publish());
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(updates, 1, 'the front end is told when a frame is waiting');
  const f = source.current();
  const v = reference();
  assert.ok(f?.kind === 'graphics' && v?.kind === 'graphics');
  assert.deepEqual([f.width, f.height], [640, 400]);
  assert.deepEqual(f.pixels, v.pixels);
  f.dirtyLines!.fill(0);
  memory.write8(0xa0000 + 320 * 150 + 3, 0x55);
  display.screendump(); // renders the change first: it must still reach the front end
  assert.ok(publisher.publish());
  source.current();
  assert.deepEqual(f.pixels, (reference() as { pixels: Uint32Array }).pixels);
  assert.equal(f.dirtyLines![300], 1, 'the changed line is marked');

  // Back to text mode 3: the graphics controller leaves graphics mode.
  const s = new VgaScript();
  s.setMode(MODE3.misc, MODE3.seq, MODE3.crtc, MODE3.gc, MODE3.attr);
  s.runOnBus(io, memory);
  assert.ok(publisher.publish());
  const t = source.current();
  assert.ok(t?.kind === 'text');
  assert.deepEqual([...t.cells], [...(reference() as { cells: Uint16Array }).cells]);
});

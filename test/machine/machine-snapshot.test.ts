// savevm/loadvm/delvm on a pc board in this process (SeaBIOS booting the savevm guest from
// a qcow2 disk, deterministic time): loadvm puts back RAM, the screen, the CPU, every
// device and the disk exactly, and the restored machine then runs on exactly as the
// original did. The image is checked with the real qemu-img throughout.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import test from 'node:test';
import { defaultStorageConfig, shorthandDrive } from '../../src/cli/drive-options.js';
import { Cpu } from '../../src/vm/cpu/cpu.js';
import type { Qcow2Driver } from '../../src/vm/block/qcow2/qcow2-driver.js';
import { readSnapshots } from '../../src/vm/block/qcow2/qcow2-snapshots.js';
import { decodeVmState, encodeVmState } from '../../src/vm/machine/machine-snapshot-codec.js';
import { collectMachineState, type MachineParts } from '../../src/vm/machine/machine-snapshot.js';
import { runSnapshotRequest, type SnapshotRequest } from '../../src/vm/machine/machine-snapshot-store.js';
import { buildBootHardware, closeDrive } from '../../src/vm/machine/firmware-boot.js';
import { PcBoard } from '../../src/vm/machine/pc-board.js';
import { BiosTestMachine, cpuRealModeCheck, HAVE_SEABIOS } from '../integration/bios/bios-test-machine.js';
import { buildSavevmDisk, run, savevmGuestMissing } from './savevm-guest.js';

const skip = !HAVE_SEABIOS ? "Debian's seabios package is not installed" : savevmGuestMissing() ?? cpuRealModeCheck() ?? false;
const RAM = 32 << 20;
const NS_PER_INSTRUCTION = 8;

/** A booted guest, with time of its own so that loadvm can move it (instructions × 8 ns + a warp). */
async function bootGuest(disk: string, ramBytes = RAM): Promise<{ m: BiosTestMachine; parts: MachineParts }> {
  const m = new BiosTestMachine((c) => c.drives.push({ ...shorthandDrive('hda', disk), format: 'qcow2' }), ramBytes);
  m.cpu.setJit({ threshold: 200 });
  await m.runUntil(() => /[0-9A-F]{8}/.test(m.screenText()), 60_000, 'the guest to print its counter');
  // From here the interpreter: it stops at exact instruction counts, so reruns are comparable.
  m.cpu.setJit(null);
  const { board, cpu, hw } = m;
  let warp = board.clock.now() - cpu.instructionCount * NS_PER_INSTRUCTION;
  board.clock.setTimeSource(() => warp + cpu.instructionCount * NS_PER_INSTRUCTION);
  const clock = {
    nowNs: () => board.clock.now(),
    restore: (ns: number, instructionCount: number) => void (warp = ns - instructionCount * NS_PER_INSTRUCTION),
  };
  return { m, parts: { board, cpu, hw, clock } };
}

/** Runs exactly `instructions` instructions, firing timers between slices as the run loop does. */
function runFor(m: BiosTestMachine, instructions: number): void {
  const end = m.cpu.instructionCount + instructions;
  while (m.cpu.instructionCount < end) {
    m.board.clock.runExpired();
    m.cpu.run(Math.min(20_000, end - m.cpu.instructionCount));
  }
}

/** Everything loadvm must restore, as comparable values. */
function machineImage(m: BiosTestMachine, parts: MachineParts): { ram: Buffer; screen: Buffer; state: object } {
  const state = collectMachineState(parts) as Record<string, unknown>;
  // Through the codec: the copy must not share arrays with the live machine.
  const { chunks } = encodeVmState({ ...state, ram: new Uint8Array(0) });
  return { ram: Buffer.from(m.board.memory.ram), screen: m.screendump(false), state: decodeVmState(Buffer.concat(chunks)) };
}

/** The path of the first value that differs between two state trees (typed arrays compared by content). */
function firstDifference(a: unknown, b: unknown, path = 'state'): string | undefined {
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)) ? undefined : path;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${path}: ${String(a)} != ${String(b)}`;
}

function ask(parts: MachineParts, req: SnapshotRequest): string | undefined {
  const reply = runSnapshotRequest(req, parts);
  return reply.error === undefined ? undefined : [...(reply.context ?? []), `Error: ${reply.error}`].join('\n');
}

function check(disk: string): void {
  const r = spawnSync('qemu-img', ['check', '-U', disk], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /No errors were found on the image/);
}

test('loadvm restores RAM, screen, CPU, devices and disk exactly, and the guest runs on as before', { skip, timeout: 120_000 }, async () => {
  const disk = buildSavevmDisk();
  const { m, parts } = await bootGuest(disk);
  const drive = m.hw.storage.drives[0].medium;
  const sector = Buffer.alloc(512);
  drive.read(8 * 512, sector);

  const saved = machineImage(m, parts);
  assert.equal(ask(parts, { op: 'save', tag: 's1' }), undefined);
  check(disk);
  const list = run('qemu-img', ['snapshot', '-U', '-l', disk]);
  assert.match(list, /^1 +s1 +\d+(\.\d+)? [KM]iB /m, list);
  // qemu-img reads the VM state size and clock that savevm recorded.
  const [info] = (JSON.parse(run('qemu-img', ['info', '-U', '--output=json', disk])) as { snapshots: Record<string, number>[] }).snapshots;
  const recorded = readSnapshots(drive as Qcow2Driver)[0];
  assert.equal(info['vm-state-size'], recorded.vmStateSize);
  assert.ok(recorded.vmStateSize > 64 << 10);
  assert.equal(info['vm-clock-sec'] * 1e9 + info['vm-clock-nsec'], recorded.vmClockNsec);

  // The guest changes memory and the screen; the disk changes under it.
  runFor(m, 3_000_000);
  drive.write(8 * 512, Buffer.alloc(512, 0xa5));
  const changed = machineImage(m, parts);
  assert.ok(!changed.ram.equals(saved.ram) && !changed.screen.equals(saved.screen), 'the guest did not change');
  assert.notEqual(firstDifference(changed.state, saved.state), undefined);

  assert.equal(ask(parts, { op: 'load', tag: 's1' }), undefined);
  const restored = machineImage(m, parts);
  assert.ok(restored.ram.equals(saved.ram), 'RAM differs after loadvm');
  assert.ok(restored.screen.equals(saved.screen), 'the screen differs after loadvm');
  assert.equal(firstDifference(restored.state, saved.state), undefined);
  const after = Buffer.alloc(512);
  drive.read(8 * 512, after);
  assert.ok(after.equals(sector), 'loadvm did not revert the disk');
  check(disk);

  // Deterministic time: from the restored state the guest does exactly what it did the first time.
  runFor(m, 3_000_000);
  const rerun = machineImage(m, parts);
  assert.ok(rerun.ram.equals(changed.ram), 'the restored guest ran differently');
  assert.ok(rerun.screen.equals(changed.screen));

  // HMP's savevm replaces a snapshot of the same tag; the new one's id is one past the highest left (none here).
  assert.equal(ask(parts, { op: 'save', tag: 's1' }), undefined);
  assert.deepEqual(readSnapshots(drive as Qcow2Driver).map((sn) => `${sn.id} ${sn.name}`), ['1 s1']);
  check(disk);
  assert.equal(ask(parts, { op: 'delete', tag: 's1' }), undefined);
  assert.equal(run('qemu-img', ['snapshot', '-U', '-l', disk]), '');
  check(disk);
  m.close();
});

test("loadvm into a machine built differently fails with QEMU's errors and leaves the VM stopped", { skip, timeout: 120_000 }, async () => {
  const disk = buildSavevmDisk();
  const first = await bootGuest(disk);
  assert.equal(ask(first.parts, { op: 'save', tag: 'big' }), undefined);
  first.m.close();
  const small = await bootGuest(disk, 16 << 20);
  const reply = runSnapshotRequest({ op: 'load', tag: 'big' }, small.parts);
  assert.deepEqual(reply, {
    context: ['Length mismatch: pc.ram: 0x2000000 in != 0x1000000: Invalid argument'],
    error: 'Error -22 while loading VM state',
    mustStayStopped: true,
  });
  assert.equal(ask(small.parts, { op: 'load', tag: 'nope' }), "Error: Snapshot 'nope' does not exist in one or more devices");
  small.m.close();
  check(disk);
});

/** A board built as the worker builds one for -kernel (no firmware), with `serialPorts` COM ports and the disk. */
function plainMachine(disk: string, serialPorts: number): MachineParts {
  const events = { serialOut: () => {}, debugconOut: () => {}, powerOff: () => {}, debugExit: () => {}, resetRequested: () => {} };
  const board = new PcBoard({ ramBytes: 16 << 20, serialPorts, debugcon: false, rtcBase: 'utc', externalIde: true }, events);
  const cpu = new Cpu(board);
  board.setCpu(cpu);
  const storage = defaultStorageConfig();
  storage.drives.push({ ...shorthandDrive('hda', disk), format: 'qcow2' });
  const hw = buildBootHardware(board, { storage, ramBytes: 16 << 20, nographic: false, directKernel: true }, () => cpu.flushTlb());
  let now = 0;
  board.clock.setTimeSource(() => now);
  return { board, cpu, hw, clock: { nowNs: () => now, restore: (ns) => void (now = ns) } };
}

test('a snapshot of a machine with other devices is refused by name, and the VM stays stopped', { skip: savevmGuestMissing() ?? false }, () => {
  const disk = buildSavevmDisk();
  const one = plainMachine(disk, 1);
  assert.equal(ask(one, { op: 'save', tag: 'one-uart' }), undefined);
  for (const d of one.hw.storage.drives) closeDrive(d);
  const two = plainMachine(disk, 2);
  assert.deepEqual(runSnapshotRequest({ op: 'load', tag: 'one-uart' }, two), {
    context: ["Unknown savevm section or instance 'serial' 1. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices"],
    error: 'Error -22 while loading VM state',
    mustStayStopped: true,
  });
  for (const d of two.hw.storage.drives) closeDrive(d);
  check(disk);
});

// The guest's thread: builds the pc board and the CPU from the MachineConfig, loads the
// kernel, reports 'ready' (or the error that stops the machine), then runs the loop
// until the machine ends, and reports the exit status.

import { parentPort, workerData } from 'node:worker_threads';
import { Cpu } from '../cpu/cpu.js';
import type { BiosHardware } from './bios-hardware.js';
import { countBlockIo } from './block-stats.js';
import { runDeviceRequest } from './device-requests.js';
import { buildBootHardware, closeDrive } from './firmware-boot.js';
import { DisplayPublisher } from './display-publisher.js';
import { BootError } from './firmware/boot-error.js';
import { loadKernel } from './firmware/load-kernel.js';
import { DEFAULT_BIOS } from './firmware/seabios.js';
import { inspect } from './machine-info.js';
import { runSnapshotRequest } from './machine-snapshot-store.js';
import { PcBoard } from './pc-board.js';
import { RunLoop } from './run-loop.js';
import type { WorkerInit, WorkerMessage } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const config = init.config;

function main(): void {
  let loop: RunLoop | undefined;
  let board: PcBoard;
  try {
    board = new PcBoard(
      {
        ramBytes: config.ramBytes,
        serialPorts: config.serials.length,
        debugcon: config.debugcon !== undefined,
        isaDebugExit: config.isaDebugExit,
        rtcBase: config.rtcBase instanceof Date ? Math.floor(config.rtcBase.getTime() / 1000) : config.rtcBase,
        externalIde: true,
      },
      {
        serialOut: (i, b) => loop!.serialOutput(i, b),
        debugconOut: (b) => loop!.debugconOutput(b),
        powerOff: () => loop!.powerOff(),
        debugExit: (status) => loop!.debugExit(status),
        resetRequested: () => loop!.resetRequested(),
      },
    );
  } catch (e) {
    if (e instanceof RangeError) {
      post({ kind: 'error', message: "cannot set up guest memory 'pc.ram': Cannot allocate memory" });
      return;
    }
    throw e;
  }
  const cpu = new Cpu(board);
  if (config.jit.enabled) cpu.setJit({ threshold: config.jit.threshold, entryThreshold: config.jit.entryThreshold, wasm: config.jit.wasm, background: true });
  board.setCpu(cpu);
  let hw: BiosHardware;
  try {
    const request = { storage: config.storage, ramBytes: config.ramBytes, nographic: config.nographic, uuid: config.uuid, directKernel: config.kernel !== undefined };
    hw = buildBootHardware(board, request, () => cpu.flushTlb());
  } catch (e) {
    if (e instanceof BootError) {
      post({ kind: 'error', message: e.message });
      return;
    }
    throw e;
  }
  if (init.display && hw.display) new DisplayPublisher(init.display, hw.display.display, board.clock, () => cpu.instructionCount);
  // After power-on and after every reset: what firmware would set up, then the kernel.
  const boot = () => {
    // Without -kernel the CPU starts in SeaBIOS at the reset vector, and SeaBIOS sets up the rest.
    if (!config.kernel) return;
    board.setUpWithoutFirmware();
    hw.display?.setUpWithoutFirmware();
    loadKernel(board.memory, cpu, { kernel: config.kernel, initrd: config.initrd, append: config.append });
  };
  try {
    boot();
  } catch (e) {
    if (e instanceof BootError) {
      post({ kind: 'error', message: e.message });
      return;
    }
    throw e;
  }
  loop = new RunLoop(board, cpu, init, port, config.clock, { noReboot: config.noReboot, noShutdown: config.noShutdown }, boot, config.startPaused, (req) => runDeviceRequest(req, hw, board.memory), (req, clock) => runSnapshotRequest(req, { board, cpu, hw, clock }));
  countBlockIo(hw);
  const biosName = config.kernel ? undefined : (config.storage.bios ?? DEFAULT_BIOS);
  loop.inspector = (req) => inspect(req, { board, cpu, hw, biosName });
  post({ kind: 'ready' });
  const status = loop.run();
  for (const d of hw.storage.drives) closeDrive(d);
  post({ kind: 'exit', status, reason: loop.exitReason });
}

main();

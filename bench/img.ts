// `npm run bench -- img [--size=MiB]`: termu-img against qemu-img on the same machine.
// Converts a raw image of mixed data and zeros (1 GiB by default) to qcow2 and back with
// both tools, then times 4 KiB random writes and sequential reads through termu's block
// layer against qemu-io / qemu-img bench doing the same. Prints time ratios
// (termu / qemu; lower is better) and termu-img's peak memory.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { openImage } from '../src/vm/block/open-image.js';
import { createQcow2 } from '../src/vm/block/qcow2/qcow2-create.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(here, '..');
const TERMU_IMG = path.resolve(DIST, '../bin/termu-img');
const SINGLE_FILE = path.join(DIST, 'termu-img.cjs');

interface Timed { seconds: number; maxRssKiB: number }

function timed(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, env });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed: ${r.stderr}`);
  const m = /MAXRSS (\d+)/.exec(r.stderr);
  return { seconds, maxRssKiB: m ? Number(m[1]) : 0 };
}

/**
 * Runs `node bin/termu-img ARGS`, as users do; with `measureMemory`, through a preloaded
 * script that reports the peak resident memory on exit (those runs are not timed).
 * NODE_EXTRA_CA_CERTS is left out of its environment: set on some CI hosts, it makes every
 * Node process parse a CA bundle at startup (60 ms measured), a cost of the host and not of
 * termu-img, which makes no TLS connections.
 */
function termuImg(args: string[], cwd: string, measureMemory = false): Timed {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const preload = measureMemory ? ['--import', `data:text/javascript,${encodeURIComponent(MAXRSS_ON_EXIT)}`] : [];
  return timed(process.execPath, [...preload, TERMU_IMG, ...args], cwd, env);
}

const MAXRSS_ON_EXIT = "process.on('exit', () => process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n'));";

/** bin/termu-img runs the single-file build only while it is current: make sure it is. */
async function ensureSingleFile(): Promise<void> {
  const current = fs.existsSync(SINGLE_FILE) && (createRequire(import.meta.url)(SINGLE_FILE) as { isCurrent(): boolean }).isCurrent();
  if (current) return;
  // Loaded only here: the builder brings in the TypeScript compiler.
  const { buildSingleFile } = await import('../src/tools/img/single-file-build.js');
  buildSingleFile(DIST, SINGLE_FILE);
  console.log(`  (built ${path.relative(process.cwd(), SINGLE_FILE)}: it was missing or older than the modules)`);
}

/** 1 MiB pattern blocks: random data, text-like data, zeros and half-filled blocks. */
function makeSource(file: string, mib: number): void {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(1 << 20);
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  for (let i = 0; i < mib; i++) {
    const kind = i % 8;
    if (kind === 0 || kind === 3 || kind === 6) continue; // holes: zeros
    for (let j = 0; j < block.length; j += 4) block.writeUInt32LE(kind === 5 ? 0x61626364 + (j & 0xff) : rnd(), j);
    if (kind === 7) block.fill(0, block.length / 2);
    fs.writeSync(fd, block, 0, block.length, i * block.length);
  }
  fs.ftruncateSync(fd, mib << 20);
  fs.closeSync(fd);
}

function ratio(t: number, q: number): string {
  return `${(t / q).toFixed(2)}x`;
}

export async function run(args: string[]): Promise<void> {
  const mib = Number(/--size=(\d+)/.exec(args.join(' '))?.[1] ?? 1024);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termu-bench-img-'));
  try {
    console.log(`termu-img benchmark: ${mib} MiB raw image, mixed data and zeros (${dir}), load ${os.loadavg()[0].toFixed(1)}`);
    makeSource(path.join(dir, 'src.raw'), mib);
    const rows: Array<[string, number, number]> = [];
    let peak = 0;
    // Best of four runs each, alternating which tool goes first. The previous target is
    // deleted before the clock starts: truncating it inside a run would charge that run with
    // freeing 600 MB of blocks (on a filesystem mounted with `discard`, synchronously).
    const fresh = (target: string) => fs.rmSync(path.join(dir, target), { force: true });
    const step = async (name: string, q: string[], t: string[]) => {
      // Others' tsc runs in a shared tree leave it stale; bin/termu-img would then run the modules.
      await ensureSingleFile();
      let best: [number, number] = [Infinity, Infinity];
      const runs: string[] = [];
      const runQemu = () => {
        fresh(q[q.length - 1]);
        return timed('qemu-img', q, dir);
      };
      const runTermu = () => {
        fresh(t[t.length - 1]);
        return termuImg(t, dir);
      };
      for (let i = 0; i < 4; i++) {
        let qr: Timed;
        let tr: Timed;
        if (i % 2 === 0) {
          qr = runQemu();
          tr = runTermu();
        } else {
          tr = runTermu();
          qr = runQemu();
        }
        best = [Math.min(best[0], tr.seconds), Math.min(best[1], qr.seconds)];
        runs.push(`${tr.seconds.toFixed(2)}/${qr.seconds.toFixed(2)}`);
      }
      fresh(t[t.length - 1]);
      peak = Math.max(peak, termuImg(t, dir, true).maxRssKiB);
      rows.push([name, best[0], best[1]]);
      console.log(`  ${name}: termu/qemu seconds per run ${runs.join(' ')}`);
    };
    await step('convert raw -> qcow2', ['convert', '-f', 'raw', '-O', 'qcow2', 'src.raw', 'q.qcow2'], ['convert', '-f', 'raw', '-O', 'qcow2', 'src.raw', 't.qcow2']);
    await step('convert qcow2 -> raw', ['convert', '-f', 'qcow2', '-O', 'raw', 'q.qcow2', 'q.raw'], ['convert', '-f', 'qcow2', '-O', 'raw', 't.qcow2', 't.raw']);
    const same = spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', 'src.raw', 't.raw'], { cwd: dir, encoding: 'utf8' });
    if (same.status !== 0) throw new Error(`round trip differs: ${same.stdout}`);

    // 4 KiB random writes into a fresh qcow2: termu's block layer vs qemu-io.
    const writes = 20000;
    let seed = 777;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const offsets = Array.from({ length: writes }, () => Math.floor(rnd() * ((mib << 20) / 4096)) * 4096);
    spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', 'qw.qcow2', `${mib}M`], { cwd: dir });
    fs.writeFileSync(path.join(dir, 'writes.cmd'), offsets.map((o) => `write -P 0x5a ${o} 4k\n`).join(''));
    const qw = timed('sh', ['-c', 'qemu-io -t writeback qw.qcow2 < writes.cmd > /dev/null'], dir);
    createQcow2(path.join(dir, 'tw.qcow2'), {
      size: mib << 20, clusterSize: 65536, version: 3, lazyRefcounts: false, refcountBits: 16,
      backingFile: null, backingFormat: null, preallocation: 'off',
    });
    const buf = new Uint8Array(4096).fill(0x5a);
    let t0 = process.hrtime.bigint();
    const d = openImage(path.join(dir, 'tw.qcow2'), { readOnly: false });
    for (const o of offsets) d.write(o, buf);
    d.flush();
    d.close();
    rows.push([`${writes} random 4 KiB writes`, Number(process.hrtime.bigint() - t0) / 1e9, qw.seconds]);

    // Sequential 1 MiB reads of the converted image.
    const qr = timed('qemu-img', ['bench', '-f', 'qcow2', '-c', String(mib), '-s', '1M', '-d', '1', 'q.qcow2'], dir);
    t0 = process.hrtime.bigint();
    const r = openImage(path.join(dir, 't.qcow2'), { readOnly: true });
    const big = new Uint8Array(1 << 20);
    for (let off = 0; off < r.length; off += big.length) r.read(off, big);
    r.close();
    rows.push([`sequential read ${mib} MiB`, Number(process.hrtime.bigint() - t0) / 1e9, qr.seconds]);

    console.log('step                              termu s   qemu s   termu/qemu');
    for (const [name, t, q] of rows) {
      console.log(`${name.padEnd(32)} ${t.toFixed(2).padStart(8)} ${q.toFixed(2).padStart(8)}   ${ratio(t, q)}`);
    }
    console.log(`termu-img peak memory (max RSS): ${(peak / 1024).toFixed(1)} MiB; load at the end ${os.loadavg()[0].toFixed(1)}`);
    const convertRatio = Math.max(rows[0][1] / rows[0][2], rows[1][1] / rows[1][2]);
    console.log(`targets: convert ratio <= 1.5 (${convertRatio.toFixed(2)}: ${convertRatio <= 1.5 ? 'met' : 'missed'}), ` +
      `peak < 200 MiB (${peak / 1024 < 200 ? 'met' : 'missed'})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

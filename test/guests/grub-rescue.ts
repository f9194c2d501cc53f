// A GRUB rescue CD made by Debian's grub-mkrescue (grub-pc-bin, xorriso, mtools): BIOS GRUB
// with a grub.cfg that mirrors its terminal on COM1, prints a marker and leaves GRUB at its
// command line, where tests can type commands; `configfile` of GRUB_MENU_CFG shows a menu.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce, cacheKey } from './guest-cache.js';
import { runCommand } from './run-command.js';

export const GRUB_READY_MARKER = 'termu-guest: grub ready';
export const GRUB_PROMPT = 'grub> ';

const GRUB_CFG = `serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
echo "${GRUB_READY_MARKER}"
`;

/** A menu that waits for a key (no timeout), for `configfile` at GRUB's prompt. */
export const GRUB_MENU_CFG = '/boot/grub/menu.cfg';
export const GRUB_MENU_TITLE = 'termu menu check: first entry';
const MENU_CFG = `set timeout=-1
menuentry "${GRUB_MENU_TITLE}" { true }
menuentry "second entry" { true }
menuentry "third entry" { true }
`;

/** Fixed timestamps inside the ISO (xorriso honours SOURCE_DATE_EPOCH). */
const SOURCE_DATE_EPOCH = '1686355200';

export async function ensureGrubRescueIso(): Promise<string> {
  const version = (await runCommand('grub-mkrescue', ['--version'])).stdout.trim();
  const builder = readFileSync(new URL(import.meta.url), 'utf8');
  const dir = await buildOnce(`grub-rescue-${cacheKey(version, builder)}`, async (out) => {
    const tree = join(out, 'tree');
    mkdirSync(join(tree, 'boot', 'grub'), { recursive: true });
    writeFileSync(join(tree, 'boot', 'grub', 'grub.cfg'), GRUB_CFG);
    writeFileSync(join(tree, GRUB_MENU_CFG), MENU_CFG);
    await runCommand('grub-mkrescue', ['-o', join(out, 'grub-rescue.iso'), tree], {
      env: { ...process.env, SOURCE_DATE_EPOCH },
    });
    rmSync(tree, { recursive: true, force: true });
  });
  return join(dir, 'grub-rescue.iso');
}

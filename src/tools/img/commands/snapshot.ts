// termu-img snapshot [-U] [-q] [-l | -a name | -c name | -d name] filename
import { BlockError } from '../../../vm/block/block-error.js';
import { Qcow2Driver } from '../../../vm/block/qcow2/qcow2-driver.js';
import { applySnapshot, createSnapshot, deleteSnapshot, readSnapshots } from '../../../vm/block/qcow2/qcow2-snapshots.js';
import { getopt } from '../getopt.js';
import { snapshotTable } from '../image-info.js';
import { openForTool } from '../open.js';
import { ImgError, out, UsageError } from '../output.js';

export function runSnapshot(argv: string[]): number {
  const { opts, rest } = getopt(argv, ':la:c:d:hqU', [
    { name: 'force-share', hasArg: false, key: 'U' }, { name: 'image-opts', hasArg: false }, { name: 'object', hasArg: true },
  ]);
  let action: 'l' | 'a' | 'c' | 'd' = 'l';
  let name = '';
  let chosen = 0;
  for (const [k, v] of opts) {
    if (k === 'l' || k === 'a' || k === 'c' || k === 'd') {
      action = k;
      name = v;
      chosen++;
    }
  }
  if (chosen > 1) throw new UsageError('Cannot mix \'-l\', \'-a\', \'-c\', \'-d\'');
  if (rest.length !== 1) throw new UsageError('Expecting one image file name');
  const drv = openForTool(rest[0], { readOnly: action === 'l', noBacking: true });
  try {
    if (action === 'l') {
      if (drv instanceof Qcow2Driver) {
        const list = readSnapshots(drv);
        if (list.length) out(snapshotTable(list));
      }
      return 0;
    }
    const verb = action === 'c' ? 'create' : action === 'a' ? 'apply' : 'delete';
    if (!(drv instanceof Qcow2Driver)) throw new ImgError(`Could not ${verb} snapshot '${name}': Operation not supported`);
    try {
      if (action === 'c') createSnapshot(drv, name, new Date());
      else if (action === 'a' && !applySnapshot(drv, name)) {
        throw new ImgError(`Could not apply snapshot '${name}': Failed to load snapshot: No such file or directory`);
      } else if (action === 'd' && !deleteSnapshot(drv, name)) {
        throw new ImgError(`Could not delete snapshot '${name}': snapshot not found`);
      }
    } catch (e) {
      if (e instanceof BlockError) throw new ImgError(`Could not ${verb} snapshot '${name}': ${e.message}`);
      throw e;
    }
    return 0;
  } finally {
    drv.close();
  }
}

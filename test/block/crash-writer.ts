// Child process for the crash-safety test: writes randomly into an image through the
// block layer until it is killed. Prints "ready" once the image is open.
import { openImage } from '../../src/vm/block/open-image.js';
import { Qcow2Driver } from '../../src/vm/block/qcow2/qcow2-driver.js';
import { randomOp, rng } from './random-ops.js';

const [file, seedText] = process.argv.slice(2);
const d = openImage(file, { readOnly: false });
const cs = d instanceof Qcow2Driver ? d.clusterSize : 512;
const next = rng(Number(seedText));
process.stdout.write('ready\n');
for (let i = 0; ; i++) randomOp(d, null, next, { maxLength: 3 * cs, clusterSize: cs }, i);

// The -o option list of `create` (and `convert`, `amend`): parsing "k=v,k2=v2" with qemu's
// ",," escape, typed values, and qemu's error texts.
import { ImgError } from './output.js';
import { parseSize } from './sizes.js';

export const SIZE_PARSER_HINT = 'Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.';

export const QCOW2_OPTIONS = ['backing_file', 'backing_fmt', 'cluster_size', 'compat', 'compression_type', 'data_file',
  'data_file_raw', 'encrypt.cipher-alg', 'encrypt.cipher-mode', 'encrypt.format', 'encrypt.hash-alg', 'encrypt.iter-time',
  'encrypt.ivgen-alg', 'encrypt.ivgen-hash-alg', 'encrypt.key-secret', 'encryption', 'extended_l2', 'lazy_refcounts',
  'preallocation', 'refcount_bits', 'size'];
export const RAW_OPTIONS = ['size', 'preallocation'];

export const QCOW2_HELP = `Supported qcow2 options:
  backing_file=<str>     - File name of a base image
  backing_fmt=<str>      - Image format of the base image
  cluster_size=<size>    - qcow2 cluster size
  compat=<str>           - Compatibility level (v2 [0.10] or v3 [1.1])
  compression_type=<str> - Compression method used for image cluster compression
  data_file=<str>        - File name of an external data file
  data_file_raw=<bool (on/off)> - The external data file must stay valid as a raw image
  encrypt.cipher-alg=<str> - Name of encryption cipher algorithm
  encrypt.cipher-mode=<str> - Name of encryption cipher mode
  encrypt.format=<str>   - Encrypt the image, format choices: 'aes', 'luks'
  encrypt.hash-alg=<str> - Name of encryption hash algorithm
  encrypt.iter-time=<num> - Time to spend in PBKDF in milliseconds
  encrypt.ivgen-alg=<str> - Name of IV generator algorithm
  encrypt.ivgen-hash-alg=<str> - Name of IV generator hash algorithm
  encrypt.key-secret=<str> - ID of secret providing qcow AES key or LUKS passphrase
  encryption=<bool (on/off)> - Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)
  extended_l2=<bool (on/off)> - Extended L2 tables
  lazy_refcounts=<bool (on/off)> - Postpone refcount updates
  preallocation=<str>    - Preallocation mode (allowed values: off, metadata, falloc, full)
  refcount_bits=<num>    - Width of a reference count entry in bits
  size=<size>            - Virtual disk size

The protocol level may support further options.
Specify the target filename to include those options.
`;
export const RAW_HELP = `Supported raw options:
  size=<size>            - Virtual disk size

The protocol level may support further options.
Specify the target filename to include those options.
`;

/** Splits "a=1,b=x,,y" into ordered pairs (",," is a literal comma). */
export function splitOptions(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let cur = '';
  const items: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',') {
      if (text[i + 1] === ',') { cur += ','; i++; continue; }
      items.push(cur);
      cur = '';
    } else {
      cur += text[i];
    }
  }
  items.push(cur);
  for (const it of items) {
    if (it === '') continue;
    const eq = it.indexOf('=');
    pairs.push(eq < 0 ? [it, 'on'] : [it.slice(0, eq), it.slice(eq + 1)]);
  }
  return pairs;
}

export function parseBool(name: string, v: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(v)) return true;
  if (['off', 'no', 'false', 'n'].includes(v)) return false;
  throw new ImgError(`Parameter '${name}' expects 'on' or 'off'`);
}

export function parseSizeOption(name: string, v: string): number {
  const n = parseSize(v);
  if (n === null || n >= 1n << 64n) throw new ImgError(`Parameter '${name}' expects a non-negative number below 2^64\n${SIZE_PARSER_HINT}`);
  return Number(n);
}

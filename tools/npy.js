// Minimal reader/writer for NumPy .npy files (version 1.0, little-endian, C order) holding
// float32, int64, int32, uint8 or int8 arrays; enough for the tools' reference data.
'use strict';
const fs = require('fs');

const DESCR = { float32: '<f4', int64: '<i8', int32: '<i4', uint8: '|u1', int8: '|i1' };
const CTOR = { '<f4': Float32Array, '<i8': BigInt64Array, '<i4': Int32Array, '|u1': Uint8Array, '|i1': Int8Array };

function descrOf(arr) {
  for (const [k, c] of Object.entries(CTOR)) if (arr instanceof c) return k;
  throw new Error('npy: unsupported array type');
}

function write(file, arr, shape) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descrOf(arr)}', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

function read(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const Ctor = CTOR[descr];
  if (!Ctor) throw new Error(`${file}: dtype ${descr} not supported`);
  const off = start + hlen;
  const bytes = buf.subarray(off);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return { data: new Ctor(copy.buffer, 0, bytes.length / Ctor.BYTES_PER_ELEMENT), shape };
}

module.exports = { read, write };

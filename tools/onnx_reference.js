// Reference outputs from onnxruntime (npm package onnxruntime-node, CPU provider) for a
// model folder of models/: runs model.onnx on every sample of test_x.npy (batch 1, one
// inference per sample) and writes output 0 of each as ref_out.npy (float32, N x output).
//   node tools/onnx_reference.js models/mnist_cnn
'use strict';
const path = require('path');
const ort = require('onnxruntime-node');
const npy = require('./npy');

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node tools/onnx_reference.js MODEL_DIR');
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled', // the model's own arithmetic, no fused rewrites
    intraOpNumThreads: 1,
  });
  const x = npy.read(path.join(dir, 'test_x.npy'));
  const n = x.shape[0];
  const per = x.data.length / n;
  const inputShape = [1, ...x.shape.slice(1)];
  let outLen = 0;
  let out = null;
  for (let i = 0; i < n; i++) {
    const t = new ort.Tensor('float32', x.data.slice(i * per, (i + 1) * per), inputShape);
    const r = await session.run({ [session.inputNames[0]]: t });
    const y = r[session.outputNames[0]].data;
    if (!out) {
      outLen = y.length;
      out = new Float32Array(n * outLen);
    }
    out.set(y, i * outLen);
  }
  npy.write(path.join(dir, 'ref_out.npy'), out, [n, outLen]);
  console.log(`onnx_reference: ${n} samples through onnxruntime-node ${require('onnxruntime-node/package.json').version} -> ${path.join(dir, 'ref_out.npy')}`);
}

main().catch((e) => {
  console.error(`onnx_reference: ${e.message}`);
  process.exit(1);
});

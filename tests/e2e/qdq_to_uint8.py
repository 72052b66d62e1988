#!/usr/bin/python3
"""Rewrites an int8 QDQ ONNX model into the same model with uint8 activations (int8 weights
stay), as onnxruntime's U8S8 quantisation writes it: every QuantizeLinear whose output stays
inside the model, and every DequantizeLinear of such an activation, gets a uint8 zero point
(the int8 one plus 128). The real values are unchanged, so tinyc must give the rewritten model
exactly the outputs of the original, on the same int8 kernels. Used by mlperf_tiny.py.

    qdq_to_uint8.py IN.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def convert(model):
    """Rewrites `model` in place; returns the number of QuantizeLinear nodes rewritten."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    outputs = {o.name for o in g.output}
    made = {}

    def uint8_twin(name):
        if name not in made:
            z = numpy_helper.to_array(inits[name])
            t = numpy_helper.from_array((z.astype(np.int16) + 128).astype(np.uint8),
                                        name + "_u8")
            g.initializer.append(t)
            made[name] = t.name
        return made[name]

    def int8_zero_point(node):
        return (len(node.input) > 2 and node.input[2] in inits
                and inits[node.input[2]].data_type == onnx.TensorProto.INT8)

    rewritten = 0
    quantized = set()
    for n in g.node:
        if n.op_type == "QuantizeLinear" and n.output[0] not in outputs and int8_zero_point(n):
            n.input[2] = uint8_twin(n.input[2])
            quantized.add(n.output[0])
            rewritten += 1
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in quantized:
            if not int8_zero_point(n):
                raise ValueError(f"DequantizeLinear {n.name}: no int8 zero point to rewrite")
            n.input[2] = uint8_twin(n.input[2])
    for v in g.value_info:  # recorded types of the rewritten tensors
        if v.name in quantized:
            v.type.tensor_type.elem_type = onnx.TensorProto.UINT8
    return rewritten


def main():
    model = onnx.load(sys.argv[1])
    print(f"{convert(model)} QuantizeLinear nodes now write uint8")
    onnx.save(model, sys.argv[2])


if __name__ == "__main__":
    main()

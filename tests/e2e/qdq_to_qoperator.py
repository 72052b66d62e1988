#!/usr/bin/python3
"""Rewrites a QDQ ONNX model into QOperator form, the way onnxruntime's QOperator quantiser
writes it: DequantizeLinear -> Conv [-> Relu] -> QuantizeLinear becomes QLinearConv (int32 bias
B), Add / Mul / AveragePool / GlobalAveragePool / Sigmoid / LeakyRelu become the com.microsoft
QLinear ops, MatMul becomes QLinearMatMul; everything else (Gemm, Softmax, Reshape...) stays in
QDQ form, so the result is a mixed model like the ones onnxruntime produces. A Relu between the
op and its QuantizeLinear is dropped only where it is exact (the output zero point is the
lowest level, so quantising already clamps at 0). Used by mlperf_tiny.py: tinyc must give the
QOperator model exactly the outputs of the QDQ model.

    qdq_to_qoperator.py IN.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

QLINEAR = {"Conv": "QLinearConv", "MatMul": "QLinearMatMul", "Add": "QLinearAdd",
           "Mul": "QLinearMul", "AveragePool": "QLinearAveragePool",
           "GlobalAveragePool": "QLinearGlobalAveragePool", "Sigmoid": "QLinearSigmoid",
           "LeakyRelu": "QLinearLeakyRelu"}
STANDARD = {"QLinearConv", "QLinearMatMul"}


def convert(model):
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    readers = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    outputs = {o.name for o in g.output}

    def dq_triple(value):
        n = producer.get(value)
        if n is None or n.op_type != "DequantizeLinear":
            return None
        return list(n.input) + [""] * (3 - len(n.input))

    def single_reader(value):
        r = readers.get(value, [])
        return r[0] if len(r) == 1 and value not in outputs else None

    drop, converted = set(), 0
    new_nodes = []
    for n in g.node:
        if n.op_type not in QLINEAR or id(n) in drop:
            continue
        data_inputs = list(n.input[:2]) if n.op_type in ("Conv", "MatMul", "Add", "Mul") else [n.input[0]]
        triples = [dq_triple(v) for v in data_inputs]
        if any(t is None for t in triples):
            continue
        nxt = single_reader(n.output[0])
        relu = None
        if nxt is not None and nxt.op_type == "Relu":
            relu, nxt = nxt, single_reader(nxt.output[0])
        if nxt is None or nxt.op_type != "QuantizeLinear" or len(nxt.input) < 3:
            continue
        y_scale, y_zp = nxt.input[1], nxt.input[2]
        if relu is not None and int(inits[y_zp]) != np.iinfo(inits[y_zp].dtype).min:
            continue  # the Relu is not implied by the output range
        ins = []
        for t in triples:
            ins += t
        ins += [y_scale, y_zp]
        if n.op_type == "Conv" and len(n.input) > 2 and n.input[2]:
            b = dq_triple(n.input[2])
            sx, sw = inits[triples[0][1]], inits[triples[1][1]]
            if b is None or not np.array_equal(inits[b[1]], (np.float32(sx) * sw).astype(np.float32)):
                continue
            ins.append(b[0])
        op = QLINEAR[n.op_type]
        q = helper.make_node(op, ins, [nxt.output[0]], name=n.name,
                             domain="" if op in STANDARD else "com.microsoft")
        q.attribute.extend(n.attribute)
        new_nodes.append((n, q))
        drop.update({id(n), id(nxt)} | ({id(relu)} if relu is not None else set()))
        converted += 1
    replacement = {id(old): new for old, new in new_nodes}
    nodes = []
    for n in g.node:
        if id(n) in replacement:
            nodes.append(replacement[id(n)])
        elif id(n) not in drop:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return converted


def main():
    model = onnx.load(sys.argv[1])
    n = convert(model)
    onnx.save(model, sys.argv[2])
    print(f"{n} ops now in QOperator form")


if __name__ == "__main__":
    main()

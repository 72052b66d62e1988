#!/usr/bin/python3
"""Checks the bench harness itself (tools/run_cortexm.py + runtime_stub/) on a small model made
of elementwise ops with two inputs: host and QEMU outputs must equal a NumPy reference
(within float tolerance) and each other bit for bit, the instruction counter must count and
be deterministic (the same sample twice gives the same count), and an output the model
writes must not keep the harness's fill pattern.

    e2e_harness.py --tinyc build/tinyc --target m4|m7|host --work DIR
Exit 77 (skipped) when a tool is missing.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import run_cortexm  # noqa: E402


def make_model(path):
    w = np.linspace(-1.5, 1.5, 35, dtype=np.float32).reshape(5, 7)
    nodes = [helper.make_node("Mul", ["x", "w"], ["a"]),
             helper.make_node("Add", ["a", "y"], ["b"]),
             helper.make_node("Relu", ["b"], ["r"]),
             helper.make_node("Sub", ["r", "y"], ["s"]),
             helper.make_node("Tanh", ["s"], ["out"])]
    f = TensorProto.FLOAT
    g = helper.make_graph(nodes, "harness",
                          [helper.make_tensor_value_info("x", f, [5, 7]),
                           helper.make_tensor_value_info("y", f, [1, 7])],
                          [helper.make_tensor_value_info("out", f, [5, 7])],
                          [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    return lambda x, y: np.tanh(np.maximum(x * w + y, 0) - y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--target", choices=["host", "m4", "m7"], required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    work = os.path.join(os.path.abspath(a.work), f"harness_{a.target}")
    os.makedirs(work, exist_ok=True)
    reference = make_model(os.path.join(work, "harness.onnx"))
    cpp = os.path.join(work, "harness.cpp")
    subprocess.run([a.tinyc, os.path.join(work, "harness.onnx"), "-o", cpp, "-q"], check=True)

    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 5, 7)).astype(np.float32)
    y = rng.standard_normal((6, 1, 7)).astype(np.float32)
    x[1], y[1] = x[0], y[0]  # the same sample twice: same outputs, same instruction count
    ref = np.stack([reference(x[i], y[i]) for i in range(6)])
    failures = []
    try:
        host = run_cortexm.build_and_run(cpp, [x, y], "host", work=os.path.join(work, "host"))
        host_out = np.stack([o[0] for o in host["outputs"]])
        if not np.allclose(host_out, ref, rtol=1e-5, atol=1e-6):
            failures.append(f"host output differs from NumPy by {np.abs(host_out - ref).max():.3g}")
        if a.target != "host":
            r = run_cortexm.build_and_run(cpp, [x, y], a.target, work=os.path.join(work, a.target))
            out = np.stack([o[0] for o in r["outputs"]])
            if out.tobytes() != host_out.tobytes():
                failures.append(f"{a.target} output is not bit-identical to the host's")
            instr = r["instructions"]
            print(f"harness on {a.target}: instructions per inference {instr}, "
                  f"model flash {r['sizes']['model']['flash']} B, RAM {r['sizes']['model']['ram']} B")
            if min(instr) <= 0:
                failures.append("the instruction counter did not count")
            if instr[0] != instr[1]:
                failures.append(f"the same sample took {instr[0]} and {instr[1]} instructions")
    except run_cortexm.ToolMissing as e:
        print(f"SKIPPED: {e}")
        return 77
    except (RuntimeError, ValueError) as e:
        failures.append(str(e))
    for f in failures:
        print(f"FAILED: {f}")
    if not failures:
        print(f"harness on {a.target}: PASSED (6 inferences, outputs match)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

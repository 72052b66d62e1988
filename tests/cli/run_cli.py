#!/usr/bin/python3
"""Tests of the tinyc command line: help, version, listings, IR dumps, the JSON report, the
summary line, deterministic output, --name, and two models linked into one program.

Prints `cli: N passed, M failed` and exits non-zero on any failure.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def mlp_model(seed, scale):
    """y = relu(x * w + b) then reshaped and scaled: a few ops, weights, a fused activation."""
    rng = np.random.default_rng(seed)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 5])
    inits = [
        numpy_helper.from_array(rng.standard_normal((3, 5)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.standard_normal((5,)).astype(np.float32), "b"),
        numpy_helper.from_array(np.array([6, 5], dtype=np.int64), "shape"),
        numpy_helper.from_array(np.array(scale, dtype=np.float32), "scale"),
    ]
    nodes = [
        helper.make_node("Mul", ["x", "w"], ["xw"], name="mul"),
        helper.make_node("Add", ["xw", "b"], ["s"], name="add"),
        helper.make_node("Relu", ["s"], ["r"], name="relu"),
        helper.make_node("Reshape", ["r", "shape"], ["f"], name="reshape"),
        helper.make_node("Mul", ["f", "scale"], ["y"], name="scale"),
    ]
    g = helper.make_graph(nodes, "mlp", [x], [y], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def reference(model, x):
    w = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return (np.maximum(x * w["w"] + w["b"], 0).reshape(6, 5) * w["scale"]).astype(np.float32)


class Env:
    def __init__(self, tinyc, root):
        self.tinyc, self.root = tinyc, root
        self.model_a = os.path.join(root, "a.onnx")
        self.model_b = os.path.join(root, "b.onnx")
        self.ma, self.mb = mlp_model(1, 0.5), mlp_model(2, -2.0)
        for m, p in ((self.ma, self.model_a), (self.mb, self.model_b)):
            with open(p, "wb") as f:
                f.write(m.SerializeToString())

    def run(self, args, cwd=None, ok=True):
        r = subprocess.run([self.tinyc] + args, capture_output=True, text=True, cwd=cwd or self.root,
                           timeout=120)
        if ok and r.returncode != 0:
            raise Failure(f"tinyc {' '.join(args)} exited {r.returncode}:\n{r.stderr}")
        return r

    def folder(self, name):
        d = os.path.join(self.root, name)
        os.makedirs(d, exist_ok=True)
        return d


@test
def help_explains_options(e):
    r = e.run(["--help"])
    for opt in ["-o", "--output", "--header", "--name", "--report", "--input-shape",
                "--freeze-input", "--dump-ir", "--print-pipeline", "--list-ops", "--version",
                "--verbose", "--quiet"]:
        expect(re.search(r"(^|[\s,])" + re.escape(opt) + r"\b", r.stdout), f"--help lacks {opt}")
    expect("ONNX" in r.stdout, "--help does not say what tinyc does")


@test
def version(e):
    r = e.run(["--version"])
    expect(re.fullmatch(r"tinyc \d+\.\d+\.\d+\S*\n", r.stdout), f"--version prints {r.stdout!r}")


@test
def list_ops(e):
    r = e.run(["--list-ops"])
    ops = r.stdout.split()
    for op in ["Add", "Mul", "Relu", "Reshape", "Identity"]:
        expect(op in ops, f"--list-ops lacks {op}")
    expect(ops == sorted(ops) and len(ops) == len(set(ops)), "--list-ops is not sorted and unique")


@test
def print_pipeline(e):
    r = e.run(["--print-pipeline"])
    names = [l.split()[0] for l in r.stdout.splitlines() if l.strip()]
    for p in ["check-supported", "infer-shapes", "fold-constants", "fuse-activation",
              "eliminate-dead-nodes"]:
        expect(p in names, f"--print-pipeline lacks {p}")
    expect(names.index("infer-shapes") < names.index("fold-constants"), "pipeline order")


@test
def dump_ir_after_pass(e):
    d = e.folder("dump")
    r = e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "--dump-ir", "after=fuse-activation"])
    expect("IR after fuse-activation" in r.stderr, "no IR dump header:\n" + r.stderr)
    expect("IR after fold-constants" not in r.stderr, "dumped other passes too")
    # after fusion the Relu is gone and the Add carries it
    dump = r.stderr
    expect("= Add(" in dump and "+relu" in dump and "= Relu(" not in dump,
           "IR dump does not show the fused Relu:\n" + dump)
    r = e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "--dump-ir", "all"])
    for p in ["import", "infer-shapes", "eliminate-dead-nodes"]:
        expect(f"IR after {p}" in r.stderr, f"--dump-ir all lacks {p}")
    r = e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "--dump-ir", "after=nonsense"], ok=False)
    expect(r.returncode == 1 and "nonsense" in r.stderr and r.stderr.startswith("tinyc: error: "),
           "unknown pass name not refused:\n" + r.stderr)


@test
def report_is_valid_json(e):
    d = e.folder("report")
    rp = os.path.join(d, "r.json")
    e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "--report", rp])
    r = subprocess.run(["/usr/bin/python3", "-c", "import json,sys; json.load(open(sys.argv[1]))", rp],
                       capture_output=True, text=True)
    expect(r.returncode == 0, "report is not JSON: " + r.stderr)
    rep = json.load(open(rp))
    t = rep["totals"]
    for k in ["weights_bytes", "arena_bytes", "macs", "layers"]:
        expect(k in t, f"totals lacks {k}")
    layers = rep["layers"]
    expect(len(layers) == t["layers"] and len(layers) >= 2, "layer count")
    for l in layers:
        for k in ["name", "op", "input_shapes", "output_shape", "macs", "weight_bytes"]:
            expect(k in l, f"layer lacks {k}")
    expect(sum(l["macs"] for l in layers) == t["macs"], "MACs do not add up")
    expect(sum(l["weight_bytes"] for l in layers) == t["weights_bytes"], "weights do not add up")
    expect(t["weights_bytes"] >= (15 + 5 + 1) * 4, f"weights too small: {t['weights_bytes']}")
    expect(rep["inputs"][0]["shape"] == [2, 3, 5] and rep["outputs"][0]["shape"] == [6, 5], "I/O")
    for b in rep["arena"]["buffers"]:
        expect(b["offset"] + b["size"] <= rep["arena"]["bytes"], "buffer outside the arena")


@test
def summary_line(e):
    d = e.folder("summary")
    r = e.run([e.model_a, "-o", os.path.join(d, "m.cpp")])
    expect(re.search(r"weights [\d,]+ B", r.stdout), "summary lacks weights: " + r.stdout)
    expect(re.search(r"arena [\d,]+ B", r.stdout), "summary lacks arena: " + r.stdout)
    expect(re.search(r"[\d,]+ MACs", r.stdout), "summary lacks MACs: " + r.stdout)
    r = e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "-q"])
    expect(r.stdout == "" and r.stderr == "", "--quiet is not quiet")
    r = e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "-v"])
    expect("reshape" in r.stdout and "layer" in r.stdout, "-v lacks the per-layer table")


def outputs_of(folder):
    out = {}
    for n in ["m.cpp", "m.h", "r.json"]:
        with open(os.path.join(folder, n), "rb") as f:
            out[n] = f.read()
    return out


@test
def deterministic_output(e):
    d1, d2 = e.folder("det1"), e.folder("det2/deeper")
    e.run([e.model_a, "-o", os.path.join(d1, "m.cpp"), "--report", os.path.join(d1, "r.json")])
    e.run([e.model_a, "-o", os.path.join(d2, "m.cpp"), "--report", os.path.join(d2, "r.json")])
    # relative paths from another working directory, to a differently named folder
    cwd = e.folder("elsewhere")
    shutil.copy(e.model_a, os.path.join(cwd, "a.onnx"))
    e.run(["a.onnx", "-o", "out/m.cpp", "--report", "out/r.json"], cwd=cwd, ok=False)
    os.makedirs(os.path.join(cwd, "out"))
    e.run(["a.onnx", "-o", "out/m.cpp", "--report", "out/r.json"], cwd=cwd)
    a, b, c = outputs_of(d1), outputs_of(d2), outputs_of(os.path.join(cwd, "out"))
    for n in a:
        expect(a[n] == b[n], f"{n} differs between two runs")
        expect(a[n] == c[n], f"{n} differs when compiled from another folder")


@test
def name_sets_prefix(e):
    d = e.folder("named")
    e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "--name", "kws"])
    h = open(os.path.join(d, "m.h")).read()
    for want in ["kws_run(", "KWS_ARENA_BYTES", "KWS_INPUT0_COUNT", "KWS_OUTPUT0_COUNT"]:
        expect(want in h, f"header lacks {want}")
    expect("m_run" not in h and "M_ARENA" not in h, "header still uses the file stem")
    expect(re.search(r"KWS_INPUT0_COUNT\s+30\b", h) and re.search(r"KWS_OUTPUT0_COUNT\s+30\b", h),
           "element counts wrong")
    e.run([e.model_a, "-o", os.path.join(d, "other.cpp")])
    h = open(os.path.join(d, "other.h")).read()
    expect("other_run(" in h and "OTHER_ARENA_BYTES" in h, "default name is not the file stem")


MAIN = r"""
#include "alpha.h"
#include "beta.h"
#include <stdio.h>
int main() {
  static float x[ALPHA_INPUT0_COUNT], ya[ALPHA_OUTPUT0_COUNT], yb[BETA_OUTPUT0_COUNT];
  if (fread(x, sizeof x, 1, stdin) != 1) return 3;
  if (alpha_run(x, ya) != 0 || beta_run(x, yb) != 0) return 4;
  fwrite(ya, sizeof ya, 1, stdout);
  fwrite(yb, sizeof yb, 1, stdout);
  return 0;
}
"""


def strong_globals(obj):
    """Defined global symbols that are not weak/inline (those could clash between models)."""
    r = subprocess.run(["nm", "-g", "--defined-only", "-C", obj], capture_output=True, text=True)
    syms = []
    for line in r.stdout.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and parts[1] in "TDBRG":
            syms.append(parts[2])
    return syms


@test
def two_models_link_together(e):
    d = e.folder("link")
    e.run([e.model_a, "-o", os.path.join(d, "alpha.cpp"), "--name", "alpha"])
    e.run([e.model_b, "-o", os.path.join(d, "beta.cpp"), "--name", "beta"])
    with open(os.path.join(d, "main.cpp"), "w") as f:
        f.write(MAIN)
    objs = []
    for n in ["alpha", "beta", "main"]:
        o = os.path.join(d, n + ".o")
        r = subprocess.run(["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-c", "-o", o,
                            os.path.join(d, n + ".cpp")], capture_output=True, text=True)
        expect(r.returncode == 0, f"{n}.cpp does not build:\n{r.stderr}")
        objs.append(o)
    for n, o in (("alpha", objs[0]), ("beta", objs[1])):
        foreign = [s for s in strong_globals(o) if n not in s]
        expect(not foreign, f"{n}.o defines global symbols without its name: {foreign}")
    exe = os.path.join(d, "both")
    r = subprocess.run(["g++", "-o", exe] + objs, capture_output=True, text=True)
    expect(r.returncode == 0, "the two models do not link together:\n" + r.stderr)
    x = np.linspace(-2, 2, 30, dtype=np.float32).reshape(2, 3, 5)
    r = subprocess.run([exe], input=x.tobytes(), capture_output=True)
    expect(r.returncode == 0, f"program exits {r.returncode}")
    got = np.frombuffer(r.stdout, dtype=np.float32)
    expect(got.size == 60, "output size")
    expect(np.allclose(got[:30].reshape(6, 5), reference(e.ma, x), rtol=1e-6, atol=1e-6), "alpha")
    expect(np.allclose(got[30:].reshape(6, 5), reference(e.mb, x), rtol=1e-6, atol=1e-6), "beta")


@test
def arena_size_limit(e):
    d = e.folder("arena_size")
    rp = os.path.join(d, "r.json")
    e.run([e.model_a, "-o", os.path.join(d, "m.cpp"), "--report", rp])
    rep = json.load(open(rp))
    need = rep["arena"]["bytes"]
    for b in rep["arena"]["buffers"]:
        for k in ["name", "offset", "size", "first_use", "last_use"]:
            expect(k in b, f"arena buffer lacks {k}")
    expect(rep["totals"]["arena_lower_bound"] <= need <= rep["totals"]["arena_naive_bytes"],
           "arena outside [lower bound, naive total]")
    if need == 0:
        return
    e.run([e.model_a, "-o", os.path.join(d, "ok.cpp"), "--arena-size", str(need)])
    r = e.run([e.model_a, "-o", os.path.join(d, "small.cpp"), "--arena-size", str(need - 1)],
              ok=False)
    expect(r.returncode == 1, "--arena-size below the plan does not fail")
    expect(str(need) in r.stderr and str(need - 1) in r.stderr,
           "the --arena-size error does not name the need and the bound: " + r.stderr)
    expect(not os.path.exists(os.path.join(d, "small.cpp")), "a file was written on error")
    r = e.run([e.model_a, "-o", os.path.join(d, "bad.cpp"), "--arena-size", "lots"], ok=False)
    expect(r.returncode == 1 and "--arena-size" in r.stderr, "bad --arena-size accepted")


EXTERNAL_MAIN = r"""
#include "ext.h"
#include <stdio.h>
#include <stdint.h>
alignas(EXT_ARENA_ALIGN) static uint8_t arena[EXT_ARENA_BYTES + EXT_ARENA_ALIGN];
int main() {
  float x[EXT_INPUT0_COUNT], y[EXT_OUTPUT0_COUNT];
  if (fread(x, sizeof x, 1, stdin) != 1) return 2;
  if (ext_run(x, y) != -1) return 3;              // no arena yet
  if (ext_set_arena(arena + 1) != -1) return 4;   // misaligned
  if (ext_set_arena(arena) != 0) return 5;
  if (ext_run(x, y) != 0) return 6;
  fwrite(y, sizeof y, 1, stdout);
  return 0;
}
"""


@test
def arena_external(e):
    d = e.folder("arena_external")
    e.run([e.model_a, "-o", os.path.join(d, "ext.cpp"), "--name", "ext", "--arena", "external"])
    h = open(os.path.join(d, "ext.h")).read()
    for needle in ["EXT_ARENA_BYTES", "EXT_ARENA_ALIGN", "EXT_ARENA_EXTERNAL",
                   "int ext_set_arena(uint8_t* arena);"]:
        expect(needle in h, f"the header lacks {needle}")
    with open(os.path.join(d, "main.cpp"), "w") as f:
        f.write(EXTERNAL_MAIN)
    exe = os.path.join(d, "t")
    r = subprocess.run(["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-o", exe,
                        os.path.join(d, "ext.cpp"), os.path.join(d, "main.cpp")],
                       capture_output=True, text=True)
    expect(r.returncode == 0, "external-arena code does not build:\n" + r.stderr)
    x = np.linspace(-2, 2, 30, dtype=np.float32).reshape(2, 3, 5)
    r = subprocess.run([exe], input=x.tobytes(), capture_output=True)
    expect(r.returncode == 0, f"external-arena program exits {r.returncode}")
    got = np.frombuffer(r.stdout, dtype=np.float32)
    expect(np.allclose(got.reshape(6, 5), reference(e.ma, x), rtol=1e-6, atol=1e-6), "output")
    r = e.run([e.model_a, "-o", os.path.join(d, "x.cpp"), "--arena", "bank2"], ok=False)
    expect(r.returncode == 1 and "--arena" in r.stderr, "bad --arena accepted")


@test
def same_model_twice_under_two_names(e):
    d = e.folder("link2")
    e.run([e.model_a, "-o", os.path.join(d, "alpha.cpp"), "--name", "alpha"])
    e.run([e.model_a, "-o", os.path.join(d, "beta.cpp"), "--name", "beta"])
    with open(os.path.join(d, "main.cpp"), "w") as f:
        f.write(MAIN)
    r = subprocess.run(["g++", "-std=c++17", "-O1", "-o", os.path.join(d, "both")] +
                       [os.path.join(d, n + ".cpp") for n in ["alpha", "beta", "main"]],
                       capture_output=True, text=True)
    expect(r.returncode == 0, "one model under two names does not link:\n" + r.stderr)


@test
def missing_arguments(e):
    r = e.run([], ok=False)
    expect(r.returncode != 0 and "tinyc: error:" in r.stderr, "no model: " + r.stderr)
    r = e.run([e.model_a], ok=False)
    expect(r.returncode != 0 and "-o" in r.stderr, "no output: " + r.stderr)
    r = e.run([e.model_a, "-o", "x.cpp", "--no-such-flag"], ok=False)
    expect(r.returncode != 0 and "no-such-flag" in r.stderr, "unknown flag: " + r.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--filter", default="")
    a = ap.parse_args()
    root = a.work or tempfile.mkdtemp(prefix="tinyc-cli-")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    e = Env(os.path.abspath(a.tinyc), root)
    passed = failed = 0
    for fn in TESTS:
        if a.filter not in fn.__name__:
            continue
        try:
            fn(e)
            passed += 1
        except Exception as ex:  # noqa: BLE001 - report every failing test, keep going
            failed += 1
            print(f"FAIL {fn.__name__}: {type(ex).__name__}: {ex}")
    print(f"cli: {passed} passed, {failed} failed")
    if failed == 0 and not a.work:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

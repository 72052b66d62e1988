#!/usr/bin/python3
"""Command-line tests of --quantize int8: the calibration data forms (.npy with and without
the batch dim, folders of .npy and .pb files, several inputs), --val, the summary and report
figures, progress and -q, determinism, and one clear error line for each misuse (no output
file written).

    run_cli_quantize.py --tinyc build/tinyc [--work DIR] [--filter NAME]

Prints `cli-quantize: N passed, M failed` and exits non-zero on any failure.
"""
import argparse
import json
import os
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


def cnn_model():
    """x[1,2,6,6] -> Conv(2->3, 3x3, pad 1) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm(27->4)."""
    rng = np.random.default_rng(0)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    inits = [
        numpy_helper.from_array(rng.uniform(-0.5, 0.5, (3, 2, 3, 3)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.uniform(-0.1, 0.1, (3,)).astype(np.float32), "b"),
        numpy_helper.from_array(rng.uniform(-0.3, 0.3, (4, 27)).astype(np.float32), "fc"),
        numpy_helper.from_array(rng.uniform(-0.1, 0.1, (4,)).astype(np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fc_b"], ["y"], transB=1),
    ]
    g = helper.make_graph(nodes, "cnn", [x], [y], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def two_input_model():
    """a[1,2,4,4] + b[1,2,4,4] -> MaxPool 2x2 -> y."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 2, 4, 4])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 2])
    nodes = [helper.make_node("Add", ["a", "b"], ["s"]),
             helper.make_node("MaxPool", ["s"], ["y"], kernel_shape=[2, 2], strides=[2, 2])]
    g = helper.make_graph(nodes, "two", [a, b], [y])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


class Env:
    def __init__(self, tinyc, root):
        self.tinyc, self.root = tinyc, root
        self.cnn = self.save_model(cnn_model(), "cnn.onnx")
        self.two = self.save_model(two_input_model(), "two.onnx")
        rng = np.random.default_rng(1)
        self.x = rng.uniform(-1, 1, (40, 1, 2, 6, 6)).astype(np.float32)
        self.calib = self.save_npy("calib.npy", self.x)  # N x input shape
        self.calib_nobatch = self.save_npy("calib_nb.npy", self.x[:, 0])  # N x 2x6x6
        self.val_x = self.save_npy("val_x.npy",
                                   rng.uniform(-1, 1, (12, 1, 2, 6, 6)).astype(np.float32))
        self.val_y = self.save_npy("val_y.npy", rng.integers(0, 4, 12).astype(np.int64))

    def path(self, name):
        return os.path.join(self.root, name)

    def save_model(self, m, name):
        with open(self.path(name), "wb") as f:
            f.write(m.SerializeToString())
        return self.path(name)

    def save_npy(self, name, a):
        np.save(self.path(name), a)
        return self.path(name)

    def run(self, args, ok=True):
        r = subprocess.run([self.tinyc] + args, capture_output=True, text=True, cwd=self.root,
                           timeout=120)
        if ok and r.returncode != 0:
            raise Failure(f"tinyc {' '.join(args)} exited {r.returncode}:\n{r.stderr}")
        return r

    def quantize(self, extra, out="q.cpp", model=None, ok=True):
        return self.run([model or self.cnn, "-o", self.path(out), "--name", "q", "--quantize",
                         "int8"] + extra, ok)

    def code(self, out):
        """The generated source without its own header's name, for comparing two runs."""
        text = open(self.path(out)).read()
        return text.replace(f'#include "{os.path.splitext(out)[0]}.h"', "")

    def error(self, args, needle, what):
        """tinyc must fail with one 'tinyc: error:' line containing `needle`, writing nothing."""
        out = self.path("err.cpp")
        for f in (out, self.path("err.h")):
            if os.path.exists(f):
                os.remove(f)
        r = self.run(args + ["-o", out], ok=False)
        lines = r.stderr.strip().splitlines()
        expect(r.returncode != 0, f"{what}: exit 0")
        expect(len(lines) == 1, f"{what}: expected one error line, got:\n{r.stderr}")
        expect(lines[0].startswith("tinyc: error:") or "Error" in lines[0] or "error" in lines[0],
               f"{what}: not an error line: {lines[0]}")
        expect(needle in lines[0], f"{what}: error lacks {needle!r}: {lines[0]}")
        expect(not os.path.exists(out), f"{what}: output written despite the error")


@test
def help_explains_quantization(e):
    r = e.run(["--help"])
    for opt in ["--quantize", "--calib", "--calib-method", "--calib-percentile", "--val",
                "--quantize-all-ops", "minmax", "percentile", "mse", ".npy", ".pb", "NAME=PATH"]:
        expect(opt in r.stdout, f"--help lacks {opt}")


@test
def calibrates_from_npy(e):
    r = e.quantize(["--calib", e.calib, "--report", e.path("r.json")])
    expect("int8: 40 calibration samples" in r.stdout, "summary lacks the int8 line:\n" + r.stdout)
    expect("SNR" in r.stdout and "calibration samples" in r.stdout, "summary lacks SNR:\n" + r.stdout)
    q = json.load(open(e.path("r.json")))["quantization"]
    expect(q["method"] == "mse" and q["calibration_samples"] == 40, f"report: {q}")
    acc = q["accuracy"]
    expect(acc["data"] == "calibration" and acc["samples"] == 40, f"report accuracy: {acc}")
    expect(acc["snr_db"] is None or acc["snr_db"] > 10, f"SNR too low: {acc}")
    expect("top1_float" not in acc, "top-1 without labels")
    rep = json.load(open(e.path("r.json")))
    expect("totals" in rep and "layers" in rep and "arena" in rep, "report lost its fields")


@test
def batch_dim_is_optional_for_batch_one(e):
    a = e.quantize(["--calib", e.calib, "--report", e.path("a.json")], out="a.cpp")
    b = e.quantize(["--calib", e.calib_nobatch, "--report", e.path("b.json")], out="b.cpp")
    expect(e.code("a.cpp") == e.code("b.cpp"),
           "N x shape and N x shape-without-batch give different code")
    expect(a.stdout.splitlines()[1:] == b.stdout.splitlines()[1:], "different summaries")


@test
def folders_of_npy_and_pb(e):
    d = e.path("npy_dir")
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "part0.npy"), e.x[:25])
    np.save(os.path.join(d, "part1.npy"), e.x[25])  # one sample, exactly the input shape
    np.save(os.path.join(d, "part2.npy"), e.x[26:, 0])  # without the batch dim
    e.quantize(["--calib", d], out="dir.cpp")
    e.quantize(["--calib", e.calib], out="file.cpp")
    expect(e.code("dir.cpp") == e.code("file.cpp"),
           "a folder of the same samples gives different code")
    p = e.path("pb_dir")
    os.makedirs(p, exist_ok=True)
    for i in range(40):
        with open(os.path.join(p, f"s{i:03d}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(e.x[i], "x").SerializeToString())
    e.quantize(["--calib", p], out="pb.cpp")
    expect(e.code("pb.cpp") == e.code("file.cpp"),
           ".pb samples give different code")


@test
def validation_reports_top1(e):
    r = e.quantize(["--calib", e.calib, "--val", e.val_x, e.val_y, "--report", e.path("v.json")])
    expect("top-1" in r.stdout and "12 validation samples" in r.stdout, "no top-1:\n" + r.stdout)
    acc = json.load(open(e.path("v.json")))["quantization"]["accuracy"]
    for k in ("top1_float", "top1_int8", "snr_db", "max_abs_error", "top1_agreement"):
        expect(k in acc, f"report accuracy lacks {k}")
    expect(acc["data"] == "validation" and acc["samples"] == 12, f"{acc}")


@test
def int8_io_measures_the_same_accuracy(e):
    # --io int8: the measurement quantises the float samples with the input's parameters and
    # reads the int8 outputs as real values, so it finds what --io float finds (to rounding).
    acc = {}
    for io in ("float", "int8"):
        e.quantize(["--calib", e.calib, "--val", e.val_x, e.val_y, "--io", io, "--report",
                    e.path(f"io_{io}.json")], out=f"io_{io}.cpp")
        acc[io] = json.load(open(e.path(f"io_{io}.json")))["quantization"]["accuracy"]
    for k in ("top1_float", "top1_int8", "top1_agreement"):
        expect(acc["float"][k] == acc["int8"][k], f"{k}: --io float {acc['float']}, int8 {acc['int8']}")
    expect(acc["int8"]["max_abs_error"] <= acc["float"]["max_abs_error"] * 1.01 + 1e-6,
           f"max error: --io float {acc['float']}, int8 {acc['int8']}")


@test
def every_method_runs(e):
    for m in ("minmax", "percentile", "mse"):
        e.quantize(["--calib", e.calib, "--calib-method", m, "--report", e.path(f"{m}.json")],
                   out=f"{m}.cpp")
        expect(json.load(open(e.path(f"{m}.json")))["quantization"]["method"] == m, m)
    e.quantize(["--calib", e.calib, "--calib-method", "percentile", "--calib-percentile", "99.9"],
               out="p999.cpp")
    e.quantize(["--calib", e.calib, "--quantize-all-ops"], out="all.cpp")


@test
def several_inputs(e):
    rng = np.random.default_rng(2)
    a = e.save_npy("a.npy", rng.uniform(-1, 1, (20, 1, 2, 4, 4)).astype(np.float32))
    b = e.save_npy("b.npy", rng.uniform(-1, 1, (20, 1, 2, 4, 4)).astype(np.float32))
    e.quantize(["--calib", f"b={b}", "--calib", f"a={a}"], out="named.cpp", model=e.two)
    e.quantize(["--calib", a, "--calib", b], out="ordered.cpp", model=e.two)
    expect(e.code("named.cpp") == e.code("ordered.cpp"),
           "NAME=PATH and positional paths give different code")
    d = e.path("onnx_layout")
    for i in range(20):
        s = os.path.join(d, f"test_data_set_{i:02d}")
        os.makedirs(s, exist_ok=True)
        for k, arr in enumerate((np.load(a), np.load(b))):
            with open(os.path.join(s, f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(arr[i], "ab"[k]).SerializeToString())
    e.quantize(["--calib", d], out="layout.cpp", model=e.two)
    expect(e.code("layout.cpp") == e.code("named.cpp"),
           "the ONNX test-data layout gives different code")
    e.error([e.two, "--quantize", "int8", "--calib", f"a={a}"], "NAME=PATH", "one input missing")
    short = e.save_npy("short.npy", np.load(b)[:5])
    e.error([e.two, "--quantize", "int8", "--calib", f"a={a}", "--calib", f"b={short}"],
            "5 samples", "different sample counts")


@test
def progress_and_quiet(e):
    r = e.quantize(["--calib", e.calib], out="prog.cpp")
    expect("calibrating" in r.stderr, "no calibration progress on stderr:\n" + r.stderr)
    r = e.quantize(["--calib", e.calib, "-q"], out="quiet.cpp")
    expect(r.stdout == "" and r.stderr == "", f"-q is not quiet: {r.stdout!r} {r.stderr!r}")


@test
def deterministic(e):
    e.quantize(["--calib", e.calib, "--calib-method", "mse"], out="d1.cpp")
    e.quantize(["--calib", e.calib, "--calib-method", "mse"], out="d2.cpp")
    expect(e.code("d1.cpp") == e.code("d2.cpp"), "outputs differ")


@test
def errors_are_one_clear_line(e):
    q = [e.cnn, "--quantize", "int8"]
    e.error(q, "--calib", "--quantize without --calib")
    e.error([e.cnn, "--calib", e.calib], "--quantize int8", "--calib without --quantize")
    e.error([e.cnn, "--val", e.val_x, e.val_y], "--quantize int8", "--val without --quantize")
    e.error(q + ["--calib", e.path("nope.npy")], "nope.npy", "missing file")
    f64 = e.save_npy("f64.npy", e.x.astype(np.float64))
    e.error(q + ["--calib", f64], "float32", "float64 data")
    i32 = e.save_npy("i32.npy", np.zeros((3, 1, 2, 6, 6), np.int32))
    e.error(q + ["--calib", i32], "float32", "integer data")
    bad = e.save_npy("bad_shape.npy", np.zeros((5, 2, 5, 6), np.float32))
    e.error(q + ["--calib", bad], "1x2x6x6", "wrong shape")
    empty = e.save_npy("empty.npy", np.zeros((0, 1, 2, 6, 6), np.float32))
    e.error(q + ["--calib", empty], "empty", "no samples")
    os.makedirs(e.path("empty_dir"), exist_ok=True)
    e.error(q + ["--calib", e.path("empty_dir")], "no .npy or .pb", "empty folder")
    with open(e.path("junk.npy"), "wb") as f:
        f.write(b"not numpy at all")
    e.error(q + ["--calib", e.path("junk.npy")], "not a NumPy", "not an .npy file")
    with open(e.path("data.txt"), "w") as f:
        f.write("1 2 3")
    e.error(q + ["--calib", e.path("data.txt")], ".npy or .pb", "unknown file type")
    labels = e.save_npy("labels5.npy", np.zeros(5, np.int64))
    e.error(q + ["--calib", e.calib, "--val", e.val_x, labels], "labels", "label count")
    flabels = e.save_npy("flabels.npy", np.zeros(12, np.float32))
    e.error(q + ["--calib", e.calib, "--val", e.val_x, flabels], "integers", "float labels")
    e.error([e.cnn, "--quantize", "int4", "--calib", e.calib], "int4", "unknown scheme")
    e.error(q + ["--calib", e.calib, "--calib-method", "kl"], "kl", "unknown method")
    e.error(q + ["--calib", e.calib, "--calib-percentile", "20"], "percentile", "bad percentile")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--filter", default="")
    a = ap.parse_args()
    root = a.work or tempfile.mkdtemp(prefix="tinyc-cli-quantize-")
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
    print(f"cli-quantize: {passed} passed, {failed} failed")
    if failed == 0 and not a.work:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

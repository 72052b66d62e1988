#!/usr/bin/python3
"""Bad-input tests for the tinyc command line.

Every case builds a broken (or hostile) model at test time with the onnx helpers, runs tinyc
on it and checks the contract of DESIGN.md "Errors":
  - exit code 1 (not a signal, not a sanitizer abort),
  - every stderr line is `tinyc: error: ...`, and there is exactly one of them (except for
    the unsupported-ops case: one line per node plus a summary line),
  - the message names the problem (expected substrings),
  - no output file and no temporary is left behind.
A few cases check the opposite: a model that is fine (external data inside its folder) is
accepted and gives correct code.

`--fuzz N` adds N byte-flipped and truncated variants of real models; each must either
compile (exit 0, outputs written) or fail cleanly as above. Run it against a tinyc built
with -fsanitize=address,undefined (cmake -DTINYC_SANITIZE=ON) to catch memory errors.

Prints `bad_input: N passed, M failed` and exits non-zero on any failure.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SANITIZER_MARKS = ("AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:",
                   "LeakSanitizer", "Segmentation fault", "core dumped")


# ---------------------------------------------------------------------------------------------
# Model builders


def make_model(nodes, inputs, outputs, initializers=(), opset=13, ir_version=8):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=ir_version)


def small_model():
    """A valid float model: y = relu(reshape(x * w + b, [2, 6])), with initializers."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 6])
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal((4,)).astype(np.float32), "b")
    shape = numpy_helper.from_array(np.array([2, 6], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("Mul", ["x", "w"], ["xw"], name="mul"),
        helper.make_node("Add", ["xw", "b"], ["s"], name="add"),
        helper.make_node("Reshape", ["s", "shape"], ["r"], name="reshape"),
        helper.make_node("Relu", ["r"], ["y"], name="relu"),
    ]
    return make_model(nodes, [x], [y], [w, b, shape])


def save(model, path):
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


# ---------------------------------------------------------------------------------------------
# Cases: each takes the case folder, writes its inputs there and returns
# (tinyc arguments, expected substrings of the error, expected number of error lines).
# The output always goes to <folder>/out/model.cpp unless the case says otherwise.

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def missing_file(d):
    return [os.path.join(d, "nope.onnx")], ["nope.onnx", "does not exist"], 1


@case
def directory_instead_of_file(d):
    os.mkdir(os.path.join(d, "adir.onnx"))
    return [os.path.join(d, "adir.onnx")], ["adir.onnx", "is a directory"], 1


@case
def empty_file(d):
    p = os.path.join(d, "empty.onnx")
    open(p, "wb").close()
    return [p], ["empty.onnx", "not an ONNX model"], 1


@case
def text_file(d):
    p = os.path.join(d, "notes.onnx")
    with open(p, "w") as f:
        f.write("this is a text file, not a model\n" * 20)
    return [p], ["notes.onnx", "not an ONNX model"], 1


@case
def png_file(d):
    p = os.path.join(d, "picture.png")
    header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02"
    with open(p, "wb") as f:
        f.write(header + bytes(random.Random(1).randrange(256) for _ in range(300)))
    return [p], ["picture.png", "not an ONNX model"], 1


@case
def truncated_model(d):
    data = small_model().SerializeToString()
    p = os.path.join(d, "trunc.onnx")
    with open(p, "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    return [p], ["trunc.onnx"], 1


@case
def unsupported_ops(d):
    # ops from a custom domain, which no tinyc branch will ever implement
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)
    nodes = [
        helper.make_node("FancyNorm", ["x"], ["a"], name="norm1", domain="com.acme"),
        helper.make_node("Relu", ["a"], ["b"], name="relu"),
        helper.make_node("Warp", ["b"], ["c"], name="warp1", domain="com.acme"),
        helper.make_node("FancyNorm", ["c"], ["y"], name="norm2", domain="com.acme"),
    ]
    m = make_model(nodes, [x], [y])
    m.opset_import.append(helper.make_opsetid("com.acme", 1))
    p = save(m, os.path.join(d, "unsup.onnx"))
    # one line per unsupported node, plus a summary line
    return [p], ["'norm1'", "'warp1'", "'norm2'", "com.acme::FancyNorm", "com.acme::Warp",
                 "not supported", "3 unsupported"], 4


@case
def control_characters_in_names(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])
    nodes = [helper.make_node("Odd", ["x"], ["y"], name="two\nlines\r", domain="com.acme")]
    m = make_model(nodes, [x], [y])
    m.opset_import.append(helper.make_opsetid("com.acme", 1))
    p = save(m, os.path.join(d, "ctrl.onnx"))
    return [p], ["two\\x0alines\\x0d"], 2


@case
def dynamic_input_without_shape(d):
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 2)
    nodes = [helper.make_node("Relu", ["image"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "dyn.onnx"))
    return [p], ["'image'", "dynamic", "--input-shape"], 1


@case
def input_without_any_shape(d):
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, None)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 2)
    nodes = [helper.make_node("Relu", ["image"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "noshape.onnx"))
    return [p], ["'image'", "--input-shape"], 1


def dyn_model(d):
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 2)
    nodes = [helper.make_node("Relu", ["image"], ["y"], name="relu")]
    return save(make_model(nodes, [x], [y]), os.path.join(d, "dyn.onnx"))


@case
def input_shape_bad_syntax(d):
    return [dyn_model(d), "--input-shape", "image=2by4"], ["2by4", "bad shape"], 1


@case
def input_shape_without_name(d):
    return [dyn_model(d), "--input-shape", "2x4"], ["--input-shape", "NAME=DIMS"], 1


@case
def input_shape_negative(d):
    return [dyn_model(d), "--input-shape", "image=2x-4"], ["2x-4", "bad shape"], 1


@case
def input_shape_wrong_rank(d):
    return [dyn_model(d), "--input-shape", "image=1x2x4"], ["'image'", "rank 3", "rank 2"], 1


@case
def input_shape_conflict(d):
    return [dyn_model(d), "--input-shape", "image=2x5"], ["image", "dimension 1", "4"], 1


@case
def input_shape_unknown_name(d):
    return [dyn_model(d), "--input-shape", "image=2x4", "--input-shape", "imgae=2x4"], \
        ["'imgae'", "not an input"], 1


@case
def raw_data_size_mismatch(d):
    m = small_model()
    w = m.graph.initializer[0]
    w.raw_data = w.raw_data[:-8]
    p = save(m, os.path.join(d, "rawsize.onnx"))
    return [p], ["'w'", "bytes"], 1


@case
def float_data_count_mismatch(d):
    m = small_model()
    b = TensorProto(name="b", data_type=TensorProto.FLOAT, dims=[4], float_data=[1.0, 2.0, 3.0])
    m.graph.initializer[1].CopyFrom(b)
    p = save(m, os.path.join(d, "floatcount.onnx"))
    return [p], ["'b'", "3 values", "4"], 1


@case
def absurd_dims_initializer(d):
    m = small_model()
    w = m.graph.initializer[0]
    del w.dims[:]
    w.dims.extend([1000000, 1000000])
    p = save(m, os.path.join(d, "huge.onnx"))
    return [p], ["'w'"], 1


@case
def absurd_dims_input(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1000000, 1000000])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 2)
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "hugein.onnx"))
    return [p], ["too large"], 1


@case
def overflowing_dims_input(d):
    # 2^62 * 4 overflows int64 when multiplied out
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2 ** 31, 2 ** 31, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 3)
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "overflow.onnx"))
    return [p], ["too large"], 1


@case
def absurd_reshape_target(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 2)
    shape = numpy_helper.from_array(np.array([2 ** 40, 2 ** 40], dtype=np.int64), "shape")
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")]
    p = save(make_model(nodes, [x], [y], [shape]), os.path.join(d, "bigreshape.onnx"))
    return [p], ["'reshape'"], 1


@case
def negative_dims_initializer(d):
    m = small_model()
    w = m.graph.initializer[0]
    del w.dims[:]
    w.dims.extend([3, -4])
    p = save(m, os.path.join(d, "negdim.onnx"))
    return [p], ["'w'", "negative"], 1


@case
def negative_dims_input(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, -4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 2)
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "negin.onnx"))
    return [p], ["'x'", "negative"], 1


@case
def undefined_tensor(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 1)
    nodes = [helper.make_node("Add", ["x", "ghost"], ["y"], name="add")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "ghost.onnx"))
    return [p], ["ghost"], 1


@case
def graph_cycle(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 1)
    nodes = [
        helper.make_node("Add", ["x", "b"], ["a"], name="first"),
        helper.make_node("Relu", ["a"], ["b"], name="second"),
        helper.make_node("Relu", ["b"], ["y"], name="third"),
    ]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "cycle.onnx"))
    return [p], ["cycle", "'first'", "'second'"], 1


@case
def output_never_produced(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    z = helper.make_tensor_value_info("nowhere", TensorProto.FLOAT, [4])
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], [y, z]), os.path.join(d, "noprod.onnx"))
    return [p], ["'nowhere'"], 1


@case
def duplicate_output_name(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu1"),
             helper.make_node("Abs", ["x"], ["y"], name="abs1")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "dupout.onnx"))
    return [p], ["'y'"], 1


@case
def no_outputs(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], []), os.path.join(d, "noout.onnx"))
    return [p], ["no outputs"], 1


def external_model(d, location):
    m = small_model()
    w = m.graph.initializer[0]
    w.data_location = TensorProto.EXTERNAL
    del w.external_data[:]
    e = w.external_data.add()
    e.key, e.value = "location", location
    w.ClearField("raw_data")
    return m


@case
def external_data_escapes_folder(d):
    os.makedirs(os.path.join(d, "m"))
    with open(os.path.join(d, "secret"), "wb") as f:
        f.write(bytes(48))
    save(external_model(d, "../secret"), os.path.join(d, "m", "ext.onnx"))
    return ["m/ext.onnx"], ["'w'", "../secret", "refused"], 1


@case
def external_data_absolute_path(d):
    secret = os.path.join(d, "abs_secret")
    with open(secret, "wb") as f:
        f.write(bytes(48))
    p = save(external_model(d, secret), os.path.join(d, "ext.onnx"))
    return [p], ["'w'", "refused"], 1


@case
def external_data_symlink_escape(d):
    os.makedirs(os.path.join(d, "m"))
    with open(os.path.join(d, "secret"), "wb") as f:
        f.write(bytes(48))
    os.symlink(os.path.join(d, "secret"), os.path.join(d, "m", "weights.bin"))
    p = save(external_model(d, "weights.bin"), os.path.join(d, "m", "ext.onnx"))
    return [p], ["'w'", "refused"], 1


@case
def external_data_missing_file(d):
    p = save(external_model(d, "weights.bin"), os.path.join(d, "ext.onnx"))
    return [p], ["weights.bin", "does not exist"], 1


@case
def external_data_too_short(d):
    with open(os.path.join(d, "weights.bin"), "wb") as f:
        f.write(bytes(20))
    p = save(external_model(d, "weights.bin"), os.path.join(d, "ext.onnx"))
    return [p], ["'w'", "weights.bin"], 1


@case
def external_data_bad_offset(d):
    with open(os.path.join(d, "weights.bin"), "wb") as f:
        f.write(bytes(48))
    m = external_model(d, "weights.bin")
    e = m.graph.initializer[0].external_data.add()
    e.key, e.value = "offset", "-8"
    p = save(m, os.path.join(d, "ext.onnx"))
    return [p], ["'w'", "offset"], 1


@case
def opset_too_new(d):
    m = small_model()
    m.opset_import[0].version = 99
    p = save(m, os.path.join(d, "opset99.onnx"))
    return [p], ["opset 99", "not supported"], 1


@case
def opset_too_old(d):
    m = small_model()
    m.opset_import[0].version = 3
    p = save(m, os.path.join(d, "opset3.onnx"))
    return [p], ["opset 3", "not supported"], 1


@case
def output_in_missing_folder(d):
    p = save(small_model(), os.path.join(d, "ok.onnx"))
    return {"args": [p, "-o", os.path.join(d, "no", "such", "dir", "model.cpp")],
            "expect": ["no/such/dir/model.cpp", "cannot write"], "lines": 1}


@case
def report_in_missing_folder(d):
    # the .cpp and .h could be written, but the report cannot: nothing may be left
    p = save(small_model(), os.path.join(d, "ok.onnx"))
    return {"args": [p, "--report", os.path.join(d, "nodir", "r.json")],
            "expect": ["nodir/r.json", "cannot write"], "lines": 1}


@case
def output_is_a_directory(d):
    p = save(small_model(), os.path.join(d, "ok.onnx"))
    os.makedirs(os.path.join(d, "out", "model.cpp"))
    return {"args": [p], "expect": ["model.cpp"], "lines": 1, "keep": ["model.cpp"]}


@case
def header_is_a_directory(d):
    # the .cpp could be written, the header cannot: the .cpp must not be left alone
    p = save(small_model(), os.path.join(d, "ok.onnx"))
    os.makedirs(os.path.join(d, "out", "model.h"))
    return {"args": [p], "expect": ["model.h"], "lines": 1, "keep": ["model.h"]}


@case
def stale_output_untouched_on_error(d):
    # an error must not delete or truncate what a previous successful run wrote
    with open(os.path.join(d, "out", "model.cpp"), "w") as f:
        f.write("// previous\n")
    p = os.path.join(d, "nope.onnx")
    return {"args": [p], "expect": ["does not exist"], "lines": 1,
            "after": lambda: open(os.path.join(d, "out", "model.cpp")).read() == "// previous\n"}


@case
def report_overwrites_source(d):
    p = save(small_model(), os.path.join(d, "ok.onnx"))
    return {"args": [p, "-o", "out/model.cpp", "--report", os.path.join(d, "out", "model.cpp")],
            "expect": ["--report"], "lines": 1}


@case
def non_tensor_input(d):
    x = helper.make_value_info("seq", helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [4])))
    y = helper.make_tensor_value_info("y", TensorProto.INT64, [])
    nodes = [helper.make_node("SequenceLength", ["seq"], ["y"], name="len")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "seq.onnx"))
    return [p], ["'seq'", "not supported"], 1


@case
def unsupported_input_dtype(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT16, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT16, ["n"])
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "f16.onnx"))
    return [p], ["'x'", "not supported"], 1


@case
def bad_attribute_type(d):
    m = small_model()
    m.graph.node[3].attribute.append(helper.make_attribute("alpha", "text"))
    p = save(m, os.path.join(d, "attr.onnx"))
    return [p], ["relu"], 1


@case
def missing_required_input(d):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 1)
    nodes = [helper.make_node("Add", ["x"], ["y"], name="add_one")]
    p = save(make_model(nodes, [x], [y]), os.path.join(d, "oneinput.onnx"))
    return [p], ["add_one"], 1


@case
def reshape_target_wrong_count(d):
    m = small_model()
    m.graph.initializer[2].CopyFrom(
        numpy_helper.from_array(np.array([5, 5], dtype=np.int64), "shape"))
    m.graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 2))
    p = save(m, os.path.join(d, "reshape.onnx"))
    return [p], ["'reshape'"], 1


@case
def bad_name_option(d):
    p = save(small_model(), os.path.join(d, "ok.onnx"))
    return {"args": [p, "--name", "", "-o", os.path.join(d, "out", "model.cpp")],
            "expect": [], "lines": None, "ok": True}


# Cases that must succeed: {"args": ..., "ok": True, "check": fn(folder)}.

@case
def external_data_inside_folder(d):
    m = small_model()
    w = numpy_helper.to_array(m.graph.initializer[0])
    os.makedirs(os.path.join(d, "weights"))
    with open(os.path.join(d, "weights", "w.bin"), "wb") as f:
        f.write(b"\0" * 16 + w.tobytes())
    m = external_model(d, "weights/w.bin")
    e = m.graph.initializer[0].external_data.add()
    e.key, e.value = "offset", "16"
    e = m.graph.initializer[0].external_data.add()
    e.key, e.value = "length", str(w.nbytes)
    save(m, os.path.join(d, "ext.onnx"))
    # a path relative to the working directory (the case folder), which has no parent part
    return {"args": ["ext.onnx"], "ok": True, "run_model": small_model()}


# ---------------------------------------------------------------------------------------------
# Running


class Failure(Exception):
    pass


def listing(root):
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames + dirnames:
            out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def run_tinyc(tinyc, args, cwd, timeout=120):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return subprocess.run([tinyc] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env, errors="replace")


def check_clean_failure(r, expect, lines, before, after, keep=()):
    where = f"exit {r.returncode}, stderr:\n{r.stderr}stdout:\n{r.stdout}"
    if any(m in r.stderr for m in SANITIZER_MARKS):
        raise Failure("sanitizer report or crash: " + where)
    if r.returncode < 0:
        raise Failure(f"killed by signal {-r.returncode}: " + where)
    if r.returncode != 1:
        raise Failure("expected exit code 1: " + where)
    err = [l for l in r.stderr.splitlines() if l.strip()]
    if not err:
        raise Failure("no error message: " + where)
    bad = [l for l in err if not l.startswith("tinyc: error: ")]
    if bad:
        raise Failure(f"lines not of the form 'tinyc: error: ...': {bad}\n" + where)
    if lines is not None and len(err) != lines:
        raise Failure(f"expected {lines} error line(s), got {len(err)}: " + where)
    text = "\n".join(err)
    missing = [s for s in expect if s not in text]
    if missing:
        raise Failure(f"message lacks {missing}: " + where)
    new = {f for f in after - before if not any(f.endswith(k) for k in keep)}
    if new:
        raise Failure(f"files left behind: {sorted(new)}")


HARNESS = r"""
#include "model.h"
#include <stdio.h>
int main() {
  static float x[12], y[12];
  if (fread(x, sizeof x, 1, stdin) != 1) return 3;
  if (model_run(x, y) != 0) return 4;
  fwrite(y, sizeof y, 1, stdout);
  return 0;
}
"""


def check_generated_code(out_dir, model):
    """Builds the generated small model on the host and compares it with numpy."""
    with open(os.path.join(out_dir, "main.cpp"), "w") as f:
        f.write(HARNESS)
    exe = os.path.join(out_dir, "run")
    r = subprocess.run(["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-o", exe,
                        os.path.join(out_dir, "main.cpp"), os.path.join(out_dir, "model.cpp")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure("generated code does not build:\n" + r.stderr)
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 5 - 1
    r = subprocess.run([exe], input=x.tobytes(), capture_output=True)
    if r.returncode != 0:
        raise Failure(f"generated code exits {r.returncode}")
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    want = np.maximum((x * init["w"] + init["b"]).reshape(2, 6), 0)
    got = np.frombuffer(r.stdout, dtype=np.float32).reshape(2, 6)
    if not np.allclose(got, want, rtol=1e-6, atol=1e-6):
        raise Failure(f"wrong result: {got} vs {want}")


def run_case(tinyc, fn, root):
    d = os.path.join(root, fn.__name__)
    os.makedirs(os.path.join(d, "out"))
    spec = fn(d)
    if isinstance(spec, tuple):
        spec = {"args": spec[0], "expect": spec[1], "lines": spec[2]}
    args = list(spec["args"])
    if "-o" not in args:
        args += ["-o", os.path.join(d, "out", "model.cpp")]
    before = listing(d)
    r = run_tinyc(tinyc, args, cwd=d)
    after = listing(d)
    if spec.get("ok"):
        if r.returncode != 0 or any(m in r.stderr for m in SANITIZER_MARKS):
            raise Failure(f"expected success, exit {r.returncode}:\n{r.stderr}")
        if "run_model" in spec:
            check_generated_code(os.path.join(d, "out"), spec["run_model"])
        return
    check_clean_failure(r, spec["expect"], spec["lines"], before, after, spec.get("keep", ()))
    if "after" in spec and not spec["after"]():
        raise Failure("a file from before the run was changed")


INTERESTING_INTS = [0, 1, -1, 2, 3, -2, 7, 255, 2 ** 31 - 1, -2 ** 31, 2 ** 40, -2 ** 62, 2 ** 63 - 1]
SOME_OPS = ["Add", "Relu", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Shape",
            "Conv", "Gemm", "MatMul", "Gather", "Concat", "Transpose", "Slice", "MaxPool",
            "Softmax", "BatchNormalization", "Clip", "Pad", "ReduceMean", "Split", "Expand"]


def mutate_structure(rnd, model):
    """One semantic corruption of a parsed model: bad dims, attributes, names, op types..."""
    g = model.graph
    kind = rnd.randrange(9)
    if kind == 0 and len(g.initializer):  # an initializer dim changes (data no longer fits)
        t = rnd.choice(g.initializer)
        if len(t.dims):
            t.dims[rnd.randrange(len(t.dims))] = rnd.choice(INTERESTING_INTS)
        else:
            t.dims.append(rnd.choice(INTERESTING_INTS))
    elif kind == 1 and len(g.initializer):  # raw data cut short or values changed
        t = rnd.choice(g.initializer)
        if t.raw_data:
            raw = bytearray(t.raw_data)
            if rnd.random() < 0.5:
                raw = raw[: rnd.randrange(len(raw) + 1)]
            else:  # new values: for shape-like int64 tensors this gives absurd targets
                for _ in range(rnd.randint(1, 4)):
                    raw[rnd.randrange(len(raw))] = rnd.randrange(256)
            t.raw_data = bytes(raw)
    elif kind == 2 and len(g.node):  # an integer attribute gets an extreme value
        n = rnd.choice(g.node)
        ints = [a for a in n.attribute if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS)]
        if ints:
            a = rnd.choice(ints)
            if a.type == onnx.AttributeProto.INT:
                a.i = rnd.choice(INTERESTING_INTS)
            elif len(a.ints):
                a.ints[rnd.randrange(len(a.ints))] = rnd.choice(INTERESTING_INTS)
        else:
            n.attribute.append(helper.make_attribute("axis", rnd.choice(INTERESTING_INTS)))
    elif kind == 3 and len(g.node):  # a node reads some other tensor
        n = rnd.choice(g.node)
        names = [i.name for i in g.input] + [t.name for t in g.initializer] + \
            [o for m in g.node for o in m.output]
        if len(n.input):
            n.input[rnd.randrange(len(n.input))] = rnd.choice(names)
    elif kind == 4 and len(g.node):  # a node becomes another op
        rnd.choice(g.node).op_type = rnd.choice(SOME_OPS)
    elif kind == 5 and len(g.input):  # a model input gets another shape
        dims = g.input[rnd.randrange(len(g.input))].type.tensor_type.shape.dim
        if len(dims):
            dims[rnd.randrange(len(dims))].dim_value = rnd.choice(INTERESTING_INTS)
    elif kind == 6 and len(g.node) > 1:  # a node disappears
        del g.node[rnd.randrange(len(g.node))]
    elif kind == 7 and len(g.node):  # inputs added or dropped
        n = rnd.choice(g.node)
        if len(n.input) and rnd.random() < 0.5:
            del n.input[rnd.randrange(len(n.input))]
        else:
            n.input.append(rnd.choice([""] + list(n.input) + [t.name for t in g.initializer]))
    elif len(g.initializer):  # an initializer changes element type
        rnd.choice(g.initializer).data_type = rnd.choice([1, 2, 3, 6, 7, 9, 10, 11, 16])


def fuzz_inputs(seed, sources):
    """A corrupted copy of one of the source models: byte flips, truncation, splices, or
    (half of the time) semantic changes to the parsed model."""
    rnd = random.Random(seed)
    data = bytearray(rnd.choice(sources))
    kind = seed % 8
    if kind >= 4:
        m = onnx.ModelProto()
        m.ParseFromString(bytes(data))
        for _ in range(1 if kind < 7 else rnd.randint(2, 4)):
            mutate_structure(rnd, m)
        return m.SerializeToString()
    if kind == 0:  # a few random byte flips
        for _ in range(rnd.randint(1, 8)):
            data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
    elif kind == 1:  # random bytes overwritten
        for _ in range(rnd.randint(1, 4)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
    elif kind == 2:  # truncation
        data = data[: rnd.randrange(1, len(data))]
    else:  # a chunk duplicated or deleted
        a = rnd.randrange(len(data))
        b = min(len(data), a + rnd.randint(1, 64))
        data = data[:a] + data[b:] if rnd.random() < 0.5 else data[:b] + data[a:b] + data[b:]
    return bytes(data)


def fuzz_sources(extra_dirs):
    models = [small_model()]
    # a model with more varied attributes and constants
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 3)
    axes = numpy_helper.from_array(np.array([0], dtype=np.int64), "axes")
    lo = numpy_helper.from_array(np.array(-1.0, dtype=np.float32), "lo")
    hi = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "hi")
    nodes = [
        helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(
            np.linspace(-1, 1, 4).astype(np.float32), "cv"), name="const"),
        helper.make_node("Sub", ["x", "c"], ["d"], name="sub"),
        helper.make_node("Clip", ["d", "lo", "hi"], ["e"], name="clip"),
        helper.make_node("LeakyRelu", ["e"], ["f"], alpha=0.2, name="leaky"),
        helper.make_node("Flatten", ["f"], ["g"], axis=1, name="flat"),
        helper.make_node("Unsqueeze", ["g", "axes"], ["h"], name="unsq"),
        helper.make_node("Identity", ["h"], ["y"], name="id"),
    ]
    models.append(make_model(nodes, [x], [y], [axes, lo, hi]))
    sources = [m.SerializeToString() for m in models]
    for d in extra_dirs:
        for dirpath, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith(".onnx") and os.path.getsize(os.path.join(dirpath, f)) < 2_000_000:
                    with open(os.path.join(dirpath, f), "rb") as fh:
                        sources.append(fh.read())
    return sources


def run_fuzz(tinyc, root, n, extra_dirs):
    sources = fuzz_sources(extra_dirs)
    failures = []
    outcomes = {"compiled": 0, "refused": 0}
    for seed in range(n):
        d = os.path.join(root, f"fuzz{seed}")
        os.makedirs(os.path.join(d, "out"))
        p = os.path.join(d, "m.onnx")
        with open(p, "wb") as f:
            f.write(fuzz_inputs(seed, sources))
        before = listing(d)
        try:
            r = run_tinyc(tinyc, [p, "-o", os.path.join(d, "out", "model.cpp"), "-q"], cwd=d)
        except subprocess.TimeoutExpired:
            failures.append((seed, "timeout"))
            continue
        after = listing(d)
        try:
            if r.returncode == 0 and not any(m in r.stderr for m in SANITIZER_MARKS):
                outcomes["compiled"] += 1
                if not os.path.exists(os.path.join(d, "out", "model.cpp")):
                    raise Failure("exit 0 without output")
            else:
                check_clean_failure(r, [], 1 if "unsupported node" not in r.stderr else None,
                                    before, after)
                outcomes["refused"] += 1
                shutil.rmtree(d)
        except Failure as e:
            failures.append((seed, str(e)))
    return failures, outcomes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--work", default=None, help="folder for the cases (default: a temp dir)")
    ap.add_argument("--filter", default="", help="run only cases whose name contains this")
    ap.add_argument("--fuzz", type=int, default=0, help="number of corrupted models to try")
    ap.add_argument("--fuzz-models", action="append", default=[],
                    help="folder with more .onnx files to corrupt (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    tinyc = os.path.abspath(a.tinyc)
    root = a.work or tempfile.mkdtemp(prefix="tinyc-bad-input-")
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)

    passed, failed = 0, 0
    for fn in CASES:
        if a.filter not in fn.__name__:
            continue
        try:
            run_case(tinyc, fn, root)
            passed += 1
        except Failure as e:
            failed += 1
            print(f"FAIL {fn.__name__}: {e}")
        except subprocess.TimeoutExpired:
            failed += 1
            print(f"FAIL {fn.__name__}: timeout")
        except Exception as e:  # a broken case must not hide the others
            failed += 1
            print(f"FAIL {fn.__name__}: the case itself raised {type(e).__name__}: {e}")
    if a.fuzz:
        failures, outcomes = run_fuzz(tinyc, root, a.fuzz, a.fuzz_models)
        for seed, msg in failures:
            print(f"FAIL fuzz seed {seed}: {msg}")
        print(f"fuzz: {a.fuzz} corrupted models, {outcomes['compiled']} compiled, "
              f"{outcomes['refused']} refused cleanly, {len(failures)} failed")
        passed += a.fuzz - len(failures)
        failed += len(failures)
    print(f"bad_input: {passed} passed, {failed} failed")
    if not a.keep and failed == 0:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

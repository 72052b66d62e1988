#!/usr/bin/python3
"""ONNX backend conformance for tinyc.

Every test under the ONNX backend test data (model.onnx + test_data_set_*/input_*.pb,
output_*.pb) is compiled by tinyc, built with host g++ under -fsanitize=address,undefined
-Wall -Wextra -Werror, run on the stored inputs and compared with the stored outputs.

A test is `unsupported` when tinyc refuses the model with a clear "not supported" message,
`failed` when anything else goes wrong (a compile error, a warning, a sanitizer report, a
wrong result), `passed` otherwise. The run prints
    conformance: N passed, M failed, K unsupported
and exits non-zero if any test listed in the expected-to-pass file did not pass, so support
never silently regresses. --update-expected rewrites that list from the passing tests.

--arm-check also compiles each passing test's model.cpp for Cortex-M4 with the flags of a
firmware build (ARM_FLAGS, warnings as errors); a test whose code does not compile there
fails. --arm-check N checks a deterministic 1-in-N subset (by a hash of the test name).
"""
import argparse
import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
import time
import zlib

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA = "/usr/include/onnx/backend/test/data"
FOLDERS = ["node", "pytorch-converted", "pytorch-operator", "simple"]
RTOL, ATOL = 1e-4, 1e-5
ARM_CXX = "arm-none-eabi-g++"
ARM_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-O2", "-fno-exceptions", "-fno-rtti",
             "-Wall", "-Wextra", "-Werror", "-c"]

CTYPES = {
    np.dtype("float32"): "float", np.dtype("float64"): "double",
    np.dtype("int8"): "int8_t", np.dtype("uint8"): "uint8_t",
    np.dtype("int16"): "int16_t", np.dtype("uint16"): "uint16_t",
    np.dtype("int32"): "int32_t", np.dtype("uint32"): "uint32_t",
    np.dtype("int64"): "int64_t", np.dtype("uint64"): "uint64_t",
    np.dtype("bool"): "bool",
}

HARNESS = r"""
#include "model.h"
#include <stdio.h>
#include <stdlib.h>
%(buffers)s
[[maybe_unused]] static void read_raw(const char* path, void* dst, size_t bytes) {
  FILE* f = fopen(path, "rb");
  if (!f || fread(dst, 1, bytes, f) != bytes) { fprintf(stderr, "cannot read %%s\n", path); exit(3); }
  fclose(f);
}
[[maybe_unused]] static void write_raw(const char* path, const void* src, size_t bytes) {
  FILE* f = fopen(path, "wb");
  if (!f || fwrite(src, 1, bytes, f) != bytes) { fprintf(stderr, "cannot write %%s\n", path); exit(3); }
  fclose(f);
}
int main() {
%(reads)s
  int rc = m_run(%(args)s);
  if (rc != 0) { fprintf(stderr, "m_run returned %%d\n", rc); return 4; }
%(writes)s
  return 0;
}
"""


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def list_tests(data, folders, pattern):
    tests = []
    for folder in folders:
        root = os.path.join(data, folder)
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            d = os.path.join(root, name)
            if os.path.isfile(os.path.join(d, "model.onnx")) and (
                    not pattern or re.search(pattern, f"{folder}/{name}")):
                tests.append((f"{folder}/{name}", d))
    return tests


def data_sets(d):
    sets = []
    for s in sorted(os.listdir(d)):
        sd = os.path.join(d, s)
        if s.startswith("test_data_set") and os.path.isdir(sd):
            ins = sorted((f for f in os.listdir(sd) if f.startswith("input_")),
                         key=lambda f: int(re.findall(r"\d+", f)[0]))
            outs = sorted((f for f in os.listdir(sd) if f.startswith("output_")),
                          key=lambda f: int(re.findall(r"\d+", f)[0]))
            sets.append(([load_pb(os.path.join(sd, f)) for f in ins],
                         [load_pb(os.path.join(sd, f)) for f in outs],
                         [os.path.join(sd, f) for f in ins]))
    return sets


def compare(got, ref):
    if got.shape != ref.shape and got.size == ref.size:
        got = got.reshape(ref.shape)
    if got.size != ref.size:
        return f"size {got.size} != {ref.size}"
    if ref.dtype.kind == "f":
        ok = np.allclose(got, ref, rtol=RTOL, atol=ATOL, equal_nan=True)
        if not ok:
            err = np.nanmax(np.abs(got.astype(np.float64) - ref.astype(np.float64)))
            return f"max abs error {err:.3g}"
        return None
    if not np.array_equal(got, ref):
        return f"{int(np.sum(got != ref))} of {ref.size} elements differ"
    return None


def run(cmd, cwd, timeout):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr)


def arm_selected(name, every):
    return every > 0 and zlib.crc32(name.encode()) % every == 0


# Extra tinyc arguments for every test (--tinyc-arg, e.g. the checking build --poison-dead).
EXTRA_TINYC_ARGS = []


def run_test(tinyc, name, d, work, keep, arm_every=0):
    wd = os.path.join(work, name.replace("/", "__"))
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    try:
        model = onnx.load(os.path.join(d, "model.onnx"), load_external_data=False)
        for v in list(model.graph.input) + list(model.graph.output):
            if not v.type.HasField("tensor_type"):
                return name, "unsupported", f"non-tensor input or output '{v.name}'"
        sets = data_sets(d)
        if not sets:
            return name, "unsupported", "no test data"
        inits = {i.name for i in model.graph.initializer}
        input_names = [i.name for i in model.graph.input if i.name not in inits]
        ins0, outs0, in_paths = sets[0]
        if len(ins0) != len(input_names):
            return name, "unsupported", "test data does not match the model's inputs"

        base = [tinyc, os.path.join(d, "model.onnx"), "-o", "model.cpp", "--name", "m", "-q"]
        base += EXTRA_TINYC_ARGS
        # Dynamic dimensions are fixed from the test data, as a user would with --input-shape.
        dynamic = {i.name for i in model.graph.input
                   if any(not d.HasField("dim_value") for d in i.type.tensor_type.shape.dim)}
        base += sum((["--input-shape", f"{n}={'x'.join(map(str, a.shape)) or 'scalar'}"]
                     for n, a in zip(input_names, ins0) if n in dynamic), [])
        rc, out = run(base, wd, 120)
        frozen = []
        # Inputs whose values decide shapes or quantisation parameters: freeze the ones named
        # (one more per round, as each error names the next), or else every integer input (a
        # Reshape target, Slice bounds, ...).
        while rc != 0 and "--freeze-input" in out:
            named = set(re.findall(r"--freeze-input (\S+)=FILE\.pb", out)) - {"NAME"}
            more = [i for i, n in enumerate(input_names) if i not in frozen and
                    (n in named or (not named and ins0[i].dtype.kind in "iu"))]
            if not more:
                break
            frozen += more
            cmd = base + sum((["--freeze-input", f"{input_names[i]}={in_paths[i]}"]
                              for i in frozen), [])
            rc, out = run(cmd, wd, 120)
        if rc != 0:
            status = "unsupported" if "not supported" in out and "internal error" not in out else "failed"
            return name, status, "tinyc: " + out.strip().splitlines()[-1] if out.strip() else f"tinyc exit {rc}"
        live = [i for i in range(len(input_names)) if i not in frozen]
        outs_n = len(outs0)
        buffers, reads, args, writes = [], [], [], []
        for k, i in enumerate(live):
            a = ins0[i]
            if a.dtype not in CTYPES:
                return name, "unsupported", f"input dtype {a.dtype}"
            buffers.append(f"static {CTYPES[a.dtype]} in{k}[{max(a.size, 1)}];")
            reads.append(f'  read_raw("in{k}.bin", in{k}, {a.nbytes});')
            args.append(f"in{k}")
        for k in range(outs_n):
            r = outs0[k]
            if r.dtype not in CTYPES:
                return name, "unsupported", f"output dtype {r.dtype}"
            buffers.append(f"static {CTYPES[r.dtype]} out{k}[{max(r.size, 1)}];")
            writes.append(f'  write_raw("out{k}.bin", out{k}, {r.nbytes});')
            args.append(f"out{k}")
        with open(os.path.join(wd, "main.cpp"), "w") as f:
            f.write(HARNESS % {"buffers": "\n".join(buffers), "reads": "\n".join(reads),
                               "args": ", ".join(args), "writes": "\n".join(writes)})
        cc = ["g++", "-std=c++17", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
              "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
              "model.cpp", "main.cpp", "-o", "t", "-lm"]
        rc, out = run(cc, wd, 300)
        if rc != 0:
            return name, "failed", "g++: " + " | ".join(out.strip().splitlines()[:3])
        for s, (ins, refs, _) in enumerate(sets):
            for k, i in enumerate(live):
                ins[i].tofile(os.path.join(wd, f"in{k}.bin"))
            rc, out = run(["./t"], wd, 120)
            if rc != 0:
                return name, "failed", f"run (set {s}) exit {rc}: " + " | ".join(out.strip().splitlines()[:3])
            for k, ref in enumerate(refs):
                got = np.fromfile(os.path.join(wd, f"out{k}.bin"), dtype=ref.dtype)
                why = compare(got, ref)
                if why:
                    return name, "failed", f"output {k} (set {s}): {why}"
        if arm_selected(name, arm_every):
            rc, out = run([ARM_CXX] + ARM_FLAGS + ["model.cpp", "-o", "model_arm.o"], wd, 300)
            if rc != 0:
                return name, "failed", f"{ARM_CXX}: " + " | ".join(out.strip().splitlines()[:3])
        return name, "passed", ""
    except subprocess.TimeoutExpired as e:
        return name, "failed", f"timeout: {e.cmd[0]}"
    except Exception as e:  # a broken test must not stop the run
        return name, "failed", f"runner: {type(e).__name__}: {e}"
    finally:
        if not keep:
            shutil.rmtree(wd, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tinyc", required=True)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--folders", default=",".join(FOLDERS))
    ap.add_argument("--expected", help="file listing tests that must pass")
    ap.add_argument("--update-expected", action="store_true")
    ap.add_argument("--filter", help="regex on folder/test name")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--work", default="conformance_work")
    ap.add_argument("--keep", action="store_true", help="keep each test's work folder")
    ap.add_argument("--log", help="write one line per test here")
    ap.add_argument("--arm-check", type=int, nargs="?", const=1, default=0, metavar="N",
                    help="also compile passing tests for Cortex-M4 (every test, or 1 in N)")
    ap.add_argument("--tinyc-arg", action="append", default=[], metavar="ARG",
                    help="pass ARG to tinyc for every test (repeatable), e.g. --poison-dead")
    a = ap.parse_args()
    EXTRA_TINYC_ARGS.extend(a.tinyc_arg)
    if a.arm_check and not shutil.which(ARM_CXX):
        print(f"conformance: {ARM_CXX} not found; --arm-check skipped")
        a.arm_check = 0

    if not os.path.isdir(a.data):
        print(f"conformance: ONNX test data not found at {a.data} (install libonnx-testdata); skipped")
        return 0
    tinyc = os.path.abspath(a.tinyc)
    tests = list_tests(a.data, a.folders.split(","), a.filter)
    os.makedirs(a.work, exist_ok=True)
    start = time.time()
    results = []
    with cf.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = [ex.submit(run_test, tinyc, n, d, os.path.abspath(a.work), a.keep, a.arm_check)
                for n, d in tests]
        for i, f in enumerate(cf.as_completed(futs)):
            results.append(f.result())
            if (i + 1) % 100 == 0:
                print(f"  ... {i + 1}/{len(tests)} ({time.time() - start:.0f} s)", flush=True)
    results.sort()
    counts = {"passed": 0, "failed": 0, "unsupported": 0}
    per_folder = {}
    for n, s, _ in results:
        counts[s] += 1
        pf = per_folder.setdefault(n.split("/")[0], {"passed": 0, "failed": 0, "unsupported": 0})
        pf[s] += 1
    if a.log:
        with open(a.log, "w") as f:
            for n, s, why in results:
                f.write(f"{s:<12} {n}  {why}\n")
    for n, s, why in results:
        if s == "failed":
            print(f"FAILED {n}: {why}")
    expected = set()
    if a.expected and os.path.exists(a.expected):
        with open(a.expected) as f:
            expected = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    status = {n: s for n, s, _ in results}
    regressions = sorted(n for n in expected if status.get(n) != "passed" and (not a.filter or n in status))
    if a.update_expected:
        passing = sorted(n for n, s, _ in results if s == "passed")
        with open(a.expected, "w") as f:
            f.write("# ONNX backend tests that must pass (tests/conformance/run_conformance.py "
                    "--update-expected)\n")
            f.write("\n".join(passing) + "\n")
        print(f"wrote {len(passing)} tests to {a.expected}")
    for folder, c in sorted(per_folder.items()):
        print(f"  {folder:<18} {c['passed']} passed, {c['failed']} failed, {c['unsupported']} unsupported")
    for n in regressions:
        print(f"REGRESSION {n}: expected to pass, got {status.get(n, 'missing')}")
    arm = ""
    if a.arm_check:
        checked = sum(1 for n, s, _ in results if s == "passed" and arm_selected(n, a.arm_check))
        arm = f", {checked} passing tests also built for Cortex-M4"
    print(f"  ({time.time() - start:.0f} s, {a.jobs} jobs{arm})")
    print(f"conformance: {counts['passed']} passed, {counts['failed']} failed, {counts['unsupported']} unsupported")
    return 1 if regressions and not a.update_expected else 0


if __name__ == "__main__":
    sys.exit(main())

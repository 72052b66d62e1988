#!/usr/bin/python3
"""Builds a tinyc-generated model with the bench harness of runtime_stub/ and runs it on the
host or on a Cortex-M4/M7 under QEMU, returning bit-exact outputs, instructions per inference
and flash/RAM figures.

    tools/run_cortexm.py build/m.cpp --input x.npy [--input y.npy] [--count 20] \
        [--target m4|m7|host] [--work DIR] [--save-outputs out.npy] [--json result.json]

Each --input is an .npy file with one model input for N samples (shape N x <input shape>, or
just <input shape> for one sample), of the model's input type (int8 for a model compiled with
--io int8; its outputs come back as int8 too). The samples are linked into the firmware (or read from a
file on the host); each inference's output bytes are printed in hex by the target, so the
outputs come back unchanged. Instruction counts come from SysTick under
`-icount shift=0` (see runtime_stub/instr_counter.h): instructions, not cycles.
Flash = text + data, RAM = data + bss, for the model object alone and for the whole firmware.

Exit status: 0 ok, 1 failure, 77 a tool is missing (ctest treats 77 as skipped).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUB = os.path.join(ROOT, "runtime_stub")
SKIP = 77

TARGETS = {
    "m4": {"machine": "mps2-an386", "ld": "mps2_an386.ld",
           "flags": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]},
    "m7": {"machine": "mps2-an500", "ld": "mps2_an500.ld",
           "flags": ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]},
}
COMMON_FLAGS = ["-O2", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections"]
CXX_ONLY = ["-fno-exceptions", "-fno-rtti", "-std=c++17"]
HOST_FLAGS = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
              "-Wall", "-Wextra", "-Werror"]

DTYPES = {"float32": ("float", np.float32), "int8": ("int8_t", np.int8),
          "uint8": ("uint8_t", np.uint8), "int32": ("int32_t", np.int32),
          "int64": ("int64_t", np.int64), "bool": ("bool", np.bool_)}


class ToolMissing(Exception):
    pass


class ModelIO:
    """Inputs and outputs of a generated model, read from its header."""

    def __init__(self, header):
        text = open(header).read()
        m = re.search(r"^int (\w+)_run\(", text, re.M)
        if not m:
            raise ValueError(f"{header}: no NAME_run declaration")
        self.name = m.group(1)
        self.inputs, self.outputs = [], []
        for kind, idx, dtype, shape in re.findall(
                r"^// (input|output) (\d+) '[^']*': (\w+) (\S+)$", text, re.M):
            if dtype not in DTYPES:
                raise ValueError(f"{header}: {kind} {idx} has type {dtype}, not supported by the harness")
            dims = () if shape == "scalar" else tuple(int(d) for d in shape.split("x"))
            (self.inputs if kind == "input" else self.outputs).append((dtype, dims))
        if not self.outputs:
            raise ValueError(f"{header}: no outputs found")

    def glue(self, header_name):
        up = self.name.upper()
        args = [f"(const {DTYPES[d][0]}*)in[{i}]" for i, (d, _) in enumerate(self.inputs)]
        args += [f"({DTYPES[d][0]}*)out[{i}]" for i, (d, _) in enumerate(self.outputs)]
        size = lambda kind, i, d: f"{up}_{kind}{i}_COUNT * sizeof({DTYPES[d][0]})"
        return "\n".join([
            "// Written by tools/run_cortexm.py: connects runtime_stub/bench_main.cpp to the model.",
            "#include <stdint.h>",
            f'#include "{header_name}"',
            f"#define TC_NUM_INPUTS {max(len(self.inputs), 1)}",
            f"#define TC_NUM_OUTPUTS {len(self.outputs)}",
            "#define TC_INPUT_BYTES_LIST " + (", ".join(size("INPUT", i, d) for i, (d, _) in
                                                       enumerate(self.inputs)) or "0"),
            "#define TC_OUTPUT_BYTES_LIST " + ", ".join(size("OUTPUT", i, d) for i, (d, _) in
                                                       enumerate(self.outputs)),
            "static inline int tc_run(uint8_t* const* in, uint8_t* const* out) {",
            "  (void)in;",
            f"  return {self.name}_run({', '.join(args)});",
            "}", ""])

    def pack(self, arrays, count):
        """Concatenates `count` samples, each input padded to 8 bytes, as bench_main expects."""
        if len(arrays) != len(self.inputs):
            raise ValueError(f"the model has {len(self.inputs)} inputs, {len(arrays)} given")
        parts = []
        for s in range(count):
            for (dtype, dims), a in zip(self.inputs, arrays):
                one = a if a.shape == dims else a[s]
                if one.dtype.kind == "f" and dtype not in ("float32",):
                    # A quantised model (--io int8) takes its int8 levels, not float values.
                    raise ValueError(f"the model takes {dtype} inputs; got a {one.dtype} array "
                                     "(quantise it with the NAME_INPUTi_SCALE/ZERO_POINT of the header)")
                if int(np.prod(one.shape)) != int(np.prod(dims)):
                    raise ValueError(f"input of shape {one.shape} does not fit {dims}")
                raw = np.ascontiguousarray(one, dtype=DTYPES[dtype][1]).tobytes()
                parts.append(raw + b"\0" * (-len(raw) % 8))
        if not self.inputs:
            parts = [b"\0" * 8] * count
        return b"".join(parts)

    def decode(self, hex_fields):
        outs = []
        for (dtype, dims), h in zip(self.outputs, hex_fields):
            outs.append(np.frombuffer(bytes.fromhex(h), DTYPES[dtype][1]).reshape(dims))
        return outs


def need(tool):
    path = shutil.which(tool)
    if not path:
        raise ToolMissing(f"{tool} not found (tools/bootstrap.sh installs it)")
    return path


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}{p.stderr}")
    return p


def sizes(size_tool, files):
    """{file: {flash, ram, text, data, bss}} from `size` (Berkeley format)."""
    out = run([size_tool, "-B"] + files).stdout.strip().splitlines()[1:]
    result = {}
    for line in out:
        text, data, bss = (int(v) for v in line.split()[:3])
        result[line.split()[-1]] = {"text": text, "data": data, "bss": bss,
                                    "flash": text + data, "ram": data + bss}
    return result


def parse_bench(stdout, io):
    outputs, instr = {}, {}
    end = None
    for line in stdout.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "out":
            outputs[int(f[1])] = io.decode(f[2:])
        elif f[0] == "instr":
            instr[int(f[1])] = int(f[2])
        elif f[0] == "end":
            end = line
    if end != "end rc=0":
        raise RuntimeError(f"the model run did not finish cleanly ({end or 'no end line'}):\n{stdout[-2000:]}")
    n = len(outputs)
    return [outputs[s] for s in range(n)], [instr[s] for s in range(n)]


def build_and_run(model_cpp, inputs, target="m4", count=None, work=None, header=None, timeout=300,
                  extra_flags=()):
    """Returns {outputs: [per sample: [arrays]], instructions: [...], sizes: {...}}.
    extra_flags go to every compile (host and target), e.g. ["-ffp-contract=off"]."""
    header = header or os.path.splitext(model_cpp)[0] + ".h"
    io = ModelIO(header)
    n_avail = max([a.shape[0] if a.shape != d else 1 for a, (_, d) in zip(inputs, io.inputs)] or [1])
    count = min(count or n_avail, n_avail)
    work = work or os.path.join(os.path.dirname(os.path.abspath(model_cpp)), f"bench_{target}")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "tinyc_glue.h"), "w") as f:
        f.write(io.glue(os.path.basename(header)))
    blob = io.pack(inputs, count)
    incs = ["-I", work, "-I", os.path.dirname(os.path.abspath(header)), "-I", STUB]

    if target == "host":
        cxx = need("g++")
        exe = os.path.join(work, "bench")
        run([cxx, "-std=c++17"] + HOST_FLAGS + list(extra_flags) + incs + [
            model_cpp, os.path.join(STUB, "bench_main.cpp"),
            os.path.join(STUB, "platform_host.cpp"), os.path.join(STUB, "text_out.c"),
            "-o", exe, "-lm"])
        samples = os.path.join(work, "samples.bin")
        with open(samples, "wb") as f:
            f.write(blob)
        p = subprocess.run([exe, samples], capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"host run failed ({p.returncode}):\n{p.stdout[-2000:]}{p.stderr[-4000:]}")
        outs, instr = parse_bench(p.stdout, io)
        return {"target": "host", "outputs": outs, "instructions": instr, "sizes": {}}

    t = TARGETS[target]
    gxx, gcc = need("arm-none-eabi-g++"), need("arm-none-eabi-gcc")
    size_tool, qemu = need("arm-none-eabi-size"), need("qemu-system-arm")
    words = np.frombuffer(blob + b"\0" * (-len(blob) % 4), np.uint32)
    with open(os.path.join(work, "tinyc_samples.c"), "w") as f:
        f.write("// Written by tools/run_cortexm.py: the input samples, linked into the firmware.\n"
                "#include <stdint.h>\n")
        f.write(f"extern const uint32_t tc_samples[], tc_samples_bytes;\n")
        f.write(f"const uint32_t tc_samples_bytes = {len(blob)}u;\n")
        f.write("__attribute__((aligned(16))) const uint32_t tc_samples[] = {\n")
        for i in range(0, len(words), 8):
            f.write("  " + ", ".join(f"0x{w:08x}u" for w in words[i:i + 8]) + ",\n")
        f.write("};\n")
    objs = []

    def compile_one(src, cxx):
        obj = os.path.join(work, os.path.basename(src) + ".o")
        flags = t["flags"] + COMMON_FLAGS + (CXX_ONLY if cxx else ["-std=c11"]) + list(extra_flags)
        run([gxx if cxx else gcc] + flags + incs + ["-c", src, "-o", obj])
        objs.append(obj)
        return obj

    model_obj = compile_one(model_cpp, True)
    for src in ["bench_main.cpp"]:
        compile_one(os.path.join(STUB, src), True)
    for src in ["startup_cortexm.c", "semihosting.c", "instr_counter.c", "text_out.c",
                "platform_cortexm.c"]:
        compile_one(os.path.join(STUB, src), False)
    compile_one(os.path.join(work, "tinyc_samples.c"), False)
    elf = os.path.join(work, "fw.elf")
    run([gxx] + t["flags"] + ["-nostartfiles", "--specs=nano.specs", "-L", STUB, "-T", t["ld"],
                              "-Wl,--gc-sections", "-Wl,-Map," + os.path.join(work, "fw.map")]
        + objs + ["-lm", "-o", elf])
    sz = sizes(size_tool, [model_obj, elf])
    cmd = [qemu, "-M", t["machine"], "-nographic", "-monitor", "none", "-serial", "none",
           "-semihosting-config", "enable=on,target=native", "-icount", "shift=0", "-kernel", elf]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"QEMU exited with {p.returncode}:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    # QEMU 7.2 writes semihosting console output to stderr.
    outs, instr = parse_bench(p.stdout + p.stderr, io)
    return {"target": target, "outputs": outs, "instructions": instr,
            "sizes": {"model": sz[model_obj], "firmware": sz[elf],
                      "samples_bytes": len(blob)}, "command": " ".join(cmd)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_cpp", help="generated model source (its header beside it, or --header)")
    ap.add_argument("--header")
    ap.add_argument("--input", action="append", default=[], help=".npy file, one per model input")
    ap.add_argument("--count", type=int, help="run only the first COUNT samples")
    ap.add_argument("--target", choices=["m4", "m7", "host"], default="m4")
    ap.add_argument("--work", help="build folder (default: bench_TARGET beside the model)")
    ap.add_argument("--save-outputs", help="write output 0 of every sample to this .npy")
    ap.add_argument("--json", help="write figures (instructions, sizes) to this file")
    ap.add_argument("--cflag", action="append", default=[],
                    help="extra compiler flag (repeatable), e.g. --cflag=-ffp-contract=off")
    ap.add_argument("--labels", help=".npy of class labels: print argmax(output 0) against them")
    a = ap.parse_args()
    try:
        inputs = [np.load(f) for f in a.input]
        r = build_and_run(a.model_cpp, inputs, a.target, a.count, a.work, a.header,
                          extra_flags=a.cflag)
    except ToolMissing as e:
        print(f"run_cortexm: SKIPPED: {e}")
        return SKIP
    except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as e:
        print(f"run_cortexm: error: {e}", file=sys.stderr)
        return 1
    instr = r["instructions"]
    print(f"run_cortexm: {r['target']}: {len(r['outputs'])} inference(s)")
    if r["target"] != "host":
        print(f"  instructions per inference: {min(instr)} .. {max(instr)} (mean {sum(instr) / len(instr):.0f})")
        for k in ("model", "firmware"):
            s = r["sizes"][k]
            print(f"  {k:8s}: flash {s['flash']} B (text {s['text']} + data {s['data']}), "
                  f"RAM {s['ram']} B (data {s['data']} + bss {s['bss']})")
        print(f"  (the firmware includes {r['sizes']['samples_bytes']} B of input samples)")
    if a.labels:
        labels = np.load(a.labels)
        hits = 0
        for s, outs in enumerate(r["outputs"]):
            pred = int(np.argmax(outs[0]))
            hits += pred == int(labels[s])
            print(f"  sample {s:3d}: predicted {pred}, label {int(labels[s])}"
                  f"{'' if pred == int(labels[s]) else '   <- wrong'}")
        print(f"  {hits} of {len(r['outputs'])} correct")
    else:
        for s, outs in enumerate(r["outputs"][:5]):
            print(f"  sample {s}: output0 = {np.array2string(outs[0].ravel()[:10], precision=5)}")
    if a.save_outputs:
        np.save(a.save_outputs, np.stack([o[0] for o in r["outputs"]]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({k: v for k, v in r.items() if k != "outputs"}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
